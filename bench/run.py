"""Run the benchmarks (README, Performance) against the embedded local Linkis and print the table.

    .venv/bin/python bench/run.py                  # every bench; writes bench/results.json
    .venv/bin/python bench/run.py kill overhead    # some of them; prints only

Each bench is a module here with ``run(bench) -> list[Row]``; all share one gateway on loopback,
started here and stopped at the end.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import json
import os
import platform
import sys
import time
import traceback
from collections.abc import Sequence
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import BENCH_DIR, Bench, Row, fmt  # noqa: E402

BENCHES = ("finish_latency", "log_lag", "request_economy", "kill", "result_throughput", "overhead", "gateway_load",
           "completion", "export")
HEADERS = ("bench", "figure", "baseline", "ratio / difference", "target", "result")


def machine() -> str:
    """CPU model, cores and Python, for the README's Performance section."""
    model = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{model}, {os.cpu_count()} cores, {platform.system()} {platform.release()}, " \
           f"Python {platform.python_version()}"


def cells(row: Row) -> tuple[str, ...]:
    verdict = "—" if row.passed is None else "pass" if row.passed else "MISS"
    baseline = f"{fmt(row.baseline, row.unit)} ({row.baseline_name})" if row.baseline is not None \
        else row.baseline_name or "—"
    return row.bench, fmt(row.figure, row.unit), baseline, row.comparison(), row.target, verdict


def table(rows: Sequence[Row]) -> str:
    """A Markdown table, readable in a terminal and ready for the README."""
    lines = [HEADERS, *(cells(row) for row in rows)]
    widths = [max(len(line[i]) for line in lines) for i in range(len(HEADERS))]
    render = ["| " + " | ".join(text.ljust(width) for text, width in zip(line, widths)) + " |" for line in lines]
    render.insert(1, "|" + "|".join("-" * (width + 2) for width in widths) + "|")
    notes = [f"- {row.bench}: {row.note}" for row in rows if row.note]
    return "\n".join(render + ([""] + notes if notes else []))


def run_one(name: str, bench: Bench) -> list[Row]:
    """One bench's rows; a bench that breaks gives a failed row saying why, and the rest run.

    Each bench starts as if it ran alone: what the benches before it left in this process (which
    hosts the gateway) is collected and then frozen out of the collector's sight while it runs.
    Without that, a full collection walking some 160,000 older objects stalled the gateway for
    84 ms in the middle of the gateway-load bench, which then missed its p99 in full runs only.
    """
    gc.collect()
    gc.freeze()
    try:
        return importlib.import_module(name).run(bench)
    except Exception as error:  # report and go on: one broken bench must not hide the others
        traceback.print_exc()
        return [Row(name, float("nan"), "", None, "", "—", False, note=f"failed: {error!r}")]
    finally:
        gc.unfreeze()  # frozen objects are never collected: what dies later is freed before the next


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("benches", nargs="*", help=f"benches to run (default: all of {', '.join(BENCHES)})")
    names = parser.parse_args(argv).benches or list(BENCHES)
    unknown = sorted(set(names) - set(BENCHES))
    if unknown:
        parser.error(f"unknown bench {', '.join(unknown)}; choose from {', '.join(BENCHES)}")
    started = time.monotonic()
    rows: list[Row] = []
    with Bench() as bench:
        for name in names:
            begun = time.monotonic()
            print(f"running {name} ...", file=sys.stderr, flush=True)
            rows.extend(run_one(name, bench))
            print(f"  {name}: {time.monotonic() - begun:.0f} s", file=sys.stderr, flush=True)
    elapsed = time.monotonic() - started
    when = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    where = machine()
    print(f"\nlinkis-magic benchmarks, {when}, {where} ({elapsed:.0f} s)\n")
    print(table(rows))
    if list(names) == list(BENCHES):
        report = {"date": when, "machine": where, "seconds": round(elapsed, 1),
                  "rows": [row.as_json() for row in rows]}
        (BENCH_DIR / "results.json").write_text(json.dumps(report, indent=1, ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
