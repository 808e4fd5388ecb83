"""One Linkis job's life: submit, poll (state, log, progress), kill, results.

A :class:`Job` reports what happens through a *listener*, any object with some of
``on_wait_start(job)``, ``on_state(job)``, ``on_progress(job)`` and ``on_log(job, lines)``;
missing methods are skipped, and the log and progress are only polled when someone listens.

``Job.wait`` is the one place that handles ``KeyboardInterrupt``: it kills the job from a worker
thread, keeps waiting through further presses up to a bound, confirms the final state and raises
:class:`~linkis_magic.errors.JobInterrupted`.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import math
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .engines import EngineSpec, resolve_engine, user_creator
from .errors import (
    InvalidCodeError,
    JobFailed,
    JobInterrupted,
    JobTimeout,
    LinkisConnectionError,
    LinkisError,
    LinkisProtocolError,
    LinkisRequestError,
    LinkisTimeoutError,
)
from .logs import ENTRANCE_GONE, LogFollower, whole_log
from .protocol import REQUEST_MARKER, JobStatus, result_index
from .results import ResultSet
from .schedule import Poller, PollSchedule, Read

if TYPE_CHECKING:
    from .client import LinkisClient

#: Requests that must finish even if the user presses stop again (submit, kill) run here, so an
#: interrupt lands in the waiting main thread, never inside them. A future, not Thread.join: an
#: interrupted join marks the thread dead on Python <= 3.12 (CPython #90882, docs/jupyter.md §1).
_WORKERS = concurrent.futures.ThreadPoolExecutor(max_workers=2, thread_name_prefix="linkis-job")

#: Reads a finished job does alongside others (the result listing and each result's first page,
#: beside the last log read or the history read that confirms the end), so the cell waits for
#: the slowest rather than their sum.
_READS = concurrent.futures.ThreadPoolExecutor(max_workers=8, thread_name_prefix="linkis-read")

#: Polls in a row that may fail (gateway unreachable, timing out, answering 5xx) before a wait
#: gives up: a blip or a gateway restart must not end a notebook cell; a dead gateway must.
POLL_FAILURES = 5
_TRANSIENT = (LinkisConnectionError, LinkisTimeoutError, LinkisProtocolError)


@dataclass(frozen=True)
class KillOutcome:
    """What a kill achieved: the state confirmed (None if unknown) and after how long."""

    status: JobStatus | None
    seconds: float
    message: str


def parse_progress(value: Any) -> float:
    """A progress value as Linkis sends it (0.35, "0.35", "1.0f", §4.5, §7.1) -> [0, 1]."""
    if isinstance(value, str):
        value = value.strip().rstrip("fFdD")
    try:
        progress = abs(float(value))
    except (TypeError, ValueError):
        return 0.0
    return min(progress, 1.0) if progress == progress else 0.0


def parse_status(value: Any) -> JobStatus:
    """A Linkis state string -> :class:`JobStatus`; anything else is a protocol error."""
    try:
        return JobStatus.parse(value)
    except ValueError:
        raise LinkisProtocolError(f"unknown Linkis job status {value!r}") from None


def build_payload(
    code: str,
    spec: EngineSpec,
    user_creator_label: str,
    request_id: str,
    *,
    run_type: str | None = None,
    variables: Mapping[str, Any] | None = None,
    startup: Mapping[str, Any] | None = None,
    runtime: Mapping[str, Any] | None = None,
    labels: Mapping[str, Any] | None = None,
    source: Mapping[str, Any] | None = None,
) -> dict:
    """The ``POST /entrance/submit`` body (§4.1).

    ``source.linkisMagicRequestId`` marks the job as ours, so it can be found in job history if
    the submit's answer is lost. Code that cannot be sent as UTF-8 text is refused here.
    """
    _check_text(code)
    return {
        "executionContent": {"code": code, "runType": run_type or spec.run_type},
        "params": {
            "variable": dict(variables or {}),
            "configuration": {"startup": dict(startup or {}), "runtime": dict(runtime or {})},
        },
        "labels": {"engineType": spec.engine_type, "userCreator": user_creator_label, **(labels or {})},
        "source": {REQUEST_MARKER: request_id, **(source or {})},
    }


def _check_text(code: str) -> None:
    if not isinstance(code, str):
        raise TypeError(f"the code must be a str, not {type(code).__name__}")
    try:
        code.encode("utf-8")
    except UnicodeEncodeError as e:  # lone surrogates, e.g. from bytes decoded with surrogateescape
        raise InvalidCodeError(f"the code is not valid UTF-8 text ({e.object[e.start]!r} at position "
                               f"{e.start}); nothing was sent") from None


class _Events:
    """Calls the listener's methods that exist."""

    def __init__(self, listener: Any) -> None:
        self._listener = listener
        self.details = tuple(
            kind for kind, hook in (("log", "on_log"), ("progress", "on_progress")) if self._has(hook)
        )

    def _has(self, hook: str) -> bool:
        return callable(getattr(self._listener, hook, None))

    def __call__(self, hook: str, *args: Any) -> None:
        method = getattr(self._listener, hook, None)
        if callable(method):
            method(*args)


def _await_shielded(future: concurrent.futures.Future, bound: float) -> Any:
    """The future's result; further interrupts are ignored until ``bound`` seconds pass.

    Returns None if the bound passes first.
    """
    deadline = time.monotonic() + bound
    while time.monotonic() < deadline:
        try:
            return future.result(timeout=0.1)
        except concurrent.futures.TimeoutError:
            continue
        except KeyboardInterrupt:
            continue  # a second press: the kill is already on its way, keep waiting for it
    return None


class Job:
    """A Linkis job, from submit to its results."""

    def __init__(
        self,
        client: LinkisClient,
        exec_id: str | None,
        task_id: int,
        *,
        spec: EngineSpec | None = None,
        request_id: str | None = None,
    ) -> None:
        self.client = client
        self.exec_id = exec_id
        self.task_id = task_id
        self.spec = spec
        self.request_id = request_id
        self.status = JobStatus.INITED
        self.progress = 0.0
        self.stages: list[dict] = []
        self.task: dict | None = None
        self._started = time.monotonic()
        self._ended: float | None = None
        self._log = LogFollower(client, exec_id)  # where the log reads are; the ERROR tail
        self._results: list[ResultSet] | None = None
        self._done = False
        #: What the user should know about how the job ended that no state says (a log that may
        #: be incomplete, a job history that lost the job's end); views show them.
        self.notes: list[str] = []
        self._entrance_end: tuple[JobStatus, float] | None = None  # (state, when the entrance said it)
        self._wants_results = False  # the caller of wait() reads the results next
        self._ahead: concurrent.futures.Future | None = None  # their listing, started early

    def __repr__(self) -> str:
        return f"<Job task {self.task_id} {self.status.value}>"

    @property
    def elapsed(self) -> float:
        """Seconds since submit, frozen when the job ended."""
        return (self._ended or time.monotonic()) - self._started

    # -- creating ----------------------------------------------------------------------------

    @classmethod
    def submit(
        cls,
        client: LinkisClient,
        code: str,
        engine: str = "hive",
        *,
        creator: str | None = None,
        **options: Any,
    ) -> Job:
        """Submit ``code`` to ``engine`` (``hive``, ``pyspark``, ``spark-3.4.4``, ...).

        ``creator`` overrides the client's; ``options`` are ``run_type``, ``variables``,
        ``startup``, ``runtime``, ``labels`` and ``source`` (see :func:`build_payload`). An
        interrupt while the request is in flight waits for the job's ids, kills the job and
        raises ``JobInterrupted``.
        """
        spec = resolve_engine(engine, client.versions)
        request_id = uuid.uuid4().hex
        label = user_creator(client.user or "", creator or client.creator)
        payload = build_payload(code, spec, label, request_id, **options)
        future = _WORKERS.submit(client.submit, payload)
        try:
            ids = future.result()
        except KeyboardInterrupt:
            raise cls._interrupted_submit(client, future, spec, request_id) from None
        return cls(client, ids["execID"], int(ids["taskID"]), spec=spec, request_id=request_id)

    @classmethod
    def _interrupted_submit(cls, client: LinkisClient, future: concurrent.futures.Future,
                            spec: EngineSpec, request_id: str) -> JobInterrupted:
        try:
            ids = _await_shielded(future, bound=_request_bound(client))
        except LinkisError as e:
            return JobInterrupted(None, f"interrupted; the submit failed: {e}")
        if ids is None:
            return JobInterrupted(None, f"interrupted; no answer to the submit (request id {request_id})")
        job = cls(client, ids["execID"], int(ids["taskID"]), spec=spec, request_id=request_id)
        return job._interrupt()

    @classmethod
    def attach(cls, client: LinkisClient, task_id: int) -> Job:
        """A job submitted earlier (for example before a kernel restart), from job history."""
        if isinstance(task_id, bool) or not isinstance(task_id, int):
            raise TypeError(f"task_id must be an int (job history's taskID), not {type(task_id).__name__}")
        info = client.job_info(task_id)
        job = cls(client, info.get("strongerExecId"), task_id)
        job.status = job._take_info(info)
        job.progress = parse_progress(info.get("progress"))
        # Elapsed is the job's age, not this object's: from createdTime (epoch ms, §7.1) by this
        # machine's clock, and once it ended the server's own run time (costTime, ms).
        created = float(info.get("createdTime") or 0) / 1000
        if created:
            job._started -= max(time.time() - created, 0.0)
        if job.status.is_terminal:
            job._ended = job._started + float(info.get("costTime") or 0) / 1000
        return job

    # -- waiting -----------------------------------------------------------------------------

    def wait(self, timeout: float | None = None, listener: Any = None,
             poll: PollSchedule = PollSchedule(), *, list_results: bool = False) -> Job:
        """Poll until the job ends; return self on Succeed.

        ``list_results`` lists the result sets (``results``) and reads each one's first page
        while the end is being confirmed and the rest of the log read, for a caller that reads
        them next anyway (a log whose closing line says Success starts it at once). Raises
        ``JobFailed`` (Failed, Cancelled, Timeout), ``JobTimeout`` after ``timeout`` seconds (the job is killed) or
        ``JobInterrupted`` on Ctrl-C (the job is killed).
        """
        if timeout is not None and (isinstance(timeout, bool) or not isinstance(timeout, (int, float))
                                    or not 0 < timeout < math.inf):
            raise ValueError(f"timeout must be None or a positive number of seconds: {timeout!r}")
        events = _Events(listener)
        events("on_wait_start", self)
        if not self._done:
            deadline = None if timeout is None else time.monotonic() + timeout
            self._ahead = None
            self._wants_results = list_results
            try:
                self._follow(events, poll, deadline)
                self._finish(events, list_results)  # inside: a press while reading the log counts too
            except KeyboardInterrupt:
                interrupted = self._interrupt()
                with contextlib.suppress(KeyboardInterrupt):  # a late press: the kill is done
                    events("on_state", self)
                raise interrupted from None
        if self.status is not JobStatus.SUCCEED:
            raise self._failure()
        return self

    def _follow(self, events: _Events, schedule: PollSchedule, deadline: float | None) -> None:
        """Read what the poller says, a tick at a time, until job history (or, if history lost
        the end, the entrance, §4.3) says the job ended."""
        reader = bool(self.exec_id)
        poller = Poller(schedule, log=reader and "log" in events.details,
                        progress=reader and "progress" in events.details, now=time.monotonic())
        failures = 0
        while True:
            when, kind = poller.next()
            pause = when - time.monotonic()
            if deadline is not None:
                pause = min(pause, deadline - time.monotonic())
            if pause > 0:  # sleep(0) would still hand the GIL to a busy reader thread for a while
                time.sleep(pause)
            if deadline is not None and time.monotonic() >= deadline:
                timed_out = self._time_out(events)
                if timed_out is None:
                    return  # it succeeded just as the time ran out
                raise timed_out
            try:
                if self._tick(kind, poller, events, schedule):
                    return
            except _TRANSIENT:
                failures += 1
                if failures > POLL_FAILURES:
                    raise
                poller.retry(kind, time.monotonic())
                continue
            failures = 0

    def _tick(self, kind: Read, poller: Poller, events: _Events, schedule: PollSchedule) -> bool:
        """Send one read and tell the poller what it said; return whether the job ended."""
        if kind is Read.STATUS:
            self._set_status(self._read_status(schedule), events)
            if self.status.is_terminal:
                return True
            self._set_progress(parse_progress((self.task or {}).get("progress")), self.stages, events)
            poller.after_status(time.monotonic())
        elif kind is Read.LOG:
            try:
                lines = self._log.read()
            except LinkisRequestError:
                poller.log_gone(time.monotonic())  # evicted (§4.4): the rest comes from the file
                return False
            except LinkisProtocolError:
                lines = []  # a passing gateway error: the next read picks up from the same line
            if _moves_on(self.status, self._log.state):
                self._set_status(self._log.state, events)  # a milestone line: Scheduled, Running (§6)
            if self._log.succeeded and self._wants_results and self._ahead is None:
                self._ahead = self._read_ahead()  # while history confirms the end and the view updates
            self._emit_log(lines, events)
            poller.after_log(time.monotonic(), lines=len(lines), closing=self._log.closed)
        elif kind is Read.PROGRESS:
            try:
                data = self.client.progress(self.exec_id)
            except (LinkisRequestError, LinkisProtocolError):
                poller.progress_gone()  # progress is decoration; the Java SDK ignores its errors (§4.5)
                return False
            progress = parse_progress(data.get("progress"))
            self._set_progress(progress, list(data.get("progressInfo") or []), events)
            poller.after_progress(time.monotonic(), progress)
        else:
            poller.after_entrance(time.monotonic(), self._check_entrance())
        return False

    def _read_status(self, schedule: PollSchedule) -> JobStatus:
        """Job history's state: the authority (the entrance's status is a cache that forgets
        jobs, §4.3). Its answer also brings the progress, the log path and the results' location,
        so a finished job goes straight to its log and results. History is write-once at a
        terminal state (§6), so the end seen there is final. If history still disagrees
        ``history_lag`` seconds after the entrance said the job ended, history lost the update
        (§4.3): the entrance's state is taken, with a note."""
        status = self._take_info(self.client.job_info(self.task_id, brief=True))
        if status.is_terminal or self._entrance_end is None:
            return status
        ended, since = self._entrance_end
        waited = time.monotonic() - since
        if waited < schedule.history_lag:
            return status
        self.notes.append(f"job history still says task {self.task_id} is {status.value}, {waited:.0f} s "
                          f"after the entrance reported it {ended.value}: Linkis lost the update of job history "
                          "(publicservice unreachable?); the entrance's state is used")
        return ended

    def _check_entrance(self) -> bool:
        """Ask the entrance (in memory, ahead of history, never behind, §4.3) whether the job
        ended; remember when it first said so."""
        try:
            status = parse_status(self.client.status(self.exec_id))
        except ENTRANCE_GONE:
            return False  # the entrance forgot the job (evicted, restarted): history decides
        if status.is_terminal and self._entrance_end is None:
            self._entrance_end = (status, time.monotonic())
        return status.is_terminal

    def _set_status(self, status: JobStatus, events: _Events) -> None:
        if status is not self.status:
            self.status = status
            if status is JobStatus.WAIT_FOR_RETRY:  # the entrance resets progress to 0 (§4.5)
                self.progress, self.stages = 0.0, []
            events("on_state", self)

    def _take_info(self, info: dict) -> JobStatus:
        """Keep a job-history task object; return the state it records."""
        self.task = info
        self.exec_id = self.exec_id or info.get("strongerExecId")
        self._log.exec_id = self.exec_id
        self._log.log_path = info.get("logPath") or self._log.log_path
        return parse_status(info.get("status"))

    def _emit_log(self, lines: list[str], events: _Events) -> None:
        if lines:
            events("on_log", self, lines)

    def _set_progress(self, progress: float, stages: list[dict], events: _Events) -> bool:
        """Keep and report a progress reading; return whether it changed.

        The bar never moves back: job history persists the entrance's progress late and rounded,
        so the two sources disagree a little. Only a retry starts it over (``_set_status``)."""
        progress = max(progress, self.progress)
        if (progress, stages) == (self.progress, self.stages):
            return False
        self.progress, self.stages = progress, stages
        events("on_progress", self)
        return True

    def _finish(self, events: _Events, list_results: bool) -> None:
        """After the end: the rest of the log, and the result listing alongside it when asked."""
        if self._ended is None:  # an attached job that had ended keeps the server's run time
            self._ended = time.monotonic()
        self._done = True
        if self.status is JobStatus.SUCCEED:
            self.progress = 1.0
        if "progress" in events.details:
            events("on_progress", self)
        listing = self._ahead
        if listing is None and list_results and self.status is JobStatus.SUCCEED:
            listing = self._read_ahead()
        if "log" in events.details or self.status is not JobStatus.SUCCEED:
            # From the entrance while it holds the job (its file is written after history shows
            # the end, §4.4.1), else from the file once complete; and lines a read skipped.
            self._emit_log(self._log.rest(), events)
            self.notes.extend(f"the log of task {self.task_id} may be incomplete: {note}; "
                              f"%linkis log {self.task_id} reads it again" for note in self._log.notes)
            self._log.notes = []
        if listing is not None:
            listing.result()

    def _read_ahead(self) -> concurrent.futures.Future:
        """Start listing the result sets and reading each one's first page (a cell shows them
        next), in worker threads. A refusal is left for the caller's own read to meet: reading
        is not waiting.

        The first result set's page is asked for beside the listing, at the path Linkis names
        it by when the statement gives it no alias (``_0.dolphin``, §8.1): a one-result job then
        costs one round trip here, not two. The guess is used only if the listing names it."""
        location = (self.task or {}).get("resultLocation")
        guess = early = None
        if location and self._results is None:
            guess = ResultSet(self.client, f"{location.rstrip('/')}/_0.dolphin", 0)
            early = _READS.submit(guess.prefetch)
        return _READS.submit(self._list_ahead, guess, early)

    def _list_ahead(self, guess: ResultSet | None, early: concurrent.futures.Future | None) -> None:
        with contextlib.suppress(LinkisError):
            results = self.results
            if guess is not None and results and results[0].path == guess.path:
                results[0] = guess
                early.result()
            for result in results:
                result.prefetch()

    def _failure(self) -> JobFailed:
        info = self.task or {}
        desc = info.get("errDesc")
        message = f"task {self.task_id} ended {self.status.value}" + (f": {desc}" if desc else "")
        return JobFailed(message, task_id=self.task_id, status=self.status, err_code=info.get("errCode"),
                         err_desc=desc, log_tail=list(self._log.errors))

    # -- stopping ----------------------------------------------------------------------------

    def kill(self, confirm_within: float = 10.0) -> KillOutcome:
        """Kill the job and wait up to ``confirm_within`` seconds for job history to confirm it."""
        started = time.monotonic()
        if self.status.is_terminal:
            return self._already_ended(0.0)
        try:
            # taskID lets the entrance kill a job it has forgotten (§4.6).
            self.client.kill(self.exec_id or str(self.task_id), self.task_id)
        except LinkisError:
            # Linkis refuses to kill a job that just ended (history will not turn Succeed into
            # Cancelled, §4.6): history says what really happened.
            self.status = self._take_info(self.client.job_info(self.task_id))
            if self.status.is_terminal:
                return self._already_ended(time.monotonic() - started)
            raise
        self._confirm_end(started + confirm_within)
        seconds = time.monotonic() - started
        if self.status.is_terminal:
            # How long it ran is the server's word (costTime, §7.1), not this object's age: a job
            # attached after a restart is older than the Job that kills it.
            ran = float((self.task or {}).get("costTime") or self.elapsed * 1000) / 1000
            return KillOutcome(self.status, seconds, f"killed task {self.task_id} after it ran {ran:.1f} s "
                                                     f"({self.status.value} {seconds:.1f} s after the kill was sent)")
        return KillOutcome(None, seconds, f"kill sent to task {self.task_id}, but it was still "
                                          f"{self.status.value} after {seconds:.1f} s")

    def _already_ended(self, seconds: float) -> KillOutcome:
        return KillOutcome(self.status, seconds, f"task {self.task_id} had already ended: {self.status.value}")

    def _confirm_end(self, deadline: float) -> None:
        delay = 0.05
        while True:
            self.status = self._take_info(self.client.job_info(self.task_id))
            if self.status.is_terminal or time.monotonic() + delay > deadline:
                return
            time.sleep(delay)
            delay = min(delay * 1.5, 0.5)

    def _interrupt(self) -> JobInterrupted:
        """Kill from a worker thread, shielded from further presses: one that lands before the
        wait for the kill has begun (a busy machine, two quick presses) waits for the same kill."""
        bound = _request_bound(self.client) + 10.0
        future: concurrent.futures.Future | None = None
        while True:
            try:
                future = future or _WORKERS.submit(self.kill)
                outcome = _await_shielded(future, bound=bound)
                break
            except KeyboardInterrupt:
                continue
            except LinkisError as e:
                return JobInterrupted(self.task_id, f"interrupted; killing task {self.task_id} failed: {e}")
        if outcome is None:
            return JobInterrupted(self.task_id, f"interrupted; task {self.task_id} may still run")
        self._done = True
        self._ended = time.monotonic()
        return JobInterrupted(self.task_id, outcome.message)

    def _time_out(self, events: _Events) -> JobTimeout | None:
        """Kill a job that ran out of time; None if it turned out to have succeeded."""
        try:
            outcome = self.kill()
        except LinkisError as e:
            return JobTimeout(f"task {self.task_id} did not finish in time, and killing it failed: {e}",
                              task_id=self.task_id, status=self.status, log_tail=list(self._log.errors))
        if self.status is JobStatus.SUCCEED:
            return None
        self._done = True
        self._ended = time.monotonic()
        events("on_state", self)
        return JobTimeout(f"task {self.task_id} did not finish in time; {outcome.message}",
                          task_id=self.task_id, status=self.status, log_tail=list(self._log.errors))

    # -- output ------------------------------------------------------------------------------

    def log_text(self) -> str:
        """The whole log, one line per line: from the entrance while the job runs, from the
        log file once it ended (§4.4.3)."""
        status = self._take_info(self.client.job_info(self.task_id))
        read = whole_log(self.client, self.exec_id, self.task.get("logPath"), status.is_terminal)
        return "".join(f"{line}\n" for line in read.lines)

    @property
    def results(self) -> list[ResultSet]:
        """The job's result sets in statement order; pages are read when used."""
        if self._results is None:
            if not (self.task or {}).get("resultLocation"):
                self._take_info(self.client.job_info(self.task_id))
            location = self.task.get("resultLocation")
            paths = self.client.list_results(location) if location else []
            self._results = [ResultSet(self.client, path, result_index(path)) for path in paths]
        return self._results


def _moves_on(current: JobStatus, seen: JobStatus | None) -> bool:
    """Whether a state read in the log is news: a later state, or a retry (§6)."""
    if seen is None or seen is current or current.is_terminal:
        return False
    order = list(JobStatus)
    return seen is JobStatus.WAIT_FOR_RETRY or order.index(seen) > order.index(current)


def _request_bound(client: LinkisClient) -> float:
    """The longest one request to ``client`` can take (connect + read timeout)."""
    timeout = client.timeout
    return float(sum(timeout)) if isinstance(timeout, tuple) else 2.0 * float(timeout)
