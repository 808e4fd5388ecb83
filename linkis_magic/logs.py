"""Reading a job's log the way Linkis serves it (§4.4.3).

The entrance holds a job's log in memory while the job runs and for a while after; the log
file is written late, when the entrance closes the job, a moment *after* job history already
shows the job's end (§4.4.1). So the rest of a finished job's log comes from the entrance while it
still knows the job, and the file (``openLog``) is read only when it does not, and trusted only
once it holds the closing line.
"""

from __future__ import annotations

import collections
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .errors import LinkisConnectionError, LinkisProtocolError, LinkisRequestError, LinkisTimeoutError
from .protocol import LOG_ALL, LOG_CLOSING_MARK, LOG_ERROR, LOG_MILESTONES, LOG_SUCCESS_MARK, JobStatus, split_log

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

#: How many ERROR lines of the log a failed job carries.
ERROR_TAIL = 10


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


def read_entrance(client: LinkisClient, exec_id: str, from_line: int = 1) -> LogRead:
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


def read_persisted(client: LinkisClient, log_path: str, waits: Sequence[float] = PERSISTED_LOG_WAITS,
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


def _open_log(client: LinkisClient, log_path: str) -> LogRead:
    log = client.open_log(log_path)
    return LogRead([line for line in log_lines(log) if line.strip()], log_lines(log, LOG_ERROR),
                   complete=LOG_CLOSING_MARK in log[LOG_ALL])


def whole_log(client: LinkisClient, exec_id: str | None, log_path: str | None, ended: bool) -> LogRead:
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


@dataclass
class Gap:
    """An entrance read that counted more lines than it returned: Linkis's cache skips lines when
    a read straddles its 500-line flush (§4.4.2)."""

    first: int  # the line number the read started at
    counted: int  # how many lines its fromLine moved on
    received: list[str]  # the lines it returned


class LogFollower:
    """Follows one job's log as a live view does: the next line to ask for, what was shown, the
    ERROR tail, and the reads that came back short, to fill in from the log file at the end."""

    def __init__(self, client: LinkisClient, exec_id: str | None) -> None:
        self.client = client
        self.exec_id = exec_id
        self.next_line = 1  # lines are 1-based (§4.4)
        self.shown = 0  # lines handed on so far
        self.errors: collections.deque[str] = collections.deque(maxlen=ERROR_TAIL)
        self.closed = False  # the closing line has been seen: nothing follows it
        self.succeeded = False  # ... and it says the job succeeded
        self.state: JobStatus | None = None  # the last state a milestone line named
        self.gaps: list[Gap] = []
        self.notes: list[str] = []
        self.log_path: str | None = None  # task.logPath, once history named it

    def read(self) -> list[str]:
        """One entrance read from the next line: the new lines. Raises an :data:`ENTRANCE_GONE`
        error when the entrance cannot serve the log."""
        read = read_entrance(self.client, self.exec_id, self.next_line)
        return self._take(read)

    def _take(self, read: LogRead) -> list[str]:
        counted = read.next_line - self.next_line
        if counted > len(read.lines):
            self.gaps.append(Gap(self.next_line, counted, read.lines))
        self.next_line = read.next_line
        return self._keep(read.lines, read.errors)

    def _keep(self, lines: list[str], errors: list[str]) -> list[str]:
        self.errors.extend(errors)
        self.shown += len(lines)
        for line in lines:
            state = next((state for text, state in LOG_MILESTONES.items() if line.endswith(text)), None)
            self.state = state or self.state
        closing = [line for line in lines if LOG_CLOSING_MARK in line]
        self.closed = self.closed or bool(closing)
        self.succeeded = self.succeeded or any(LOG_SUCCESS_MARK in line for line in closing)
        return lines

    def rest(self) -> list[str]:
        """Everything not handed on yet, once the job ended: the rest from the entrance while it
        holds the job, else from the log file once it is complete (§4.4.3); then the lines the
        entrance skipped, found in the file by content."""
        lines: list[str] = []
        if not self.closed and self.exec_id:
            try:
                lines = self._take(read_entrance(self.client, self.exec_id, self.next_line))
            except ENTRANCE_GONE:
                return self._rest_from_file()
        return lines + (self._fill_gaps() if self.gaps else [])

    def _persisted(self, log_path: str | None) -> LogRead | None:
        if not log_path:
            return None
        try:
            read = read_persisted(self.client, log_path)
        except LinkisRequestError:
            return None  # the log is for reading, not the job's outcome
        if not read.complete:
            self.notes.append("its file had no closing line yet")
        return read

    def _rest_from_file(self) -> list[str]:
        read = self._persisted(self.log_path)
        if read is None:
            return []
        # openLog files tracebacks under the ERROR before them; the entrance does not (§8.4):
        # never trade the error lines already seen for fewer.
        if len(read.errors) >= len(self.errors):
            self.errors = collections.deque(read.errors, maxlen=ERROR_TAIL)
        # The file holds the lines the entrance counted, in its order: skip those read already
        # (by line number, so lines a short read skipped are not skipped here).
        new = read.lines[self.next_line - 1:]
        self.shown += len(new)
        return self._missing(read.lines) + new

    def _fill_gaps(self) -> list[str]:
        read = self._persisted(self.log_path)
        return [] if read is None else self._missing(read.lines)

    def _missing(self, file_lines: list[str]) -> list[str]:
        """The lines of the file inside short reads' ranges that those reads did not return,
        matched by content (the file numbers its lines as the entrance does, §4.4.1)."""
        missing = []
        for gap in self.gaps:
            unseen = collections.Counter(gap.received)
            for line in file_lines[gap.first - 1:gap.first - 1 + gap.counted]:
                if unseen[line] > 0:
                    unseen[line] -= 1
                else:
                    missing.append(line)
        self.gaps = []
        self.shown += len(missing)
        return missing
