"""The shell engine of the local gateway: each job is ``bash -c code`` in its own session.

Stdout lines are logged at INFO as they come and the whole stdout becomes a TEXT result set;
stderr lines are logged as WARN. The job runs in a scratch directory of the user, in a new
session (``start_new_session``), so a kill can stop the whole process group and a Jupyter kernel
interrupt never reaches it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO

from .base import Engine, EngineError, ExecutionContext

_KILL_GRACE_SECONDS = 2.0


class ShellEngine(Engine):
    """Runs each shell job of one user as a bash process group."""

    def __init__(self, tmp_dir: Path) -> None:
        self._tmp_dir = tmp_dir
        self._lock = threading.Lock()
        self._running: dict[int, subprocess.Popen[str]] = {}

    def execute(self, ctx: ExecutionContext) -> None:
        """Run the code; raise EngineError on a non-zero exit or a kill."""
        process = self._start(ctx)
        stdout: list[str] = []
        readers = [
            _reader(process.stdout, lambda line: (stdout.append(line), ctx.log("INFO", line.rstrip("\n")))),
            _reader(process.stderr, lambda line: ctx.log("WARN", line.rstrip("\n"))),
        ]
        try:
            code = process.wait()  # blocks in waitpid: no polling, so idle jobs cost the gateway nothing
            _join_readers(process, readers, ctx)
        finally:
            with self._lock:
                self._running.pop(ctx.task_id, None)
        if stdout:
            ctx.write_text("".join(stdout))
        if ctx.cancelled.is_set():
            raise EngineError("The job was cancelled")
        if code != 0:
            raise EngineError(f"shell exited with code {code}")

    def cancel(self, ctx: ExecutionContext) -> None:
        """SIGTERM the job's process group, SIGKILL if bash is still there after a grace period."""
        with self._lock:
            process = self._running.get(ctx.task_id)
        if process is not None:
            _terminate(process)

    def close(self) -> None:
        """Kill every running job's process group and reap it."""
        with self._lock:
            processes = list(self._running.values())
        for process in processes:
            _signal_group(process, signal.SIGKILL)
            process.wait()

    def _start(self, ctx: ExecutionContext) -> subprocess.Popen[str]:
        workdir = Path(ctx.user_dir) / "shell"
        workdir.mkdir(parents=True, exist_ok=True)
        self._tmp_dir.mkdir(parents=True, exist_ok=True)
        process = subprocess.Popen(
            ["bash", "-c", ctx.code],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd=workdir,
            env=dict(os.environ, TMPDIR=str(self._tmp_dir)),
            text=True,
            encoding="utf-8",
            errors="replace",
            start_new_session=True,
        )
        with self._lock:
            self._running[ctx.task_id] = process
        if ctx.cancelled.is_set():  # killed while bash was starting: cancel() did not find it
            _terminate(process)
        ctx.log("INFO", f"Started bash (pid {process.pid}) in {workdir}")
        return process


def _reader(stream: IO[str], handle: Callable[[str], object]) -> threading.Thread:
    """A thread handing each line of ``stream`` to ``handle`` until EOF, then closing it."""

    def read() -> None:
        with stream:
            for line in stream:
                handle(line)

    thread = threading.Thread(target=read, daemon=True)
    thread.start()
    return thread


def _terminate(process: subprocess.Popen[str]) -> None:
    """TERM the process group now, KILL it if bash has not exited after the grace period."""
    _signal_group(process, signal.SIGTERM)

    def escalate() -> None:
        if process.poll() is None:
            _signal_group(process, signal.SIGKILL)

    timer = threading.Timer(_KILL_GRACE_SECONDS, escalate)
    timer.daemon = True
    timer.start()


def _join_readers(process: subprocess.Popen[str], readers: list[threading.Thread], ctx: ExecutionContext) -> None:
    """Wait for the output to end. Background processes that outlive bash keep the pipes open;
    they belong to the job's process group and are stopped so the job can finish."""
    deadline = time.monotonic() + _KILL_GRACE_SECONDS
    for reader in readers:
        reader.join(max(deadline - time.monotonic(), 0.0))
    if any(reader.is_alive() for reader in readers):
        ctx.log("WARN", "Background processes still held the job's output after bash exited; they were killed")
        _signal_group(process, signal.SIGKILL)
        for reader in readers:
            reader.join()


def _signal_group(process: subprocess.Popen[str], signum: int) -> None:
    try:
        os.killpg(process.pid, signum)
    except ProcessLookupError:
        pass
