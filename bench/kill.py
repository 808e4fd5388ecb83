"""Kill: a real SIGINT during ``Job.wait()`` (or a ``%%linkis`` cell) until the gateway records
Cancelled, and until the wait raises ``JobInterrupted``.

The SIGINT comes from a timer thread (``signal.pthread_kill`` to the main thread), as Ctrl-C or
the stop button deliver it, at a different moment of the poll schedule each time. The gateway's
record is the job-history ``updatedTime`` of the Cancelled row (§4.6, §7.1).
"""

from __future__ import annotations

import signal
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from baselines import PlainLinkis, java_sdk_wait  # noqa: E402
from harness import Bench, LiveView, Row, ipython_shell, median, now_ms  # noqa: E402
from IPython.utils.capture import capture_output  # noqa: E402

from linkis_magic.errors import JobInterrupted  # noqa: E402
from linkis_magic.job import Job  # noqa: E402

#: Seconds after the job runs before the SIGINT: different phases of the poll schedule.
DELAYS = (0.3, 0.75, 1.2, 1.7, 2.3)
JOB = "sleep 30"
TARGET_CANCELLED_MS = 150.0
TARGET_RETURN_MS = 300.0


class Interrupt:
    """A SIGINT to the main thread ``delay`` seconds after the job ``task_id()`` runs.

    Whether it runs is asked through a session of its own, not the one being measured.
    """

    def __init__(self, bench: Bench, task_id: Callable[[], int | None], delay: float) -> None:
        self.sent_ms = 0.0
        self.failure = ""
        self._main = threading.main_thread().ident
        self._watcher = PlainLinkis(bench.url, bench.gateway.user, bench.token())
        self._thread = threading.Thread(target=self._fire, args=(task_id, delay), daemon=True)
        self._thread.start()

    def _running(self, task_id: int | None) -> bool:
        return task_id is not None and self._watcher.job_info(task_id)["status"] == "Running"

    def _fire(self, task_id: Callable[[], int | None], delay: float) -> None:
        deadline = time.monotonic() + 20
        try:
            while not self._running(task_id()):
                if time.monotonic() > deadline:
                    self.failure = "the job was not seen Running within 20 s"
                    return  # never interrupt at a random moment
                time.sleep(0.02)
        except Exception as error:  # reported by join(), in the main thread
            self.failure = f"watching the job failed: {error!r}"
            return
        finally:
            self._watcher.close()
        time.sleep(delay)
        self.sent_ms = now_ms()
        signal.pthread_kill(self._main, signal.SIGINT)

    def join(self) -> None:
        """Wait for the thread; raise if it never sent the SIGINT."""
        self._thread.join(30)
        if self.failure:
            raise RuntimeError(f"no SIGINT sent: {self.failure}")


def cancelled_ms(bench: Bench, task_id: int) -> float:
    with bench.client() as client:
        info = client.job_info(task_id)
    assert info["status"] == "Cancelled", f"task {task_id} ended {info['status']}, not Cancelled"
    return float(info["updatedTime"])


def ours(bench: Bench, delay: float) -> tuple[float, float]:
    """``(SIGINT -> Cancelled, SIGINT -> JobInterrupted)`` in ms for ``Job.wait`` with a listener."""
    with bench.client() as client:
        job = Job.submit(client, JOB, "shell")
        interrupt = Interrupt(bench, lambda: job.task_id, delay)
        try:
            job.wait(listener=LiveView())
        except JobInterrupted:
            raised = now_ms()
        else:
            interrupt.join()
            raise RuntimeError(f"Job.wait() returned {job.status.value} despite the SIGINT")
    interrupt.join()
    return cancelled_ms(bench, job.task_id) - interrupt.sent_ms, raised - interrupt.sent_ms


def magic(bench: Bench, shell, delay: float) -> tuple[float, float]:
    """The same through ``%%linkis shell --progress text``."""
    last = shell.user_ns.get("_linkis_last")
    current = lambda: None if shell.user_ns.get("_linkis_last") is last else shell.user_ns["_linkis_last"].task_id  # noqa: E731
    interrupt = Interrupt(bench, current, delay)
    try:
        with capture_output():
            shell.run_cell_magic("linkis", "shell --progress text", JOB)
    except JobInterrupted as error:
        returned = now_ms()
        task_id = error.task_id
    else:
        interrupt.join()
        raise RuntimeError("the %%linkis cell returned despite the SIGINT")
    interrupt.join()
    return cancelled_ms(bench, task_id) - interrupt.sent_ms, returned - interrupt.sent_ms


def baseline(bench: Bench, delay: float) -> tuple[float, float]:
    """The Java SDK's loop: Ctrl-C kills, then polls job history every second until terminal."""
    api = PlainLinkis(bench.url, bench.gateway.user, bench.token())
    try:
        exec_id, task_id = api.submit(JOB, "shell")
        interrupt = Interrupt(bench, lambda: task_id, delay)
        java_sdk_wait(api, exec_id, task_id)
        returned = now_ms()
        interrupt.join()
    finally:
        api.close()
    return cancelled_ms(bench, task_id) - interrupt.sent_ms, returned - interrupt.sent_ms


def run(bench: Bench) -> list[Row]:
    if signal.getsignal(signal.SIGINT) in (signal.SIG_IGN, signal.SIG_DFL):
        # A shell starts a background job (make bench &) with SIGINT ignored, and Python keeps it
        # so; a kernel installs its own handling, so the measured wait gets Python's.
        signal.signal(signal.SIGINT, signal.default_int_handler)
    api = [ours(bench, delay) for delay in DELAYS]
    with ipython_shell(bench) as shell:
        cells = [magic(bench, shell, delay) for delay in DELAYS]
    java = [baseline(bench, delay) for delay in DELAYS]
    to_cancel, to_raise = [a for a, _ in api], [b for _, b in api]
    cell_cancel, cell_return = [a for a, _ in cells], [b for _, b in cells]
    java_cancel, java_return = [a for a, _ in java], [b for _, b in java]
    return [
        Row("kill: Ctrl-C → gateway records Cancelled", median(to_cancel), "ms", median(java_cancel),
            "Java SDK loop", f"≤ {TARGET_CANCELLED_MS:.0f} ms", median(to_cancel) <= TARGET_CANCELLED_MS,
            samples=to_cancel, baseline_samples=java_cancel,
            note=f"through %%linkis: median {median(cell_cancel):.0f} ms"),
        Row("kill: Ctrl-C → %%linkis returns", median(cell_return), "ms", median(java_return),
            "Java SDK loop", f"≤ {TARGET_RETURN_MS:.0f} ms", median(cell_return) <= TARGET_RETURN_MS,
            samples=cell_return, baseline_samples=java_return,
            note=f"Job.wait() raising JobInterrupted: median {median(to_raise):.0f} ms"),
    ]


if __name__ == "__main__":
    from run import main

    main(["kill"])
