"""What many test suites ask: what the gateway recorded, a condition to wait for, a job listener
that records, the process's open descriptors.

Imported as ``tests.support`` (the repository root is on ``sys.path`` in every test run).
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from typing import Any

from linkis_magic.job import Job
from linkis_magic.local.server import LocalLinkis
from linkis_magic.protocol import JobStatus


def count(gateway: LocalLinkis, suffix: str, since: int = 1) -> int:
    """Requests since the mark ``since`` (``gateway.mark()``) whose path ends with ``suffix``."""
    return sum(1 for record in gateway.requests_since(since) if record.path.endswith(suffix))


def kills(gateway: LocalLinkis, since: int = 1) -> list[dict]:
    """Query strings of the kill requests since the mark ``since``."""
    return [record.query for record in gateway.requests_since(since) if record.path.endswith("/kill")]


def wait_for(predicate: Callable[[], Any], timeout: float = 15.0, *, what: str = "the condition") -> None:
    """Poll ``predicate`` until true; fail the test, naming ``what``, if it is not within ``timeout``."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(0.02)


def our_threads() -> int:
    """Threads of this process but two bounded pools that grow lazily with concurrent work: the
    in-process gateway's request pool (AnyIO's workers, which come and go with the load and idle
    out after 10 s) and the client's result reads (``linkis_magic.job._READS``: a
    ThreadPoolExecutor adds a thread whenever a read finds none idle, never past its
    ``max_workers``)."""
    return sum(1 for thread in threading.enumerate()
               if thread.name != "AnyIO worker thread" and not thread.name.startswith("linkis-read"))


def open_descriptors() -> tuple[int, int]:
    """``(all open file descriptors, sockets)`` of this process, client and gateway sides alike."""
    links = []
    for fd in os.listdir("/proc/self/fd"):
        try:
            links.append(os.readlink(f"/proc/self/fd/{fd}"))
        except OSError:  # the listing's own descriptor, closed already
            continue
    return len(links), sum(link.startswith("socket:") for link in links)


class Recorder:
    """A job listener that keeps every event it is given.

    ``Recorder(progress=False)`` has no ``on_progress``, so ``Job.wait`` reads the log but not the
    progress (a listener's hooks say what it wants followed).
    """

    def __init__(self, *, progress: bool = True) -> None:
        self.wait_starts = 0
        self.states: list[JobStatus] = []
        self.lines: list[str] = []
        self.progress: list[float] = []
        self.running = threading.Event()  # set once the wait has seen the job run
        if not progress:
            self.on_progress = None  # not callable: the job reads no progress for this listener

    def on_wait_start(self, job: Job) -> None:
        self.wait_starts += 1

    def on_state(self, job: Job) -> None:
        self.states.append(job.status)
        if job.status is JobStatus.RUNNING:
            self.running.set()

    def on_progress(self, job: Job) -> None:
        self.progress.append(job.progress)

    def on_log(self, job: Job, lines: list[str]) -> None:
        self.lines.extend(lines)


def logged_lines(job: Job) -> list[str]:
    """The job's whole log from the log file, blank lines dropped (as listeners get it)."""
    return [line for line in job.log_text().splitlines() if line.strip()]
