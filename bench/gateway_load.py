"""Gateway load: 50 concurrent jobs from 5 users through the Python API; all must complete, and
the reads our waiting clients repeat stay fast (p99, measured client side).

Each user is a client process of its own, as five notebooks would be, running its 10 jobs from
10 threads; all 50 start at one instant. The gateway stays alone in the bench process. The
baseline is the same 50 jobs waited for by the Java SDK's 1 s loop (§11.1). Every GET a waiting
client sends is timed: ours are mostly entrance log reads (the live view's heartbeat) and some
job-history reads; the Java SDK loop's are job history, progress and log. The note also gives the
p99 when all 50 jobs share one client process: there a read also waits for the GIL behind 49
other threads, which is the client's cost, not the gateway's.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from baselines import PlainLinkis, java_sdk_wait  # noqa: E402
from harness import EXTRA_USERS, Bench, LiveView, Row, child_main, median, percentile, run_child  # noqa: E402

from linkis_magic.client import LinkisClient  # noqa: E402
from linkis_magic.errors import JobFailed  # noqa: E402
from linkis_magic.job import Job  # noqa: E402

JOBS = 50
USERS = tuple(name for name in EXTRA_USERS if name.startswith("load"))
JOB = "echo started; sleep 3; echo done"
TARGET_P99_MS = 25.0
#: Seconds between launching the client processes and their common start.
START_DELAY = 5.0


class TimedClient(LinkisClient):
    """Our client, timing each GET: the reads a waiting job repeats."""

    def __init__(self, *args, latencies: list[float], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.latencies = latencies

    def _envelope(self, method: str, path: str, *args, **kwargs):
        started = time.perf_counter()
        try:
            return super()._envelope(method, path, *args, **kwargs)
        finally:
            if method == "GET":
                self.latencies.append(time.perf_counter() - started)


class TimedPlain(PlainLinkis):
    """The baseline's session, timing each GET its loop sends."""

    def __init__(self, *args, latencies: list[float]) -> None:
        super().__init__(*args)
        self.latencies = latencies

    def call(self, method: str, path: str, **kwargs) -> dict:
        started = time.perf_counter()
        try:
            return super().call(method, path, **kwargs)
        finally:
            if method == "GET":
                self.latencies.append(time.perf_counter() - started)


def _ours(config: dict, user: str, latencies: list[float]) -> str:
    client = TimedClient(config["url"], user=user, token=config["tokens"][user], latencies=latencies)
    try:
        job = Job.submit(client, JOB, "shell")
        try:
            job.wait(listener=LiveView())
        except JobFailed:  # counted below as not succeeded, not a broken bench
            pass
        return job.status.value
    finally:
        client.close()


def _java(config: dict, user: str, latencies: list[float]) -> str:
    api = TimedPlain(config["url"], user, config["tokens"][user], latencies=latencies)
    try:
        exec_id, task_id = api.submit(JOB, "shell")
        return java_sdk_wait(api, exec_id, task_id)["status"]
    finally:
        api.close()


def child_load(config: dict) -> dict:
    """Start this process's jobs at ``config["start_at"]`` (wall clock, shared by every process)
    and wait for all; status latencies in ms."""
    wait: Callable[[dict, str, list[float]], str] = _ours if config["client"] == "ours" else _java
    users: list[str] = config["users"]
    latencies: list[float] = []
    late = max(0.0, time.time() - config["start_at"])  # still importing at the start: say so

    def one(index: int) -> str:
        time.sleep(max(0.0, config["start_at"] - time.time()))
        return wait(config, users[index % len(users)], latencies)

    with ThreadPoolExecutor(config["jobs"]) as pool:
        states = list(pool.map(one, range(config["jobs"])))
    return {"succeeded": states.count("Succeed"), "seconds": time.time() - config["start_at"], "late": late,
            "status_ms": [value * 1000 for value in latencies]}


def load(bench: Bench, client: str, processes: int) -> dict:
    """All 50 jobs from ``processes`` client processes, the users shared out among them."""
    start_at = time.time() + START_DELAY  # after every child has imported what it needs
    configs = [bench.child_config(mode="load", client=client, jobs=JOBS // processes, start_at=start_at,
                                  users=list(USERS[i::processes]))
               for i in range(processes)]
    before = bench.gateway.mark()
    with ThreadPoolExecutor(processes) as pool:
        parts = list(pool.map(lambda config: run_child("gateway_load.py", config), configs))
    return {"succeeded": sum(part["succeeded"] for part in parts),
            "seconds": max(part["seconds"] for part in parts),
            "status_ms": [value for part in parts for value in part["status_ms"]],
            "late": max(part["late"] for part in parts),
            "requests": len(bench.gateway.requests_since(before))}


def run(bench: Bench) -> list[Row]:
    ours, java = load(bench, "ours", len(USERS)), load(bench, "java", len(USERS))
    shared = load(bench, "ours", 1)
    p99, java_p99 = percentile(ours["status_ms"], 0.99), percentile(java["status_ms"], 0.99)
    complete = ours["succeeded"] == JOBS
    return [Row(
        f"gateway load: {JOBS} jobs, {len(USERS)} users: p99 poll read", p99, "ms", java_p99,
        "Java SDK loop's reads", f"all complete; p99 ≤ {TARGET_P99_MS:.0f} ms",
        complete and p99 <= TARGET_P99_MS,
        note=f"{ours['succeeded']}/{JOBS} succeeded in {ours['seconds']:.1f} s; median read "
             f"{median(ours['status_ms']):.1f} ms over {len(ours['status_ms'])} calls; {ours['requests']} "
             f"requests in all vs the Java SDK loop's {java['requests']} "
             f"({java['succeeded']}/{JOBS} succeeded, median {median(java['status_ms']):.1f} ms); "
             f"all {JOBS} jobs from one client process: p99 {percentile(shared['status_ms'], 0.99):.1f} ms "
             f"({shared['succeeded']}/{JOBS} succeeded)"
             + "".join(f"; a {name} client process reached the common start {run['late']:.1f} s late"
                       for name, run in (("ours", ours), ("java", java), ("one-process", shared)) if run["late"] > 0),
    )]


if __name__ == "__main__":
    if sys.argv[1:] == ["--child"]:
        child_main({"load": child_load})
    else:
        from run import main

        main(["gateway_load"])
