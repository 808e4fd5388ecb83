"""The loop inside the python engine's subprocess: run each job's code in one namespace.

Started by :mod:`.python` as a script (it imports nothing from linkis_magic, so it starts fast
and does not depend on how the package is installed). Protocol, one JSON object per line:

- parent -> child on stdin: ``{"code": "..."}`` per job;
- child -> parent on stdout: ``{"t": "ready"}`` once, then per job any number of
  ``{"t": "out", "s": text}`` (user stdout), ``{"t": "err", "s": text}`` (user stderr),
  ``{"t": "table", "columns": [[name, linkis type], ...]}`` + ``{"t": "rows", "rows": [...]}``... +
  ``{"t": "end"}`` (one ``show(df)``), and finally ``{"t": "done", "ok": true}`` or
  ``{"t": "done", "ok": false, "error": last line, "traceback": text}``.

The user's code must not see the protocol pipes: its stdin is /dev/null, and output written to
file descriptor 1 by C code or child processes goes to stderr, which the parent logs as WARN.
Each job's raw stderr ends with the line :data:`STDERR_MARK`.
"""

from __future__ import annotations

import io
import json
import linecache
import os
import signal
import sys
import threading
import traceback
from collections.abc import Callable
from typing import Any

_ROWS_PER_MESSAGE = 1000
# Written to file descriptor 2 at the end of each job, so the parent knows it has relayed all of
# the job's raw stderr output before it ends the job (the two pipes are read independently).
STDERR_MARK = b"\x00linkis-job-end\n"


class Channel:
    """The protocol pipe to the parent, shared by the job and any threads it starts."""

    def __init__(self, stream: io.TextIOBase) -> None:
        self._stream = stream
        self._lock = threading.Lock()

    def send(self, message: dict) -> None:
        line = json.dumps(message, ensure_ascii=False, default=str)
        with self._lock:
            self._stream.write(line + "\n")
            self._stream.flush()


class ChannelStream(io.TextIOBase):
    """``sys.stdout`` / ``sys.stderr`` of the user's code: every write goes to the parent."""

    def __init__(self, channel: Channel, kind: str) -> None:
        super().__init__()
        self._channel = channel
        self._kind = kind

    @property
    def encoding(self) -> str:
        return "utf-8"

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        if text:
            self._channel.send({"t": self._kind, "s": text})
        return len(text)


def make_show(channel: Channel) -> Callable[..., None]:
    """The ``show(df)`` builtin: send a pandas DataFrame (or Series) as a TABLE result set."""

    def show(df: Any) -> None:
        """Write ``df`` (a pandas DataFrame or Series) as a table result set of this job."""
        import pandas as pd

        if isinstance(df, pd.Series):
            df = df.to_frame()
        if not isinstance(df, pd.DataFrame):
            raise TypeError(f"show() takes a pandas DataFrame or Series, not {type(df).__name__}")
        types = [linkis_type(df.iloc[:, i]) for i in range(df.shape[1])]
        encoders = [ENCODERS.get(t, str) for t in types]
        sys.stdout.flush()
        channel.send({"t": "table", "columns": [[str(name), t] for name, t in zip(df.columns, types)]})
        for start in range(0, len(df), _ROWS_PER_MESSAGE):
            chunk = df.iloc[start : start + _ROWS_PER_MESSAGE].itertuples(index=False, name=None)
            rows = [[None if _is_null(v) else encode(v) for encode, v in zip(encoders, row)] for row in chunk]
            channel.send({"t": "rows", "rows": rows})
        channel.send({"t": "end"})

    return show


def linkis_type(series: Any) -> str:
    """Linkis dataType (protocol §8.2) of a pandas column, from its dtype, not its values."""
    import pandas as pd

    dtype = series.dtype
    if dtype.kind == "i":
        return {1: "tinyint", 2: "short", 4: "int"}.get(dtype.itemsize, "bigint")
    if dtype.kind == "u":
        return "bigint"
    if dtype.kind == "f":
        return "float" if dtype.itemsize == 4 else "double"
    if dtype.kind == "b":
        return "boolean"
    if dtype.kind == "M":
        return "string" if getattr(dtype, "tz", None) is not None else "timestamp"
    if dtype.kind == "O":
        inferred = pd.api.types.infer_dtype(series, skipna=True)
        return {"date": "date", "datetime": "timestamp", "decimal": "decimal", "boolean": "boolean"}.get(
            inferred, "string"
        )
    return "string"


def _timestamp(value: Any) -> str:
    return value.isoformat(sep=" ", timespec="microseconds")


ENCODERS: dict[str, Callable[[Any], Any]] = {
    "tinyint": int,
    "short": int,
    "int": int,
    "bigint": int,
    "float": float,
    "double": float,
    "boolean": bool,
    "timestamp": _timestamp,
    "date": lambda value: value.isoformat(),
    "decimal": str,
}


def _is_null(value: Any) -> bool:
    import pandas as pd

    try:
        return bool(pd.isna(value)) if pd.api.types.is_scalar(value) else False
    except (TypeError, ValueError):
        return False


class Runner:
    """Runs jobs one after the other in one namespace, as a reused Linkis engine does."""

    def __init__(self, channel: Channel) -> None:
        self.channel = channel
        self.namespace: dict[str, Any] = {"__name__": "__main__", "show": make_show(channel)}
        self.stdout = ChannelStream(channel, "out")
        self.stderr = ChannelStream(channel, "err")
        self.running = False
        self.jobs = 0

    def interrupt(self, signum: int, frame: Any) -> None:
        """SIGINT interrupts the user's code only; between jobs the loop ignores it."""
        if self.running:
            raise KeyboardInterrupt

    def run(self, code: str) -> None:
        sys.stdout, sys.stderr = self.stdout, self.stderr
        self.jobs += 1
        filename = f"<linkis-job-{self.jobs}>"
        # Registered so tracebacks (now and from functions defined here, later) show the source.
        linecache.cache[filename] = (len(code), None, code.splitlines(True), filename)
        try:
            self.running = True
            exec(compile(code, filename, "exec"), self.namespace)
        except BaseException as e:  # the user's exception (or KeyboardInterrupt) ends the job
            self.running = False
            os.write(2, STDERR_MARK)
            self.channel.send(_failure(e))
            return
        finally:
            self.running = False
            os.write(2, STDERR_MARK)
        self.channel.send({"t": "done", "ok": True})


def _failure(error: BaseException) -> dict:
    """The done message of a failed job; the traceback leaves out this runner's own frame."""
    tb = error.__traceback__.tb_next if error.__traceback__ is not None else None
    lines = traceback.format_exception(type(error), error, tb)
    last = traceback.format_exception_only(type(error), error)[-1].strip()
    return {"t": "done", "ok": False, "error": last, "traceback": "".join(lines).rstrip()}


def main() -> None:
    commands = os.fdopen(os.dup(0), "r", encoding="utf-8")
    channel = Channel(os.fdopen(os.dup(1), "w", encoding="utf-8"))
    null_fd = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null_fd, 0)
    os.dup2(2, 1)
    sys.stdin = open(os.devnull, encoding="utf-8")
    runner = Runner(channel)
    signal.signal(signal.SIGINT, runner.interrupt)
    channel.send({"t": "ready"})
    for line in commands:
        runner.run(json.loads(line)["code"])


if __name__ == "__main__":
    main()
