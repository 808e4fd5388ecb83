"""Reading a job's log the way Linkis serves it (§4.4.3).

The entrance holds a job's log in memory while the job runs and for a while after; the log
file is written late, when the entrance closes the job, a moment *after* job history already
shows the job's end (§4.4.1). So the rest of a finished job's log comes from the entrance while it
still knows the job, and the file (``openLog``) is read only when it does not, and trusted only
once it holds the closing line.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Sequence

from .errors import LinkisConnectionError, LinkisProtocolError, LinkisRequestError, LinkisTimeoutError
from .protocol import LOG_ALL, LOG_CLOSING_MARK, LOG_ERROR, split_log

if TYPE_CHECKING:
    from .client import LinkisClient

#: Lines per entrance log read: what ``size=-1`` gives (§4.4); a full page means there may be more.
PAGE_LINES = 10_000

#: Seconds between ``openLog`` reads of a finished job whose file lacks the closing line yet:
#: the entrance writes it when it closes the job (§4.4.1, §4.4.3).
PERSISTED_LOG_WAITS = (0.2, 0.5, 1.0, 2.0)

#: Errors meaning "the entrance cannot serve this job's log": it forgot the job (status 1,
#: §4.4), or the gateway could not route to it.
ENTRANCE_GONE = (LinkisRequestError, LinkisProtocolError, LinkisConnectionError, LinkisTimeoutError)


def log_lines(log: Any, level: int = LOG_ALL) -> list[str]:
    """Lines of one level of a log answer: a 4-string array, or ``""``/``null`` on a reader
    error (§4.4)."""
    if not isinstance(log, list) or len(log) <= level or not log[level]:
        return []
    return split_log(str(log[level]))


@dataclass
class LogRead:
    """What one read of a job's log brought."""

    lines: list[str] = field(default_factory=list)  # every line, blank ones dropped
    errors: list[str] = field(default_factory=list)  # the ERROR lines among them
    next_line: int = 1  # the entrance's fromLine for the next read
    complete: bool = True  # False: a log file without its closing line, used as it was


def read_entrance(client: "LinkisClient", exec_id: str, from_line: int = 1) -> LogRead:
    """Every line the entrance has from ``from_line`` on, a page of 10,000 at a time.

    Raises an :data:`ENTRANCE_GONE` error when the entrance no longer serves the job.
    """
    read = LogRead(next_line=from_line)
    while True:
        data = client.log(exec_id, read.next_line, PAGE_LINES)
        read.lines.extend(line for line in log_lines(data.get("log")) if line.strip())
        read.errors.extend(log_lines(data.get("log"), LOG_ERROR))
        # The answer's fromLine is the next line to ask for (§4.4); it never moves backwards here.
        after = max(read.next_line, int(data.get("fromLine") or read.next_line))
        consumed, read.next_line = after - read.next_line, after
        if consumed < PAGE_LINES:
            return read


def read_persisted(client: "LinkisClient", log_path: str, waits: Sequence[float] = PERSISTED_LOG_WAITS,
                   sleep: Callable[[float], None] = time.sleep) -> LogRead:
    """The log file through ``openLog``, read again after each of ``waits`` while it lacks the
    closing line; after the last wait it is used as it is, marked incomplete (a job lost to an
    entrance restart never gets one)."""
    for wait in waits:
        read = _open_log(client, log_path)
        if read.complete:
            return read
        sleep(wait)
    return _open_log(client, log_path)


def _open_log(client: "LinkisClient", log_path: str) -> LogRead:
    log = client.open_log(log_path)
    return LogRead([line for line in log_lines(log) if line.strip()], log_lines(log, LOG_ERROR),
                   complete=LOG_CLOSING_MARK in log[LOG_ALL])


def whole_log(client: "LinkisClient", exec_id: str | None, log_path: str | None, ended: bool) -> LogRead:
    """A job's whole log: from the entrance while the job runs, from the file once it ended
    (the entrance again while the file is not complete yet, §4.4.3)."""
    if not ended and exec_id:
        try:
            return read_entrance(client, exec_id)
        except ENTRANCE_GONE:
            pass  # the entrance lost the job: the file has what was written
    if not log_path:
        return LogRead(complete=False)
    first = read_persisted(client, log_path, waits=())
    if first.complete or not ended:
        return first
    if exec_id:
        try:
            return read_entrance(client, exec_id)
        except ENTRANCE_GONE:
            pass
    return read_persisted(client, log_path)
