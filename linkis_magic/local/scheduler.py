"""One thread that runs callbacks at given times: the entrance's work that waits (closing an ended
job a moment after history shows its end, §4.4.1), without a thread per job."""

from __future__ import annotations

import heapq
import itertools
import threading
import time
from collections.abc import Callable


class Scheduler:
    """Runs ``fn()`` at ``time.monotonic() >= when``, one callback at a time, in order."""

    def __init__(self, name: str) -> None:
        self._queue: list[tuple[float, int, Callable[[], None]]] = []
        self._order = itertools.count()
        self._wake = threading.Condition()
        self._stopped = False
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def call_at(self, when: float, fn: Callable[[], None]) -> None:
        with self._wake:
            heapq.heappush(self._queue, (when, next(self._order), fn))
            self._wake.notify()

    def _run(self) -> None:
        while True:
            with self._wake:
                while not self._stopped and (not self._queue or self._queue[0][0] > time.monotonic()):
                    self._wake.wait(self._queue[0][0] - time.monotonic() if self._queue else None)
                if self._stopped:
                    return
                _, _, fn = heapq.heappop(self._queue)
            fn()

    def stop(self) -> list[Callable[[], None]]:
        """Stop the thread; return the callbacks that had not run yet, in order."""
        with self._wake:
            self._stopped = True
            pending = [fn for _, _, fn in sorted(self._queue)]
            self._queue.clear()
            self._wake.notify()
        self._thread.join(5.0)
        return pending
