"""Log lag: how long a log line takes from the job writing it to the notebook showing it, and what
following the log costs in requests, for a job writing two lines a second for 30 s.

- ours: a ``%%linkis shell`` cell in a real ipykernel (``bench/kernel.py``) with the default
  widget view; a line counts as shown when the first iopub message holding it (the live panel's
  log, or the summary at the end) reaches the kernel client;
- the Java SDK's 1 s loop and linkis-cli's 2 s loop (``bench/baselines.py``): when their log read
  brings the line. Lines they never read (written after their last read of a running job) are
  left out of their figures and counted in the note.

Each line carries the wall-clock time the job wrote it (``date +%s.%N``); the job runs on this
machine, so there is one clock. The three run side by side, each as its own user, so the
gateway's request log tells their requests apart. One run of 60 lines each.
"""

from __future__ import annotations

import html
import re
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from baselines import PlainLinkis, cli_wait, java_sdk_wait  # noqa: E402
from harness import Bench, Row, percentile  # noqa: E402
from kernel import Kernel  # noqa: E402

LINES = 60
#: Two lines a second on average, 0.3 to 0.7 s apart: lines written on an exact period would stay
#: in one phase of a reader's own period and make its lag look better or worse than it is.
CODE = f'for i in $(seq 1 {LINES}); do echo "lag-$i $(date +%s.%N)"; sleep 0.$((3 + RANDOM % 5)); done'
MARK = re.compile(r"lag-(\d+) (\d+\.\d+)")
TARGET_P50, TARGET_P90, TARGET_RATE = 0.5, 1.0, 2.5


def lags_in(text: str, arrived: float, seen: dict[str, float]) -> None:
    """Note, for each line in ``text`` not seen before, how long after its writing it arrived."""
    for match in MARK.finditer(html.unescape(text)):
        seen.setdefault(match.group(1), arrived - float(match.group(2)))


def ours(bench: Bench, user: str) -> tuple[dict[str, float], float]:
    """``(lag per line, requests per second)`` of the cell."""
    with Kernel(bench, user) as kernel:
        before, started = bench.requests_of(user), time.time()
        run = kernel.execute("%%linkis shell\n" + CODE)
        requests = bench.requests_of(user) - before
    seen: dict[str, float] = {}
    for arrived, msg in run.messages:  # in arrival order
        content = msg["content"]
        if msg["msg_type"] == "comm_msg":
            value = content.get("data", {}).get("state", {}).get("value")
            if isinstance(value, str):
                lags_in(value, arrived, seen)
        elif msg["msg_type"] in ("display_data", "stream"):
            lags_in(str(content.get("data", {}).get("text/plain", content.get("text", ""))), arrived, seen)
    return seen, requests / (run.replied_at - started)


def baseline(bench: Bench, user: str, wait: Callable) -> tuple[dict[str, float], float]:
    api = PlainLinkis(bench.url, user, bench.token(user))
    seen: dict[str, float] = {}
    try:
        before, started = bench.requests_of(user), time.time()
        exec_id, task_id = api.submit(CODE, "shell")
        wait(api, exec_id, task_id, on_log=lambda text: lags_in(text, time.time(), seen))
        return seen, (bench.requests_of(user) - before) / (time.time() - started)
    finally:
        api.close()


def run(bench: Bench) -> list[Row]:
    with ThreadPoolExecutor(3) as pool:
        mine = pool.submit(ours, bench, "lag1")
        java = pool.submit(baseline, bench, "lag2", java_sdk_wait)
        cli = pool.submit(baseline, bench, "lag3", cli_wait)
        (lags, rate), (java_lags, java_rate), (cli_lags, cli_rate) = mine.result(), java.result(), cli.result()
    ours_lags, java_values = sorted(lags.values()), sorted(java_lags.values())
    cli_note = (f"linkis-cli's 2 s loop: p50 {percentile(list(cli_lags.values()), 0.5):.2f} s, "
                f"p90 {percentile(list(cli_lags.values()), 0.9):.2f} s, {cli_rate:.2f} req/s, "
                f"{LINES - len(cli_lags)} lines never read live")
    common = f"one run, {len(ours_lags)} of {LINES} lines; widget view in a real kernel"
    p50, p90 = percentile(ours_lags, 0.5), percentile(ours_lags, 0.9)
    return [
        Row("log lag p50: line written → in the cell", p50, "s", percentile(java_values, 0.5), "Java SDK 1 s loop",
            f"≤ {TARGET_P50} s", p50 <= TARGET_P50 and len(ours_lags) == LINES, samples=ours_lags,
            baseline_samples=java_values, note=f"{common}; {cli_note}"),
        Row("log lag p90: line written → in the cell", p90, "s", percentile(java_values, 0.9), "Java SDK 1 s loop",
            f"≤ {TARGET_P90} s", p90 <= TARGET_P90 and len(ours_lags) == LINES, samples=ours_lags,
            baseline_samples=java_values,
            note=f"{common}; the Java SDK loop never read {LINES - len(java_values)} lines live"),
        Row("requests/s while a job writes 2 lines/s", rate, "req/s", java_rate, "Java SDK 1 s loop",
            f"≤ {TARGET_RATE}/s", rate <= TARGET_RATE, note=f"one 30 s job each; linkis-cli {cli_rate:.2f} req/s"),
    ]


if __name__ == "__main__":
    from run import main

    main(["log_lag"])
