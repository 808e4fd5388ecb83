"""Background cells: ``%%linkis ENGINE --bg [-o VAR]`` returns at once and the job is followed on
a thread, while other cells run or the kernel is idle.

The thread runs the same ``Job.wait`` a cell runs, reporting to the view the cell displayed. It
starts in a copy of the cell's ``contextvars`` context, so what it sends carries that cell's
parent header (docs/jupyter.md §2): widget updates go by comm id, and the end replaces the view
in place by ``display_id`` (a new ``display()`` from the thread would land in whichever cell runs
then). Nothing it does raises into another cell: how the job ended is shown in its own view and
kept here, and ``%linkis wait TASK`` raises it where the user asked for it.

The stop button interrupts the main thread only, so it never reaches a background job;
``%linkis kill TASK`` does, and a job still running when the kernel shuts down is killed unless
``LinkisMagics.kill_on_exit`` is False.
"""

from __future__ import annotations

import contextvars
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from linkis_magic.results import last_table

if TYPE_CHECKING:
    import pandas as pd

    from linkis_magic.job import Job
    from linkis_magic.view import JobView


class BackgroundCell:
    """One background cell: its job, the thread that follows it, and how it ended.

    The notebook reaches these as ``_linkis_jobs[TASK]``: ``result`` is the last table (also in
    the cell's ``-o VAR``), ``texts`` its text results, ``error`` what ended it otherwise,
    ``wait()`` blocks until the end.
    """

    def __init__(self, job: Job, view: JobView, *, output: str | None, timeout: float | None,
                 limit: int | None, on_end: Callable[[BackgroundCell], None]) -> None:
        self.job = job
        self.view = view
        self.output = output  # the -o variable that gets the result
        self.result: pd.DataFrame | None = None
        self.texts: list[str] = []
        self.error: Exception | None = None
        self._timeout, self._limit, self._on_end = timeout, limit, on_end
        self._ended = threading.Event()

    def __repr__(self) -> str:
        state = self.job.status.value if self.done else f"{self.job.status.value}, in the background"
        return f"<Linkis task {self.job.task_id}: {state}>"

    @property
    def done(self) -> bool:
        """Whether the job ended and everything about its end is known and shown."""
        return self._ended.is_set()

    def start(self) -> BackgroundCell:
        run = contextvars.copy_context().run  # the cell's parent header travels with the thread
        threading.Thread(target=run, args=(self._follow,), daemon=True,
                         name=f"linkis-bg-{self.job.task_id}").start()
        return self

    def wait(self) -> pd.DataFrame | None:
        """Block until the job ended; its last table, or raise what ended it. An interrupt
        (the stop button) stops the waiting, not the job."""
        while not self._ended.wait(0.1):
            pass
        if self.error is not None:
            raise self.error.with_traceback(None)  # each wait shows it afresh, not stacked
        return self.result

    def _follow(self) -> None:
        self.view.adopt()
        try:
            self.job.wait(timeout=self._timeout, listener=self.view, list_results=True)
            self.result = last_table(self.job.results, self._limit)
            self.texts = [rs.text() for rs in self.job.results if rs.kind == "text"]
        except Exception as error:  # shown in the cell's own view, raised by wait(): never elsewhere
            self.error = error
        try:
            self._on_end(self)  # -o, the kernel's list of running jobs, the catalog
        except Exception as error:
            self.error = self.error or error
        try:
            self.view.end_in_place(self.job, frame=self.result, texts=self.texts, error=self.error)
        except Exception:  # noqa: S110  the kernel may be going away: nothing is left to show it in
            pass
        finally:
            self._ended.set()


def running(cells: dict[int, BackgroundCell]) -> list[dict[str, Any]]:
    """The rows of ``%linkis jobs --running``: background cells whose job has not ended."""
    return [{"taskID": cell.job.task_id, "engine": getattr(cell.job.spec, "engine_type", None),
             "status": cell.job.status.value, "progress": cell.job.progress,
             "elapsed": round(cell.job.elapsed, 1), "output": cell.output}
            for cell in cells.values() if not cell.done]
