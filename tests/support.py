"""What many test suites ask: what the gateway recorded, a condition to wait for, a log listener.

Imported as ``tests.support`` (the repository root is on ``sys.path`` in every test run).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from linkis_magic.local.server import LocalLinkis


def count(gateway: LocalLinkis, suffix: str, since: int = 1) -> int:
    """Requests since the mark ``since`` (``gateway.mark()``) whose path ends with ``suffix``."""
    return sum(1 for record in gateway.requests_since(since) if record.path.endswith(suffix))


def kills(gateway: LocalLinkis, since: int = 1) -> list[dict]:
    """Query strings of the kill requests since the mark ``since``."""
    return [record.query for record in gateway.requests_since(since) if record.path.endswith("/kill")]


def wait_for(predicate: Callable[[], Any], timeout: float = 15.0) -> None:
    """Poll ``predicate`` until true; fail the test if it never becomes true."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached")
        time.sleep(0.02)


class LogLines:
    """A job listener that keeps the log lines it is given (and nothing else, so ``Job.wait``
    reads the log but not the progress)."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def on_log(self, job: Any, lines: list[str]) -> None:
        self.lines.extend(lines)
