"""The contract between the local gateway's job runner and its engines.

The job runner (``local/jobs.py``) owns a job's state, log and result files; an engine only runs
code. It gets an :class:`ExecutionContext` from the runner, runs the code in
:meth:`Engine.execute` (on a worker thread of the runner), and reports through the context:
log lines, progress, result sets. ``execute`` returns normally on success and raises
:class:`EngineError` on failure. :meth:`Engine.cancel` is called from another thread when the job
is killed; ``execute`` must then return (or raise) promptly, and the runner records ``Cancelled``.
"""

from __future__ import annotations

import abc
import threading
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, Protocol


class EngineError(Exception):
    """The code failed; the message becomes the job's errDesc and an ERROR log line."""

    def __init__(self, message: str, err_code: int = 43042) -> None:
        super().__init__(message)
        self.err_code = err_code


class ExecutionContext(Protocol):
    """What an engine sees of one job. Implemented by the job runner."""

    task_id: int
    user: str
    creator: str
    engine: str  # engine name without version: "hive", "spark", "trino", "python", "shell", ...
    run_type: str  # "hql", "sql", "tsql", "psql", "jdbc", "python", "py", "shell", ...
    code: str  # after ${variable} substitution
    user_dir: Path  # this user's private directory in the data dir (DuckDB file, scratch files)
    cancelled: threading.Event  # set by the runner when the job is killed

    def log(self, level: str, message: str) -> None:
        """Append a log line; ``level`` is "INFO", "WARN" or "ERROR". Multi-line text allowed."""

    def set_progress(self, progress: float, stages: Sequence[dict] = ()) -> None:
        """Report progress in [0, 1] and optional ``progressInfo`` stages
        (``{"id", "succeedTasks", "failedTasks", "runningTasks", "totalTasks"}``)."""

    def write_table(self, columns: Sequence[tuple[str, str]], rows: Iterable[Sequence[Any]]) -> None:
        """Write one TABLE result set. ``columns`` are ``(name, linkis dataType)`` pairs (§8.2 names:
        int, bigint, double, decimal, string, boolean, date, timestamp, ...). Row values are Python
        objects (int, float, Decimal, str, bool, date, datetime, None for SQL NULL); the runner
        turns them into Linkis cell strings."""

    def write_text(self, text: str) -> None:
        """Write one TEXT result set."""


class Engine(abc.ABC):
    """One engine instance; the pool decides how instances are shared (per user, per creator)."""

    @abc.abstractmethod
    def execute(self, ctx: ExecutionContext) -> None:
        """Run ``ctx.code``; raise :class:`EngineError` on failure."""

    @abc.abstractmethod
    def cancel(self, ctx: ExecutionContext) -> None:
        """Stop the running ``ctx`` job as fast as possible (called from another thread)."""

    def close(self) -> None:
        """Release processes and connections (gateway shutdown)."""
