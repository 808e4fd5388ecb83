"""The Linkis kernels (``linkis-magic kernels install``): every cell a ``%%linkis ENGINE`` cell,
started by jupyter_client from the installed kernelspec, as JupyterLab starts them."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator

import pytest
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import start_new_kernel

from linkis_magic.client import LinkisClient
from tests.support import wait_for

TIMEOUT = 60
NAMES = {"linkis-hive", "linkis-spark-sql", "linkis-python", "linkis-shell"}


@pytest.fixture(scope="module")
def kernels_dir(tmp_path_factory) -> Iterator[str]:
    """The kernelspecs installed by the command line into a prefix of their own, which Jupyter
    is told to search (``JUPYTER_PATH``)."""
    prefix = tmp_path_factory.mktemp("kernels-prefix")
    done = subprocess.run([sys.executable, "-m", "linkis_magic.cli", "kernels", "install", "--prefix", str(prefix)],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    yield str(prefix / "share" / "jupyter")


@pytest.fixture
def start(kernels_dir, local_linkis, tmp_path, monkeypatch) -> Iterator:
    """``start(name)`` -> a kernel client of that Linkis kernel, its magics on ``local_linkis``."""
    monkeypatch.setenv("JUPYTER_PATH", kernels_dir)
    (tmp_path / "config.toml").touch()
    env = {"LINKIS_URL": local_linkis.url, "LINKIS_USER": local_linkis.user, "LINKIS_TOKEN": local_linkis.token,
           "LINKIS_CONFIG": str(tmp_path / "config.toml"), "LINKIS_PROGRESS": "none",
           "IPYTHONDIR": str(tmp_path / "ipython")}
    started = []

    def make(name: str):
        manager, client = start_new_kernel(kernel_name=name, env={**_environ(), **env})
        started.append((manager, client))
        return manager, client

    yield make
    for manager, client in started:
        client.stop_channels()
        manager.shutdown_kernel(now=True)


def _environ() -> dict:
    return {key: value for key, value in os.environ.items() if not key.startswith("LINKIS_")}


def run(kc, code: str) -> tuple[dict, list[dict]]:
    outputs: list[dict] = []
    reply = kc.execute_interactive(code, timeout=TIMEOUT, output_hook=outputs.append)
    return reply["content"], outputs


def shown(outputs: list[dict]) -> str:
    return "\n".join(o["content"].get("data", {}).get("text/plain", "") or o["content"].get("text", "")
                     for o in outputs)


def test_install_writes_four_kernelspecs(kernels_dir, monkeypatch):
    monkeypatch.setenv("JUPYTER_PATH", kernels_dir)
    specs = KernelSpecManager().get_all_specs()
    assert NAMES <= set(specs)
    hive = specs["linkis-hive"]["spec"]
    assert hive["display_name"] == "Linkis HiveQL" and hive["language"] == "sql"
    assert hive["argv"][:3] == [sys.executable, "-m", "linkis_magic.kernel"]


def test_a_hiveql_notebook_runs_sql_cells_and_magics(start):
    _, kc = start("linkis-hive")
    info = kc.kernel_info(reply=True, timeout=TIMEOUT)["content"]
    assert info["language_info"]["name"] == "sql" and info["implementation"] == "linkis_magic"
    reply, outputs = run(kc, "create table if not exists kernel_orders (id int, item string);\n"
                             "insert into kernel_orders values (1, 'tea');\nselect * from kernel_orders")
    assert reply["status"] == "ok" and "tea" in shown(outputs)
    reply, outputs = run(kc, "%linkis describe kernel_orders")  # a cell starting with % is IPython's
    assert reply["status"] == "ok" and "item" in shown(outputs)
    reply, outputs = run(kc, "select * from no_such_table_in_kernel")
    assert reply["status"] == "error" and reply["ename"] == "JobFailed"


def test_completion_in_a_hiveql_notebook(start):
    _, kc = start("linkis-hive")
    run(kc, "create table if not exists completion_orders (order_id int, item string)")
    code = "select o.it from completion_orders o"
    msg_id = kc.complete(code, code.index("o.it") + 4)
    while True:
        reply = kc.get_shell_msg(timeout=TIMEOUT)
        if reply["parent_header"].get("msg_id") == msg_id:
            break
    content = reply["content"]
    assert content["matches"] == ["o.item"]
    assert code[content["cursor_start"]:content["cursor_end"]] == "o.it"


def test_the_stop_button_kills_the_job_in_a_shell_notebook(start, client: LinkisClient):
    manager, kc = start("linkis-shell")
    assert kc.kernel_info(reply=True, timeout=TIMEOUT)["content"]["language_info"]["name"] == "bash"
    msg_id = kc.execute("echo kernel-started; sleep 30")

    def running() -> list[dict]:
        tasks, _ = client.list_jobs(pageSize=20)
        return [t for t in tasks if t["status"] == "Running" and "kernel-started" in (t.get("executionCode") or "")]

    wait_for(running, 30, what="the job to run")
    task_id = running()[0]["taskID"]
    manager.interrupt_kernel()
    while True:
        reply = kc.get_shell_msg(timeout=TIMEOUT)
        if reply["parent_header"].get("msg_id") == msg_id:
            break
    assert reply["content"]["status"] == "error" and reply["content"]["ename"] == "JobInterrupted"
    assert reply["content"]["evalue"].startswith(f"killed task {task_id} after it ran ")  # as the magic says it
    assert client.job_info(task_id)["status"] == "Cancelled"


def test_uninstall_removes_them(kernels_dir, monkeypatch):
    monkeypatch.setenv("JUPYTER_PATH", kernels_dir)
    done = subprocess.run([sys.executable, "-m", "linkis_magic.cli", "kernels", "uninstall"],
                          capture_output=True, text=True, timeout=60, env={**_environ(), "JUPYTER_PATH": kernels_dir})
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("removed ") == 4
    assert not NAMES & set(KernelSpecManager().find_kernel_specs())
    again = subprocess.run([sys.executable, "-m", "linkis_magic.cli", "kernels", "uninstall"],
                           capture_output=True, text=True, timeout=60, env={**_environ(), "JUPYTER_PATH": kernels_dir})
    assert (again.returncode, again.stdout, again.stderr) == (0, "no Linkis kernels were installed\n", "")
