"""Job logs in Linkis form: formatted lines, one file per task, and the 4-string array reads.

A log line is ``yyyy-MM-dd HH:mm:ss.SSS LEVEL message`` (§4.4, Linkis ``LogUtils``). Readers split
lines into the array ``[ERROR, WARN, INFO, ALL]`` by the header regex; lines without a header
(tracebacks, raw engine output) count as INFO, as Linkis's ``LogReader`` does.
"""

from __future__ import annotations

import re
import threading
import time
from datetime import datetime
from pathlib import Path

from linkis_magic.protocol import LOG_ALL, LOG_ERROR, LOG_HEADER, LOG_INFO, LOG_WARN, split_log

#: ``/entrance/{execID}/log`` defaults (§4.4): 100 lines, and 10000 when ``size`` is negative.
DEFAULT_LOG_SIZE = 100
MAX_LOG_SIZE = 10_000

#: ``/filesystem/openLog`` refuses files above 30 MB (§8.4, error 80033).
MAX_OPEN_LOG_BYTES = 30 * 1024 * 1024

#: ``WorkspaceUtil``'s errorReg / warnReg / infoReg (matched against the whole line).
_OPENLOG_HEADER = re.compile(r"(?:19|20)[0-9]{2}-(?:0?[1-9]|1[012])-(?:0?[1-9]|[12][0-9]|3[01]) "
                             r"(?:[01]?[0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]\.[0-9]{3}\s*(ERROR|WARN|INFO).*",
                             re.ASCII)
_LEVEL_INDEX = {"ERROR": LOG_ERROR, "WARN": LOG_WARN, "INFO": LOG_INFO}


def format_line(level: str, message: str, when: datetime | None = None) -> str:
    """One Linkis log line (continuation lines of ``message`` are kept as they are)."""
    stamp = (when or datetime.now()).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]
    return f"{stamp} {level} {message}"


def level_index(line: str) -> int:
    """The array index a line belongs to besides ALL (headerless lines are INFO, §4.4)."""
    match = LOG_HEADER.match(line)
    return _LEVEL_INDEX[match.group(1)] if match else LOG_INFO


def to_array(lines: list[str]) -> list[str]:
    """The entrance's ``[ERROR, WARN, INFO, ALL]``: lines joined by ``\\n``, no trailing newline,
    blank lines dropped (§4.4, ``LogReader.readArray``)."""
    buckets: list[list[str]] = [[], [], [], []]
    for line in lines:
        if not line.strip():
            continue
        buckets[level_index(line)].append(line)
        buckets[LOG_ALL].append(line)
    return ["\n".join(bucket) for bucket in buckets]


def openlog_array(lines: list[str]) -> list[str]:
    """``openLog``'s ``[ERROR, WARN, INFO, ALL]``, classified as the filesystem service does (§8.4,
    ``WorkspaceUtil.logMatch``): a header needs exactly three millisecond digits; a headerless line
    (a traceback) goes to ALL and to the level of the last header line, and before any header to
    ALL only; every line ends with ``\\n``."""
    buckets: list[list[str]] = [[], [], [], []]
    sticky: int | None = None
    for line in lines:
        match = _OPENLOG_HEADER.fullmatch(line)
        if match:
            sticky = _LEVEL_INDEX[match.group(1)]
        if sticky is not None:
            buckets[sticky].append(line)
        buckets[LOG_ALL].append(line)
    return ["".join(f"{line}\n" for line in bucket) for bucket in buckets]


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
    """The log of one task as Linkis's entrance keeps it (§4.4.1).

    Every line is in memory for ``/entrance/{execID}/log``; the file is written late, as
    ``HDFSCacheLogWriter`` writes it: created empty, then whole blocks of ``cache_lines`` lines
    when the cache fills (or when a line arrives ``push_seconds`` after the last push), and the
    rest only when the entrance closes the job, which happens after job history already shows the
    job's end. ``openLog`` reads the file, so until then it gets an empty or partial log. After
    :meth:`close` the entrance reads the file too, and lines written later are lost. Blank lines
    never reach the cache (HDFSCacheLogWriter drops them), so the entrance and the file count
    the same lines.
    """

    def __init__(self, path: Path, cache_lines: int = 500, push_seconds: float = 300.0) -> None:
        self.path = path
        self._cache_lines = cache_lines
        self._push_seconds = push_seconds
        self._lines: list[str] = []  # every line so far; dropped at close
        self._written = 0  # how many of them the file holds
        self._next_push = time.monotonic() + push_seconds
        self._closed = False
        self._lock = threading.Lock()
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch()

    @property
    def closed(self) -> bool:
        return self._closed

    def append(self, level: str, message: str) -> None:
        """Add a formatted line (several, if ``message`` has newlines: they stay headerless)."""
        new_lines = [line for line in format_line(level, message).split("\n") if line.strip()]
        with self._lock:
            if self._closed:
                return  # the entrance dropped the cache at close; nothing writes to the file any more
            for line in new_lines:
                # The push happens before the new line is cached (HDFSCacheLogWriter.cache).
                if len(self._lines) - self._written >= self._cache_lines or time.monotonic() >= self._next_push:
                    self._push()
                self._lines.append(line)

    def _push(self) -> None:
        """Write the cached lines to the file (the lock is held)."""
        with self.path.open("a", encoding="utf-8") as handle:
            handle.write("".join(f"{line}\n" for line in self._lines[self._written:]))
        self._written = len(self._lines)
        self._next_push = time.monotonic() + self._push_seconds

    def close(self) -> None:
        """The entrance closed the job: the rest goes to the file, which is what reads see now."""
        with self._lock:
            if not self._closed:
                self._push()
                self._closed = True
                self._lines = []

    def read(self, from_line: int, size: int) -> tuple[list[str], int]:
        """``page`` over the cache while the job is open, over the file once it is closed."""
        with self._lock:
            if not self._closed:
                return page(self._lines, from_line, size)
        return page(read_log_file(self.path), from_line, size)


def read_log_file(path: Path) -> list[str]:
    """Every line of a persisted task log (the caller checks the size limit first); none for the
    empty file the entrance creates when the job starts."""
    text = path.read_bytes().decode("utf-8", errors="replace")
    return split_log(text) if text else []
