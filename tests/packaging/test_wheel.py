"""The wheel as users get it: built from this tree, installed (not editable) into clean venvs of
this Python, once with ``[local]`` and once without, and used from outside the source tree."""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

import linkis_magic
from linkis_magic.local.server import LocalLinkis

ROOT = Path(__file__).resolve().parents[2]
#: pip resolves and installs pandas, pyarrow, duckdb... from the registry (or its cache).
INSTALL_TIMEOUT = 900
RUN_TIMEOUT = 120

#: A terminal IPython session in the venv: load the extension, run one Hive cell, say where the
#: package came from; a UsageError is printed as IPython would show it.
CELL_SCRIPT = """
import json, linkis_magic
from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell
ip = InteractiveShell.instance()
ip.run_line_magic("load_ext", "linkis_magic")
ip.run_line_magic("config", "LinkisMagics.progress = 'none'")
try:
    frame = ip.run_cell_magic("linkis", "hive", "select 1 as a, 'x' as b")
except UsageError as error:
    print(json.dumps({"usage_error": str(error)}))
else:
    print(json.dumps({"rows": frame.to_dict("records"), "dtypes": [str(t) for t in frame.dtypes],
                      "package": linkis_magic.__file__}))
"""


def run(command: list, *, env: dict | None = None, cwd: Path, timeout: float = RUN_TIMEOUT,
        check: bool = True) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([str(part) for part in command], env=env, cwd=cwd, capture_output=True, text=True,
                          timeout=timeout)
    if check and done.returncode != 0:
        raise AssertionError(f"{command} exited {done.returncode}:\n{done.stdout}\n{done.stderr}")
    return done


def clean_env(**extra: str) -> dict[str, str]:
    """This process's environment without anything that points at the source tree or a gateway."""
    env = {name: value for name, value in os.environ.items()
           if not name.startswith(("LINKIS_", "PYTHON", "VIRTUAL_ENV", "JUPYTER", "IPYTHON"))}
    return {**env, **extra}


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """The wheel ``make dist`` builds, built now from this tree."""
    out = tmp_path_factory.mktemp("dist")
    run([sys.executable, "-m", "build", "--wheel", "--outdir", out, ROOT], cwd=out, timeout=INSTALL_TIMEOUT)
    (built,) = out.glob("linkis_magic-*.whl")
    return built


def venv_with(where: Path, requirement: str) -> Path:
    """A new venv of this Python with ``requirement`` installed; its python."""
    run([sys.executable, "-m", "venv", where], cwd=where.parent)
    python = where / "bin" / "python"
    run([python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", requirement],
        cwd=where.parent, timeout=INSTALL_TIMEOUT, env=clean_env())
    return python


@pytest.fixture(scope="module")
def with_local(wheel, tmp_path_factory) -> Path:
    return venv_with(tmp_path_factory.mktemp("with-local") / "venv", f"{wheel}[local]")


@pytest.fixture(scope="module")
def without_local(wheel, tmp_path_factory) -> Path:
    return venv_with(tmp_path_factory.mktemp("without-local") / "venv", str(wheel))


@pytest.fixture
def venv_gateway(with_local, tmp_path) -> Iterator[dict[str, str]]:
    """``linkis-magic local`` started from the venv's own script; its banner's URL and token."""
    process = subprocess.Popen([with_local.parent / "linkis-magic", "local", "--port", "0", "--data-dir", tmp_path],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=tmp_path,
                               env=clean_env())
    lines: queue.Queue[str] = queue.Queue()
    # Read on a thread until the gateway exits, so neither a silent gateway nor a full pipe hangs us.
    threading.Thread(target=lambda: [lines.put(line) for line in process.stdout], daemon=True).start()
    try:
        banner: dict[str, str] = {}
        deadline = time.monotonic() + RUN_TIMEOUT
        while "ready" not in banner:
            line = lines.get(timeout=max(deadline - time.monotonic(), 0.1))
            if line.startswith("Local Linkis gateway: "):
                banner["url"] = line.split()[3]
            elif line.strip().split(" ", 1)[0] in ("user", "token"):
                key, value = line.split(":", 1)
                banner[key.strip()] = value.split()[0]
            elif line.startswith("Press Ctrl-C"):
                banner["ready"] = "yes"
        assert {"url", "user", "token"} <= set(banner), banner
        yield banner
    finally:
        process.send_signal(signal.SIGINT)  # its own id: the way a user stops it
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(30)


def test_the_wheel_holds_the_package_its_metadata_and_nothing_else(wheel):
    tracked = run(["git", "ls-files", "linkis_magic"], cwd=ROOT).stdout.split()
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        meta_name = next(n for n in names if n.endswith(".dist-info/METADATA"))
        metadata = archive.read(meta_name).decode()
        entry_points = archive.read(meta_name.replace("METADATA", "entry_points.txt")).decode()
    assert sorted(n for n in names if n.startswith("linkis_magic/")) == sorted(tracked)
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)
    assert f"Version: {linkis_magic.__version__}\n" in metadata
    assert "Requires-Python: >=3.10\n" in metadata and "License-Expression: Apache-2.0\n" in metadata
    for classifier in ("Framework :: Jupyter", "Framework :: IPython", *(
            f"Programming Language :: Python :: 3.{minor}" for minor in (10, 11, 12, 13))):
        assert f"Classifier: {classifier}\n" in metadata
    assert "linkis-magic = linkis_magic.cli:main" in entry_points


def test_with_local_a_cell_runs_against_linkis_magic_local_from_the_same_venv(with_local, venv_gateway, tmp_path):
    env = clean_env(LINKIS_URL=venv_gateway["url"], LINKIS_USER=venv_gateway["user"],
                    LINKIS_TOKEN=venv_gateway["token"], HOME=str(tmp_path))
    shown = json.loads(run([with_local, "-c", CELL_SCRIPT], env=env, cwd=tmp_path).stdout.splitlines()[-1])
    assert shown.get("rows") == [{"a": 1, "b": "x"}], shown
    assert shown["dtypes"][0] == "Int64"  # typed from the Hive column type
    assert Path(shown["package"]).is_relative_to(with_local.parent.parent)  # the wheel's copy, not this tree


def test_without_local_a_remote_gateway_works(without_local, local_linkis: LocalLinkis, tmp_path):
    assert run([without_local, "-c", "import duckdb"], cwd=tmp_path, check=False).returncode != 0
    env = clean_env(LINKIS_URL=local_linkis.url, LINKIS_USER=local_linkis.user,
                    LINKIS_PASSWORD=local_linkis.password, HOME=str(tmp_path))
    shown = json.loads(run([without_local, "-c", CELL_SCRIPT], env=env, cwd=tmp_path).stdout.splitlines()[-1])
    assert shown.get("rows") == [{"a": 1, "b": "x"}], shown
    assert Path(shown["package"]).is_relative_to(without_local.parent.parent)


def test_without_local_asking_for_the_embedded_gateway_names_the_extra(without_local, tmp_path):
    env = clean_env(HOME=str(tmp_path))
    shown = json.loads(run([without_local, "-c", CELL_SCRIPT], env=env, cwd=tmp_path).stdout.splitlines()[-1])
    assert shown["usage_error"].startswith(
        "no Linkis gateway configured, and the embedded local Linkis needs what pip install "
        "'linkis-magic[local]' installs (")
    served = run([without_local.parent / "linkis-magic", "local", "--port", "0"], env=env, cwd=tmp_path, check=False)
    assert served.returncode == 1
    assert served.stderr.startswith("linkis-magic local: the embedded local Linkis needs what pip install "
                                    "'linkis-magic[local]' installs (")
    kernels = run([without_local.parent / "linkis-magic", "kernels", "install", "--prefix", tmp_path / "k"],
                  env=env, cwd=tmp_path)
    assert kernels.stdout.count("installed ") == 4


@pytest.mark.parametrize("venv", ["with_local", "without_local"])
def test_the_demo_says_what_to_install(venv, request, tmp_path):
    python = request.getfixturevalue(venv)
    done = run([python, "-m", "linkis_magic.demo"], env=clean_env(HOME=str(tmp_path)), cwd=tmp_path, check=False)
    assert done.returncode == 1
    assert done.stderr.strip().startswith("python -m linkis_magic.demo needs what pip install 'linkis-magic[demo]' "
                                          "installs (")
