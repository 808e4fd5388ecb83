"""The python engine of the local gateway: one persistent Python subprocess per (user, creator).

Variables live from one job to the next, as in a reused Linkis python engine. The subprocess runs
:mod:`._pyrunner` and talks JSON lines over its stdin/stdout; it starts in its own session, so a
Jupyter kernel interrupt (which signals the kernel's whole process group) never reaches it.

While a job runs, each line the code prints is logged at INFO as it comes and the printed text
becomes a TEXT result set; ``show(df)`` writes a TABLE result set in between, in order. Stderr is
logged as WARN, a traceback as ERROR. Jobs on one engine run one at a time.
"""

from __future__ import annotations

import datetime
import decimal
import json
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

from .base import Engine, EngineError, ExecutionContext

_RUNNER = Path(__file__).with_name("_pyrunner.py")
_KILL_GRACE_SECONDS = 2.0
# Must match _pyrunner.STDERR_MARK (the runner is a standalone script, not imported here).
_STDERR_MARK = "\x00linkis-job-end"
_QUEUE_POLL_SECONDS = 0.2

# Cell values arrive as JSON; these Linkis types go back to the Python objects write_table takes.
_DECODERS: dict[str, Callable[[Any], Any]] = {
    "date": datetime.date.fromisoformat,
    "timestamp": datetime.datetime.fromisoformat,
    "decimal": decimal.Decimal,
}


class PythonEngine(Engine):
    """A Python subprocess that runs the jobs of one (user, creator) in one namespace."""

    def __init__(self, tmp_dir: Path) -> None:
        self._tmp_dir = tmp_dir
        self._job_lock = threading.Lock()  # one job at a time, like a Linkis engine
        self._state_lock = threading.Lock()
        self._process: subprocess.Popen[str] | None = None
        self._stderr_thread: threading.Thread | None = None
        self._current: ExecutionContext | None = None
        self._kill_timer: threading.Timer | None = None
        self._stderr_done = threading.Event()  # the runner's end-of-job mark came through stderr

    def execute(self, ctx: ExecutionContext) -> None:
        """Send ``ctx.code`` to the subprocess and relay its output until the job ends."""
        while not self._job_lock.acquire(timeout=_QUEUE_POLL_SECONDS):
            if ctx.cancelled.is_set():
                raise EngineError("The job was cancelled")
        try:
            if ctx.cancelled.is_set():
                raise EngineError("The job was cancelled")
            process = self._ensure_process(ctx)
            with self._state_lock:
                self._current = ctx
            output = _JobOutput(ctx, process.stdout)
            try:
                # A kill that came while the engine was starting found no job to stop (cancel()
                # checks _current); now that _current is set, any later kill will find it.
                if ctx.cancelled.is_set():
                    raise EngineError("The job was cancelled")
                self._stderr_done.clear()
                _send(process, {"code": ctx.code})
                output.relay()
                self._stderr_done.wait(_KILL_GRACE_SECONDS)
            finally:
                self._finish_job(restart=output.engine_gone or process.poll() is not None)
        finally:
            self._job_lock.release()

    def cancel(self, ctx: ExecutionContext) -> None:
        """SIGINT the subprocess (KeyboardInterrupt; the namespace survives); if the code is
        still running after a grace period, kill the process group: the next job starts fresh."""
        with self._state_lock:
            if self._current is not ctx or self._process is None:
                return
            process = self._process
            # Armed even if the SIGINT lands before the code starts (and is ignored there).
            if self._kill_timer is None:
                self._kill_timer = threading.Timer(_KILL_GRACE_SECONDS, _kill_group, args=(process,))
                self._kill_timer.daemon = True
                self._kill_timer.start()
        os.kill(process.pid, signal.SIGINT)

    def close(self) -> None:
        """Stop the subprocess and everything it started (its process group), and reap it."""
        with self._state_lock:
            process, self._process = self._process, None
            thread, self._stderr_thread = self._stderr_thread, None
        if process is not None:
            _stop(process)
        if thread is not None:
            thread.join()

    def _ensure_process(self, ctx: ExecutionContext) -> subprocess.Popen[str]:
        with self._state_lock:
            process = self._process
        if process is not None and process.poll() is None:
            return process
        if process is not None:
            ctx.log("WARN", f"The python engine had exited (code {process.returncode}); starting a new one")
            self.close()
        return self._start(ctx)

    def _start(self, ctx: ExecutionContext) -> subprocess.Popen[str]:
        workdir = Path(ctx.user_dir) / "python"
        workdir.mkdir(parents=True, exist_ok=True)
        self._tmp_dir.mkdir(parents=True, exist_ok=True)
        env = dict(os.environ, PYTHONUNBUFFERED="1", PYTHONIOENCODING="utf-8", MPLBACKEND="Agg")
        env["TMPDIR"] = str(self._tmp_dir)
        process = subprocess.Popen(
            [sys.executable, "-u", str(_RUNNER)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd=workdir,
            env=env,
            text=True,
            encoding="utf-8",
            errors="replace",
            start_new_session=True,
        )
        thread = threading.Thread(target=self._relay_stderr, args=(process.stderr,), daemon=True)
        with self._state_lock:
            self._process, self._stderr_thread = process, thread
        thread.start()
        if _receive(process.stdout) != {"t": "ready"}:
            self.close()
            raise EngineError("The python engine did not start")
        ctx.log("INFO", f"Started a python engine (pid {process.pid}) for {ctx.user}/{ctx.creator}")
        return process

    def _finish_job(self, restart: bool) -> None:
        """Forget the job; reap a subprocess that died or was killed, so the next job starts one."""
        with self._state_lock:
            self._current = None
            timer, self._kill_timer = self._kill_timer, None
        if timer is not None:
            timer.cancel()
        if restart:
            self.close()

    def _relay_stderr(self, stream: IO[str]) -> None:
        """Output written straight to file descriptors 1/2 (C code, child processes): WARN."""
        for line in stream:
            line, mark, _ = line.rstrip("\n").partition(_STDERR_MARK)
            with self._state_lock:
                ctx = self._current
            if ctx is not None and line:
                ctx.log("WARN", line)
            if mark:
                self._stderr_done.set()


class _JobOutput:
    """Relays one job's messages to its context; see :mod:`._pyrunner` for the protocol."""

    def __init__(self, ctx: ExecutionContext, stream: IO[str]) -> None:
        self._ctx = ctx
        self._stream = stream
        self._text: list[str] = []
        self._partial = {"out": "", "err": ""}
        self.engine_gone = False

    def relay(self) -> None:
        """Handle messages until ``done``; raise EngineError if the code failed or was killed."""
        while True:
            message = _receive(self._stream)
            if message is None:
                self._flush()
                raise self._gone()
            kind = message["t"]
            if kind in ("out", "err"):
                self._output(kind, message["s"])
            elif kind == "table":
                self._flush()
                self._table(message["columns"])
            elif kind == "done":
                self._flush()
                if not message["ok"]:
                    self._ctx.log("ERROR", message["traceback"])
                    raise EngineError(message["error"])
                return

    def _output(self, kind: str, text: str) -> None:
        if kind == "out":
            self._text.append(text)
        lines = (self._partial[kind] + text).split("\n")
        self._partial[kind] = lines.pop()
        for line in lines:
            self._ctx.log("INFO" if kind == "out" else "WARN", line)

    def _flush(self) -> None:
        """End of a text block (before a table, at the end): pending lines and the TEXT result."""
        for kind, line in self._partial.items():
            if line:
                self._ctx.log("INFO" if kind == "out" else "WARN", line)
        self._partial = {"out": "", "err": ""}
        if self._text:
            self._ctx.write_text("".join(self._text))
            self._text = []

    def _table(self, columns: list[list[str]]) -> None:
        decoders = [_DECODERS.get(linkis_type) for _, linkis_type in columns]
        rows = self._rows(decoders)
        self._ctx.write_table([(name, linkis_type) for name, linkis_type in columns], rows)
        for _ in rows:  # whatever write_table left unread, so the next message is in step
            pass

    def _rows(self, decoders: list[Callable[[Any], Any] | None]) -> Iterator[list[Any]]:
        while (message := _receive(self._stream)) is not None and message["t"] == "rows":
            for row in message["rows"]:
                yield [v if v is None or decode is None else decode(v) for decode, v in zip(decoders, row)]
        if message is None:
            raise self._gone()

    def _gone(self) -> EngineError:
        """The subprocess closed its pipe: it was killed or it exited."""
        self.engine_gone = True
        if self._ctx.cancelled.is_set():
            return EngineError("The job was cancelled; the python engine did not stop in time and was killed")
        return EngineError("The python engine exited unexpectedly")


def _send(process: subprocess.Popen[str], message: dict) -> None:
    try:
        process.stdin.write(json.dumps(message) + "\n")
        process.stdin.flush()
    except (BrokenPipeError, ValueError) as e:
        raise EngineError("The python engine exited unexpectedly") from e


def _receive(stream: IO[str]) -> dict | None:
    """The next protocol message, or None once the subprocess is gone."""
    line = stream.readline()
    return json.loads(line) if line else None


def _kill_group(process: subprocess.Popen[str]) -> None:
    """SIGKILL the subprocess and whatever it started (its own session, see start_new_session)."""
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def _stop(process: subprocess.Popen[str]) -> None:
    """Ask the process group to stop, then kill it; always reap, always close the pipes."""
    if process.poll() is None:
        try:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=_KILL_GRACE_SECONDS)
        except ProcessLookupError:
            pass
        except subprocess.TimeoutExpired:
            _kill_group(process)
    process.wait()
    for stream in (process.stdin, process.stdout, process.stderr):
        if stream is not None:
            stream.close()
