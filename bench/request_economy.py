"""Request economy: requests the gateway sees per quiet job while a live view consumes logs and progress.

Jobs of 1 s, 10 s and 60 s that write a line when they start and one when they end (a job that
writes steadily is ``log_lag``'s). Our ``Job.wait`` (with a listener taking logs and progress, as
the live view does), the Java SDK's 1 s loop and linkis-cli's 2 s loop run side by side, each as
its own user, so the gateway's request log tells them apart.
"""

from __future__ import annotations

import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from baselines import PlainLinkis, cli_wait, java_sdk_wait  # noqa: E402
from harness import Bench, LiveView, Row, median  # noqa: E402

from linkis_magic.job import Job  # noqa: E402

#: Job length in seconds -> how many times it runs (the short ones repeat while the long one runs).
PLAN = {1: 5, 10: 3, 60: 1}
CLIENTS = ("ours", "java", "cli")
TARGET_SHORT = 15
TARGET_RATE = 1.2


def code(seconds: int) -> str:
    return f"echo started; sleep {seconds}; echo done"


def one_job(bench: Bench, client: str, user: str, seconds: int) -> tuple[int, float]:
    """``(requests, seconds from submit to return)`` of one job."""
    before = bench.requests_of(user)
    started = time.monotonic()
    if client == "ours":
        with bench.client(user) as ours:
            Job.submit(ours, code(seconds), "shell").wait(listener=LiveView())
    else:
        api = PlainLinkis(bench.url, user, bench.token(user))
        try:
            exec_id, task_id = api.submit(code(seconds), "shell")
            (java_sdk_wait if client == "java" else cli_wait)(api, exec_id, task_id)
        finally:
            api.close()
    return bench.requests_of(user) - before, time.monotonic() - started


def series(bench: Bench, client: str, user: str, seconds: int) -> list[tuple[int, float]]:
    return [one_job(bench, client, user, seconds) for _ in range(PLAN[seconds])]


def run(bench: Bench) -> list[Row]:
    plan = [(client, seconds) for seconds in PLAN for client in CLIENTS]
    with ThreadPoolExecutor(len(plan)) as pool:
        futures = {key: pool.submit(series, bench, *key[:1], f"eco{i + 1}", key[1])
                   for i, key in enumerate(plan)}
        got = {key: future.result() for key, future in futures.items()}

    def count(client: str, seconds: int) -> float:
        return median([n for n, _ in got[client, seconds]])

    def rate(client: str) -> float:
        return median([n / elapsed for n, elapsed in got[client, 60]])

    cli = ", ".join(f"{s} s: {count('cli', s):.0f}" for s in PLAN)
    return [
        Row("requests per quiet 1 s job (live view)", count("ours", 1), "req", count("java", 1), "Java SDK 1 s loop",
            f"≤ {TARGET_SHORT}", count("ours", 1) <= TARGET_SHORT,
            samples=[n for n, _ in got["ours", 1]], baseline_samples=[n for n, _ in got["java", 1]],
            note=f"linkis-cli's 2 s loop per job: {cli}"),
        Row("requests per quiet 10 s job (live view)", count("ours", 10), "req", count("java", 10),
            "Java SDK 1 s loop", "—", None, samples=[n for n, _ in got["ours", 10]],
            baseline_samples=[n for n, _ in got["java", 10]]),
        Row("requests/s over a quiet 60 s job (live view)", rate("ours"), "req/s", rate("java"), "Java SDK 1 s loop",
            f"≤ {TARGET_RATE}/s", rate("ours") <= TARGET_RATE,
            note=f"{count('ours', 60):.0f} requests in {got['ours', 60][0][1]:.1f} s; Java SDK loop "
                 f"{count('java', 60):.0f}, linkis-cli {count('cli', 60):.0f}"),
    ]


if __name__ == "__main__":
    from run import main

    main(["request_economy"])
