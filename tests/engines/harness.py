"""A small real ExecutionContext for driving engines directly, and helpers to watch them."""

from __future__ import annotations

import itertools
import os
import threading
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

_task_ids = itertools.count(1)


@dataclass
class RecordingContext:
    """Collects what an engine reports for one job: log lines, progress, result sets."""

    engine: str
    run_type: str
    code: str
    user_dir: Path
    user: str = "alice"
    creator: str = "IDE"
    task_id: int = field(default_factory=lambda: next(_task_ids))
    cancelled: threading.Event = field(default_factory=threading.Event)
    logs: list[tuple[str, str]] = field(default_factory=list)
    progress: list[tuple[float, list[dict]]] = field(default_factory=list)
    results: list[tuple[str, Any]] = field(default_factory=list)

    def log(self, level: str, message: str) -> None:
        self.logs.append((level, message))

    def set_progress(self, progress: float, stages: Sequence[dict] = ()) -> None:
        self.progress.append((progress, list(stages)))

    def write_table(self, columns: Sequence[tuple[str, str]], rows: Iterable[Sequence[Any]]) -> None:
        self.results.append(("table", (list(columns), [list(row) for row in rows])))

    def write_text(self, text: str) -> None:
        self.results.append(("text", text))

    def log_text(self, level: str | None = None) -> str:
        return "\n".join(message for lvl, message in self.logs if level in (None, lvl))

    def tables(self) -> Iterator[tuple[list, list]]:
        return (value for kind, value in self.results if kind == "table")

    def texts(self) -> list[str]:
        return [value for kind, value in self.results if kind == "text"]


def run_in_thread(engine, ctx: RecordingContext) -> tuple[threading.Thread, dict]:
    """Start ``engine.execute(ctx)`` on a thread; the dict gets "error" if it raised."""
    outcome: dict = {}

    def target() -> None:
        try:
            engine.execute(ctx)
        except Exception as e:  # the test inspects what execute raised
            outcome["error"] = e

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    return thread, outcome


def cancel(engine, ctx: RecordingContext) -> None:
    """Kill a job the way the runner does: set the flag, then ask the engine to stop."""
    ctx.cancelled.set()
    engine.cancel(ctx)


def process_gone(pid: int) -> bool:
    """True once ``pid`` has exited and been reaped (a zombie still counts as present)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False
