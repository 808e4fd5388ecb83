"""Helpers for the magic tests: real SIGINTs from a thread."""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable


class Interrupter:
    """Sends real SIGINTs to the main thread from a timer thread when conditions hold."""

    def __init__(self, *conditions: Callable[[], bool]) -> None:
        self.conditions = conditions
        self.sent = 0
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        for condition in self.conditions:
            deadline = time.monotonic() + 30
            while not condition():
                if time.monotonic() > deadline:
                    return  # never interrupt at a random moment; the test then fails on its own
                time.sleep(0.02)
            signal.pthread_kill(threading.main_thread().ident, signal.SIGINT)
            self.sent += 1

    def join(self) -> None:
        self.thread.join(timeout=35)
