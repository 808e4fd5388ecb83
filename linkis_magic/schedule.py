"""When ``Job.wait`` asks the gateway what: the poll schedule (its numbers) and the poller (its
decisions, one tick at a time, from what the last answers said).

Four reads keep a notebook informed about a running job:

- ``STATUS``: job history's task object, the authority on the state, with the progress;
- ``LOG``: the entrance's log from the next line; a read that brings the closing line
  ("Your job completed with ...", written just before history records the end, §4.4.1) also says
  the job ended, so history is read at once to confirm it;
- ``PROGRESS``: the entrance's progress with its stages (1.0 hints at the end, §4.5);
- ``ENTRANCE``: the entrance's status, now and then when nobody reads the log (whose closing line
  says as much), in case history lost the job's end (§4.3).

Without anyone to show the log to, the status is read every ``fast`` seconds for the first
``fast_for`` seconds (most notebook queries end within them) and then less and less often, up to
every ``cap`` seconds. With a log reader, the log is the heartbeat: it is read every ``fast``
seconds at first, then every ``log_busy`` seconds while lines keep coming (a read brought some
within the last two intervals) and half as often after each read that finds nothing, down to
every ``log_quiet`` seconds (the state comes from the log's milestone lines, §6); history is
read at ``status_first``, in a log read's turn, and then every
``status_every`` seconds, and at once whenever an answer hints that the job ended. Every interval
starts when the last answer came: a slow gateway is asked less often, and the polls of jobs
started together drift apart instead of arriving in step.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Read(enum.Enum):
    """What one tick reads (see the module docstring)."""

    STATUS = "status"
    LOG = "log"
    PROGRESS = "progress"
    ENTRANCE = "entrance"


#: Which read goes first when two are due at the same moment.
_PRIORITY = {Read.STATUS: 0, Read.LOG: 1, Read.ENTRANCE: 2, Read.PROGRESS: 3}


@dataclass(frozen=True)
class PollSchedule:
    """The numbers of the schedule, in seconds (see the module docstring).

    With the defaults a quiet 1 s job costs at most 15 requests with a live view (submit, a read
    every 80 ms: the log, whose milestone lines also give the state (§6), but history once at
    0.3 s for the paths a finished job's results are read from, and history again for the end)
    and a quiet 60 s job under one a second; a job writing two lines a second is read every
    0.7 s, so a line reaches the view in about 0.35 s at the median, at 2.4 requests a second.
    Linkis's Java SDK reads three times a second and shows a line 0.5 s after it was written at
    the median (§11.1).
    """

    fast: float = 0.08
    fast_for: float = 1.4
    factor: float = 1.5
    cap: float = 1.25
    status_first: float = 0.3
    status_every: float = 5.0
    log_busy: float = 0.7
    log_quiet: float = 5.0
    progress_every: float = 5.0
    #: Every ``entrance_every`` seconds the entrance's status is read too: history can lose a job's
    #: last update and say Running for ever (§4.3). When the entrance says the job ended and
    #: history still disagrees ``history_lag`` seconds later, the wait ends with the entrance's
    #: state and says why (``Job.notes``).
    entrance_every: float = 10.0
    history_lag: float = 10.0


class Poller:
    """Decides every tick of one wait: ``next()`` says when to read what, and the ``after_*``
    methods are told what each answer said. It does no I/O; ``Job.wait`` does the reading."""

    def __init__(self, schedule: PollSchedule, *, log: bool, progress: bool, now: float) -> None:
        self.schedule = schedule
        self.started = now
        self.reads_log = log
        self.due: dict[Read, float] = {Read.STATUS: now + (schedule.status_first if log else schedule.fast)}
        if log:  # the log's closing line says when the entrance ended the job
            self.due[Read.LOG] = now + schedule.fast
        else:
            self.due[Read.ENTRANCE] = now + schedule.entrance_every
        if progress:
            self.due[Read.PROGRESS] = now + schedule.fast_for
        self._status_gap = schedule.fast
        self._log_gap = schedule.log_busy
        self._lines_at = -1e9  # when a log read last brought lines
        self._hinted: float | None = None  # when an answer first hinted that the job ended

    def next(self) -> tuple[float, Read]:
        """``(when, what)``: the monotonic time of the next read and what it reads."""
        kind = min(self.due, key=lambda k: (self.due[k], _PRIORITY[k]))
        return self.due[kind], kind

    def _fast(self, now: float) -> bool:
        return now - self.started < self.schedule.fast_for

    def _hint_end(self, now: float) -> None:
        """An answer says the job ended: read history now, soon again if it does not agree, and
        ask the entrance after a second of disagreement (history may have lost the end, §4.3)."""
        if self._hinted is None:
            self._hinted = now
            self.due[Read.ENTRANCE] = min(self.due.get(Read.ENTRANCE, now + 1.0), now + 1.0)
        self.due[Read.STATUS] = now

    # -- what the answers said ----------------------------------------------------------------

    def after_status(self, now: float) -> None:
        """History says the job has not ended (the wait stops when it has)."""
        s = self.schedule
        if self._hinted is not None:  # history lags the hint (a moment, or for ever: §4.3)
            gap = s.fast if now - self._hinted < 1.0 else s.cap
        elif self.reads_log:
            gap = s.status_every
            # This read took a log read's turn: the log waits one interval, so a fast start
            # costs no more requests than before.
            if Read.LOG in self.due and self.due[Read.LOG] < now + s.fast:
                self.due[Read.LOG] = now + s.fast
        elif self._fast(now):
            gap = s.fast
        else:
            gap = self._status_gap = min(max(self._status_gap, s.fast) * s.factor, s.cap)
        self.due[Read.STATUS] = now + gap

    def after_log(self, now: float, *, lines: int, closing: bool) -> None:
        """A log read brought ``lines`` new lines; ``closing``: among them the closing line."""
        if closing:
            self.due.pop(Read.LOG, None)  # nothing follows the closing line
            self._hint_end(now)
            return
        s = self.schedule
        if lines:
            self._lines_at = now
        if self._fast(now):
            gap = s.fast
        elif now - self._lines_at < 2 * s.log_busy:  # lines came lately: more will come
            gap = self._log_gap = s.log_busy
        else:
            gap = self._log_gap = min(self._log_gap * 2, s.log_quiet)
        self.due[Read.LOG] = now + gap

    def log_gone(self, now: float) -> None:
        """The entrance no longer serves the log: history alone decides, as without a reader."""
        self.due.pop(Read.LOG, None)
        self.reads_log = False
        gap = self.schedule.fast if self._fast(now) else self.schedule.cap
        self.due[Read.STATUS] = min(self.due[Read.STATUS], now + gap)
        self.due.setdefault(Read.ENTRANCE, now + self.schedule.entrance_every)

    def after_progress(self, now: float, progress: float) -> None:
        self.due[Read.PROGRESS] = now + self.schedule.progress_every
        if progress >= 1.0:
            self._hint_end(now)

    def progress_gone(self) -> None:
        self.due.pop(Read.PROGRESS, None)

    def retry(self, kind: Read, now: float) -> None:
        """The read failed on the way (unreachable, timed out, 5xx): try it again a little later."""
        self.due[kind] = now + self.schedule.cap

    def after_entrance(self, now: float, ended: bool) -> None:
        self.due[Read.ENTRANCE] = now + self.schedule.entrance_every
        if ended:
            self._hint_end(now)
