"""Completion latency: Tab in a ``%%linkis hive`` cell of a real ipykernel, with 1,000 tables of
50 columns each in the user's catalog, from ``complete_request`` sent to its reply received.

- first: the first Tab after ``t.`` in ``select t. from wide.t0500 t`` once a cell has connected:
  the catalog knows nothing yet, so the kernel asks ``/datasource/columns`` once;
- warm: the same Tab again (the columns known), and a Tab after ``from wide.t05`` (1,000 table
  names, filtered to eleven), 50 times each.

Baseline, in the same kernel and run: Tab after ``os.pa`` in a plain Python cell, what every Tab in
a notebook costs already (IPython's own completers and jedi).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import Bench, Row, median  # noqa: E402
from kernel import Kernel  # noqa: E402

USER = "comp1"
TABLES, COLUMNS, WARM = 1000, 50, 50
TARGET_FIRST_MS, TARGET_WARM_MS = 300.0, 20.0


def make_catalog(bench: Bench) -> None:
    """1,000 tables of 50 columns in database ``wide``, in jobs of 100 statements."""
    columns = ", ".join(f"c{n:02d} {'int' if n % 2 else 'string'}" for n in range(COLUMNS))
    with bench.client(USER) as client:
        client.run("CREATE DATABASE IF NOT EXISTS wide", engine="hive")
        for start in range(0, TABLES, 100):
            client.run(";\n".join(f"CREATE TABLE IF NOT EXISTS wide.t{n:04d} ({columns})"
                                  for n in range(start, start + 100)), engine="hive")


def complete_ms(kernel: Kernel, code: str, cursor: str) -> tuple[float, list[str]]:
    """Milliseconds from sending ``complete_request`` (cursor after ``cursor``) to its reply."""
    position = code.index(cursor) + len(cursor)
    started = time.perf_counter()
    msg_id = kernel.client.complete(code, position)
    while True:
        reply = kernel.client.get_shell_msg(timeout=60)
        if reply["parent_header"].get("msg_id") == msg_id:
            return (time.perf_counter() - started) * 1000, reply["content"]["matches"]


def run(bench: Bench) -> list[Row]:
    make_catalog(bench)
    columns_cell = "%%linkis hive\nselect t. from wide.t0500 t"
    tables_cell = "%%linkis hive\nselect * from wide.t05"
    python_cell = "import os\nos.pa"
    with Kernel(bench, user=USER) as kernel:
        kernel.execute("%%linkis hive --quiet\nselect 1 as connected")
        before = bench.requests_of(USER)
        first, matches = complete_ms(kernel, columns_cell, "select t.")
        asked = bench.requests_of(USER) - before
        assert len(matches) == COLUMNS, matches
        complete_ms(kernel, tables_cell, "wide.t05")  # fetch the table list once
        warm_columns = [complete_ms(kernel, columns_cell, "select t.")[0] for _ in range(WARM)]
        warm_tables = [complete_ms(kernel, tables_cell, "wide.t05")[0] for _ in range(WARM)]
        complete_ms(kernel, python_cell, "os.pa")
        python = [complete_ms(kernel, python_cell, "os.pa")[0] for _ in range(WARM)]
    warm = warm_columns + warm_tables
    python_p50 = median(python)
    note = (f"{TABLES} tables × {COLUMNS} columns; the first Tab sent {asked} catalog request(s); "
            f"warm: {WARM} Tabs after t. (p50 {median(warm_columns):.1f} ms) and {WARM} after wide.t05 "
            f"(p50 {median(warm_tables):.1f} ms); real kernel")
    return [
        Row("completion: first Tab (one catalog request)", first, "ms", python_p50, "Tab in a Python cell",
            f"≤ {TARGET_FIRST_MS:.0f} ms", first <= TARGET_FIRST_MS and asked == 1, samples=[first],
            baseline_samples=python, note=note),
        Row("completion: warm Tab, p50", median(warm), "ms", python_p50, "Tab in a Python cell",
            f"≤ {TARGET_WARM_MS:.0f} ms", median(warm) <= TARGET_WARM_MS, samples=warm, baseline_samples=python),
    ]


if __name__ == "__main__":
    from run import main

    main(["completion"])
