"""Overhead: ``%load_ext linkis_magic`` in a fresh process, and a trivial ``%%linkis`` cell beyond
the job's own time on the gateway.

- load_ext: a fresh Python times ``%load_ext linkis_magic`` in an IPython shell it made; the note
  gives what the user waited for anyway (starting Python, importing IPython and making the
  shell), with no ratio: the load is not a share of it.
- a cell: ``%%linkis hive`` with ``select 1`` in an in-process shell, less the job's own time as
  the gateway recorded it (``updatedTime - createdTime``, §7.1); the baseline is the Java SDK's
  loop plus a naive read of the result page, less the same job time.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from baselines import PlainLinkis, java_sdk_wait, naive_frame  # noqa: E402
from harness import Bench, Row, ipython_shell, median  # noqa: E402
from IPython.utils.capture import capture_output  # noqa: E402

PROCESSES = 5
CELLS = 7
TARGET_LOAD_MS = 100.0
TARGET_CELL_MS = 150.0
CELL = "select 1 as x"
#: A fresh interpreter: make an IPython shell, then time %load_ext alone.
LOAD_EXT = """
import json, time
from IPython.core.interactiveshell import InteractiveShell
shell = InteractiveShell.instance()
started = time.perf_counter()
shell.run_line_magic("load_ext", "linkis_magic")
print(json.dumps(time.perf_counter() - started))
"""
IPYTHON_ONLY = "from IPython.core.interactiveshell import InteractiveShell; InteractiveShell.instance()"


def load_ext_ms() -> float:
    done = subprocess.run([sys.executable, "-c", LOAD_EXT], capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1]) * 1000


def ipython_start_ms() -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", IPYTHON_ONLY], capture_output=True, check=True)
    return (time.perf_counter() - started) * 1000


def job_ms(info: dict) -> float:
    return float(info["updatedTime"] - info["createdTime"])


def cell_ms(shell) -> float:
    started = time.perf_counter()
    with capture_output():
        shell.run_cell_magic("linkis", "hive --progress none", CELL)
    wall = (time.perf_counter() - started) * 1000
    return wall - job_ms(shell.user_ns["_linkis_last"].task)


def baseline_cell_ms(bench: Bench) -> float:
    api = PlainLinkis(bench.url, bench.gateway.user, bench.token())
    try:
        started = time.perf_counter()
        exec_id, task_id = api.submit(CELL, "hive")
        info = java_sdk_wait(api, exec_id, task_id)
        tree = api.call("GET", "/filesystem/getDirFileTrees", params={"path": info["resultLocation"]})
        naive_frame(api, tree["dirFileTrees"]["children"][0]["path"])
        return (time.perf_counter() - started) * 1000 - job_ms(info)
    finally:
        api.close()


def run(bench: Bench) -> list[Row]:
    loads, starts = [], []
    for _ in range(PROCESSES):
        loads.append(load_ext_ms())
        starts.append(ipython_start_ms())
    with ipython_shell(bench) as shell:
        cell_ms(shell)  # warm up: the hive engine, the client's connection
        cells = [cell_ms(shell) for _ in range(CELLS)]
    java = [baseline_cell_ms(bench) for _ in range(CELLS)]
    return [
        # No ratio: the load is not a share of the start; the start says what the user waits anyway.
        Row("overhead: %load_ext linkis_magic", median(loads), "ms", None, "—", f"≤ {TARGET_LOAD_MS:.0f} ms",
            median(loads) <= TARGET_LOAD_MS, samples=loads,
            note=f"{PROCESSES} fresh processes; starting python with an IPython shell takes {median(starts):.0f} ms"),
        Row("overhead: trivial %%linkis cell beyond the job", median(cells), "ms", median(java),
            "Java SDK loop + result page", f"≤ {TARGET_CELL_MS:.0f} ms", median(cells) <= TARGET_CELL_MS,
            samples=cells, baseline_samples=java, note=f"{CELLS} cells, no view (--progress none), in-process shell"),
    ]


if __name__ == "__main__":
    from run import main

    main(["overhead"])
