"""``python -m linkis_magic.demo``: a notebook run headless against its own local Linkis.

Each test runs the module as ``make demo`` does, in a child process with a real kernel, on a
small notebook written to a temp dir, and reads what it printed.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import nbformat

from linkis_magic import demo

#: Seconds for one demo run: a kernel start and a few small jobs on two busy cores.
RUN_TIMEOUT = 180


def write_notebook(path: Path, sources: list[str]) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [nbformat.v4.new_markdown_cell("# A tiny demo")]
    nb.cells += [nbformat.v4.new_code_cell(source) for source in sources]
    nbformat.write(nb, path)
    return path


def run_demo(notebook: Path, *options: str, **extra_env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "linkis_magic.demo", str(notebook), *options],
        env={**os.environ, **extra_env},
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT,
    )


def test_demo_runs_every_cell_against_its_own_gateway(tmp_path: Path) -> None:
    notebook = write_notebook(tmp_path / "tiny.ipynb", [
        "%load_ext linkis_magic",
        "%%linkis shell\necho from-linkis",
        "import os\nprint(os.environ['LINKIS_URL'])\n6 * 7",
        "\n".join(f"x{i} = {i}" for i in range(8)),
    ])
    before = notebook.read_bytes()

    # Settings for some other gateway in the caller's environment must not leak into the kernel.
    done = run_demo(notebook, LINKIS_URL="http://127.0.0.1:9", LINKIS_TOKEN="not-this-one")

    assert done.returncode == 0, done.stdout + done.stderr
    gateway = re.search(r"against a local Linkis at (http://127\.0\.0\.1:\d+)", done.stdout).group(1)
    lines = done.stdout.splitlines()
    assert "[2] %%linkis shell" in lines
    assert "  → from-linkis" in lines
    assert any(re.fullmatch(r"  → Linkis task 1 · Succeed · [\d.]+ s", line) for line in lines)
    assert f"  → {gateway}" in lines
    assert "  → 42" in lines
    assert "    … (2 more lines)" in lines
    assert lines[-1] == "OK: 4 code cells ran."
    assert notebook.read_bytes() == before


def test_demo_stops_at_the_first_failing_cell(tmp_path: Path) -> None:
    notebook = write_notebook(tmp_path / "failing.ipynb", [
        "print('before')",
        "raise ValueError('boom')",
        "print('after')",
    ])

    done = run_demo(notebook)

    assert done.returncode == 1
    assert "  → before" in done.stdout
    assert "ValueError: boom" in done.stdout
    assert "[3]" not in done.stdout
    assert "FAILED: cell 2 raised an error" in done.stdout


def test_demo_gives_up_on_a_cell_that_outlives_its_timeout(tmp_path: Path) -> None:
    notebook = write_notebook(tmp_path / "slow.ipynb", ["import time\ntime.sleep(600)", "print('after')"])

    done = run_demo(notebook, "--timeout", "2")

    assert done.returncode == 1
    assert "FAILED: cell 1 did not finish within 2 s." in done.stdout
    assert "[2]" not in done.stdout


def test_demo_refuses_a_notebook_it_cannot_read(tmp_path: Path, capsys) -> None:
    broken = tmp_path / "broken.ipynb"
    broken.write_text("{not json")

    assert demo.main([str(broken)]) == 2
    assert demo.main([str(tmp_path / "missing.ipynb")]) == 2
    assert "cannot read" in capsys.readouterr().err


def test_without_the_demo_extra_it_says_what_to_install():
    # As after a plain `pip install linkis-magic`: nbclient cannot be imported.
    hide = ("import runpy, sys; sys.modules['nbclient'] = None; "
            "runpy.run_module('linkis_magic.demo', run_name='__main__')")
    done = subprocess.run([sys.executable, "-c", hide], capture_output=True, text=True, timeout=RUN_TIMEOUT)
    assert done.returncode == 1
    assert done.stderr.strip() == ("python -m linkis_magic.demo needs what pip install 'linkis-magic[demo]' "
                                   "installs (nbclient is missing)")
