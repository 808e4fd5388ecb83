"""Job logs in Linkis form: formatted lines, one file per task, and the 4-string array reads.

A log line is ``yyyy-MM-dd HH:mm:ss.SSS LEVEL message`` (§4.4, Linkis ``LogUtils``). Readers split
lines into the array ``[ERROR, WARN, INFO, ALL]`` by the header regex; lines without a header
(tracebacks, raw engine output) count as INFO, as Linkis's ``LogReader`` does.
"""

from __future__ import annotations

import re
import threading
from datetime import datetime
from pathlib import Path

from linkis_magic.protocol import LOG_ALL, LOG_ERROR, LOG_INFO, LOG_WARN, split_log

#: ``/entrance/{execID}/log`` defaults (§4.4): 100 lines, and 10000 when ``size`` is negative.
DEFAULT_LOG_SIZE = 100
MAX_LOG_SIZE = 10_000

#: ``/filesystem/openLog`` refuses files above 30 MB (§8.4, error 80033).
MAX_OPEN_LOG_BYTES = 30 * 1024 * 1024

_HEADER = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(?:\.\d{1,3})? (?:SYSTEM-)?(ERROR|WARN|INFO) ")
_LEVEL_INDEX = {"ERROR": LOG_ERROR, "WARN": LOG_WARN, "INFO": LOG_INFO}


def format_line(level: str, message: str, when: datetime | None = None) -> str:
    """One Linkis log line (continuation lines of ``message`` are kept as they are)."""
    stamp = (when or datetime.now()).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]
    return f"{stamp} {level} {message}"


def level_index(line: str) -> int:
    """The array index a line belongs to besides ALL (headerless lines are INFO, §4.4)."""
    match = _HEADER.match(line)
    return _LEVEL_INDEX[match.group(1)] if match else LOG_INFO


def to_array(lines: list[str], trailing_newline: bool = False) -> list[str]:
    """Split lines into ``[ERROR, WARN, INFO, ALL]``; blank lines are dropped (§4.4).

    The entrance joins lines with ``\\n`` and no trailing newline; ``openLog`` ends every line with
    one (§8.4), hence ``trailing_newline``.
    """
    buckets: list[list[str]] = [[], [], [], []]
    for line in lines:
        if not line.strip():
            continue
        buckets[level_index(line)].append(line)
        buckets[LOG_ALL].append(line)
    if trailing_newline:
        return ["".join(f"{line}\n" for line in bucket) for bucket in buckets]
    return ["\n".join(bucket) for bucket in buckets]


def page(lines: list[str], from_line: int, size: int) -> tuple[list[str], int]:
    """The lines an entrance log call returns, and the ``fromLine`` to answer with (§4.4).

    Lines are 1-based (0 reads from line 1) and the answer is the request's ``fromLine`` plus the
    number of lines consumed, exactly as Linkis computes it, so a client starting at 0 re-reads
    one line on its next call, as it would against a real gateway.
    """
    from_line = max(from_line, 0)
    if size < 0:
        size = MAX_LOG_SIZE
    start = max(from_line, 1) - 1
    chunk = lines[start:start + size]
    return chunk, from_line + len(chunk)


class TaskLog:
    """The log of one task: appended to its file, and kept in memory while the entrance holds it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lines: list[str] = []
        self._lock = threading.Lock()
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch()

    def append(self, level: str, message: str) -> None:
        """Write a formatted line (several, if ``message`` has newlines: they stay headerless)."""
        text = format_line(level, message)
        new_lines = text.split("\n")
        with self._lock:
            with self.path.open("a", encoding="utf-8") as handle:
                handle.write("".join(f"{line}\n" for line in new_lines))
            self._lines.extend(new_lines)

    def lines(self) -> list[str]:
        """A snapshot of every line so far."""
        with self._lock:
            return list(self._lines)

    def read(self, from_line: int, size: int) -> tuple[list[str], int]:
        """``page`` over this log without copying all of it."""
        with self._lock:
            return page(self._lines, from_line, size)


def read_log_file(path: Path) -> list[str]:
    """Every line of a persisted task log (the caller checks the size limit first)."""
    return split_log(path.read_bytes().decode("utf-8", errors="replace"))
