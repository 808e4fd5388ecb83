"""The entrance of the local gateway: the jobs it holds in memory and runs on worker threads.

A job's life (§6): the row is inserted ``Inited`` (that gives the numeric taskID), moves to
``Scheduled`` when queued on the worker pool, ``Running`` when a worker picks it up, and ends in
``Succeed``, ``Failed`` or ``Cancelled``. A ``jobQueuingTimeout`` / ``jobRunningTimeout`` label
ends a job that waits or runs too long as the entrance's JobTimeoutManager does: Cancelled, with
the reason in errDesc. Every transition is written to job history (``local/history.py``) and
logged with the Linkis milestone line. The entrance keeps recent jobs in a bounded map, as the
real entrance keeps them in a ring buffer: once a finished job is evicted, ``status`` needs the
taskID fallback (§4.3).
"""

from __future__ import annotations

import itertools
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path
from typing import Any

from linkis_magic.local import results
from linkis_magic.local.auth import path_uri
from linkis_magic.local.engines.base import Engine, EngineError
from linkis_magic.local.history import STATE_ORDER, JobRequest, JobStore, now_ms
from linkis_magic.local.logs import TaskLog
from linkis_magic.local.scheduler import Scheduler
from linkis_magic.local.settings import LinkisSettings
from linkis_magic.local.variables import language
from linkis_magic.protocol import JobStatus

ENTRANCE_APPLICATION = "linkis-cg-entrance"
UNEXPECTED_ERR_CODE = 10000
#: What Linkis's KillHandler tells a job whose client stopped asking for its status (§4.3).
HEARTBEAT_LOST = "Job is killed because of client-server connection lost"
#: SQL auto-limit for the IDE creator (§4.1, Linkis Explain.scala).
IDE_CREATOR, IDE_LIMIT = "IDE", 5000
PROGRESS_STEP = 0.05
IDE_LIMIT_WARNING = "You submitted a sql without limit, DSS will add limit 5000 to your sql"
#: Labels bounding a job's time in whole seconds (§4.1; Linkis ``JobTimeoutManager``).
QUEUING_TIMEOUT, RUNNING_TIMEOUT = "jobQueuingTimeout", "jobRunningTimeout"
TIMEOUT_LABEL_INVALID = "The task time tag is not set incorrectly, execution is not allowed."


def timeout_labels(labels: Mapping[str, Any]) -> dict[str, int]:
    """The job's positive timeout labels in seconds (0 means none).

    Raises ValueError for a value that is not a whole number, as Linkis's
    ``checkTimeoutLabel`` refuses it (message :data:`TIMEOUT_LABEL_INVALID`).
    """
    limits = {}
    for key in (QUEUING_TIMEOUT, RUNNING_TIMEOUT):
        if key not in labels:
            continue
        value = str(labels[key])
        if not re.fullmatch(r"[0-9]+", value):
            raise ValueError(TIMEOUT_LABEL_INVALID)
        if int(value) > 0:
            limits[key] = int(value)
    return limits


def ide_limit(code: str) -> tuple[str, bool]:
    """Linkis's SQL auto-limit for the IDE creator (§4.1): every SELECT gets ``limit 5000`` at most.

    Returns the code and whether a limit was added or lowered. A line
    ``--set ide.engine.no.limit.allow=true`` opts out.
    """
    if "ide.engine.no.limit.allow=true" in code.replace(" ", ""):
        return code, False
    statements = code.split(";")
    changed = False
    for index, statement in enumerate(statements):
        body = re.sub(r"--[^\n]*", "", statement).strip()
        if not re.match(r"(?is)^(select|with)\b", body):
            continue
        limit = re.search(r"(?is)\blimit\s+(\d+)\s*$", body)
        if limit is None:
            # After a trailing "-- comment" the limit needs a line of its own.
            separator = "\n" if "--" in statement.rstrip().rsplit("\n", 1)[-1] else " "
            statements[index] = statement.rstrip() + f"{separator}limit {IDE_LIMIT}"
            changed = True
        elif int(limit.group(1)) > IDE_LIMIT:
            statements[index] = statement[:statement.rfind(limit.group(1))] + str(IDE_LIMIT)
            changed = True
    return ";".join(statements), changed


def make_exec_id(instance: str, creator: str, user: str, engine: str, index: int) -> str:
    """An execID in the entrance's format (§5): lengths, application, instance, short id."""
    short = f"{creator}_{user}_{engine}_{index}"
    return f"exec_id{len(ENTRANCE_APPLICATION):03d}{len(instance):03d}{ENTRANCE_APPLICATION}{instance}{short}"


class EntranceJob:
    """One job the entrance holds; the :class:`ExecutionContext` its engine sees.

    ``ended(job, history_written)`` runs once the job reached a terminal state (the entrance
    then closes it, which writes the rest of its log, §4.4.1); ``lose_update()`` says whether the
    terminal state's history update is lost (a fault, §4.3).
    """

    def __init__(self, task_id: int, exec_id: str, request: JobRequest, user_dir: Path,
                 log: TaskLog, result_dir: Path, store: JobStore, *,
                 ended: Callable[[EntranceJob], None] = lambda job: None,
                 lose_update: Callable[[], bool] = lambda: False) -> None:
        self.task_id = task_id
        self.exec_id = exec_id
        self.user = request.user
        self.creator = request.creator
        self.engine = request.engine
        self.run_type = request.run_type
        self.code = request.code
        self.user_dir = user_dir
        self.cancelled = threading.Event()
        self.status = JobStatus.INITED
        self.progress = 0.0
        self.stages: list[dict] = []
        self.task_log = log
        self.result_dir = result_dir
        self.engine_instance: Engine | None = None
        self.time_limits = timeout_labels(request.labels)
        self.timers: list[threading.Timer] = []
        self._store = store
        self._ended = ended
        self._lose_update = lose_update
        #: When a client last asked the entrance for this job's status (the heartbeat, §4.3).
        self.last_access = time.monotonic()
        self._stored_progress = 0.0
        self._results = itertools.count()
        self._lock = threading.Lock()

    # -- ExecutionContext ------------------------------------------------------------------
    def log(self, level: str, message: str) -> None:
        self.task_log.append(level, message)

    def set_progress(self, progress: float, stages: Sequence[dict] = ()) -> None:
        self.progress = min(max(float(progress), 0.0), 1.0)
        # progressInfo only lists stages with tasks (§4.5).
        self.stages = [dict(stage) for stage in stages if stage.get("totalTasks", 0) > 0]
        # History keeps a coarse copy (jobhistory is what clients trust, §4.3); steps of 0.05
        # keep SQLite writes rare however often an engine reports.
        if self.progress - self._stored_progress >= PROGRESS_STEP:
            with self._lock:
                if not self.terminal:
                    self._stored_progress = self.progress
                    self._store.update(self.task_id, progress=f"{self.progress:.2f}")

    def write_table(self, columns: Sequence[tuple[str, str]], rows: Iterable[Sequence[Any]]) -> None:
        path = results.result_path(self.result_dir, next(self._results))
        count = results.write_table(path, columns, rows)
        self.log("INFO", f"Result set {path.name} written: {count} rows, {len(columns)} columns.")

    def write_text(self, text: str) -> None:
        path = results.result_path(self.result_dir, next(self._results))
        results.write_text(path, text)
        self.log("INFO", f"Result set {path.name} written (text).")

    # -- state -----------------------------------------------------------------------------
    @property
    def terminal(self) -> bool:
        return self.status.is_terminal

    def touch(self) -> None:
        """A client asked for this job's status: the heartbeat Linkis's CliHeartbeatMonitor reads."""
        self.last_access = time.monotonic()

    def stop_timers(self) -> None:
        """Drop pending timeout checks (the job ended or moved on)."""
        for timer in self.timers:
            timer.cancel()

    def move_to(self, status: JobStatus, reason: tuple[str, str] | None = None, **fields: Any) -> bool:
        """Move to ``status`` if that is forward (§6) and persist it; False if the job is past it.

        ``reason`` (level, message) is logged first, and only if the job moves: a job that ended
        meanwhile gets no failure line.
        """
        with self._lock:
            if self.status.is_terminal or STATE_ORDER[status] <= STATE_ORDER[self.status]:
                return False
            if reason is not None:
                self.log(*reason)
            # The milestone line first, as EntranceJob.afterStateChanged writes it: a client that
            # sees the new state in history and then reads the entrance's log finds it there.
            self.log(*_milestone(status))
            self.status = status
            if status.is_terminal:
                # The entrance reports progress 1.0 for every finished job (§4.5).
                self.progress = 1.0
                fields.setdefault("progress", "1.0")
            # A lost terminal update leaves history at its last state for ever (a fault, §4.3).
            if not (status.is_terminal and self._lose_update()):
                self._store.update(self.task_id, status=status.value, **fields)
        if status.is_terminal:
            self._ended(self)  # after history shows the end: the entrance closes the job (§4.4.1)
        return True


def _milestone(status: JobStatus) -> tuple[str, str]:
    """The entrance's log line for a state (§6, EntranceJob.scala)."""
    if status == JobStatus.SCHEDULED:
        return "INFO", "Your job is Scheduled. Please wait it to run."
    if status == JobStatus.RUNNING:
        return "INFO", "Your job is Running now. Please wait it to complete."
    if status == JobStatus.SUCCEED:
        return "INFO", "Congratulations. Your job completed with status Success."
    return "ERROR", f"Sorry. Your job completed with a status {status.value}. You can view logs for the reason."


class Entrance:
    """Accepts jobs, runs them on a bounded worker pool, and answers for the jobs it remembers."""

    def __init__(self, store: JobStore, engine_pool: Any, users_dir: Path, instance: str,
                 capacity: int = 1000, workers: int = 64, settings: LinkisSettings = LinkisSettings(),
                 faults: Any = None) -> None:
        self.store = store
        self.instance = instance
        self.settings = settings
        self._faults = faults
        self._pool = engine_pool
        self._users_dir = users_dir
        self._capacity = capacity
        self._jobs: OrderedDict[str, EntranceJob] = OrderedDict()
        self._lock = threading.Lock()
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="linkis-job")
        # What waits (delayed log closes, the heartbeat scans) runs on one thread, not one a job.
        self._scheduler = Scheduler(f"linkis-entrance-{instance}")
        self._scheduler.call_at(time.monotonic() + settings.heartbeat_scan_seconds, self._scan_heartbeats)

    def user_root(self, user: str) -> Path:
        """Everything of ``user`` lives below this directory (the filesystem boundary)."""
        return self._users_dir / user

    @property
    def engine_pool(self) -> Any:
        """The pool the jobs' engines come from (the manager's engine endpoints ask it)."""
        return self._pool

    def metastore(self, user: str, database: str | None = None, table: str | None = None) -> list[tuple] | None:
        """``user``'s databases, tables or columns (``EnginePool.metastore``), or None when the
        engines keep no catalog."""
        read = getattr(self._pool, "metastore", None)
        return None if read is None else read(user, self.user_root(user), database, table)

    def submit(self, request: JobRequest) -> EntranceJob:
        """Persist, log and queue a job; returns it in state Scheduled."""
        task_id = self.store.insert(request, self.instance)
        exec_id = make_exec_id(self.instance, request.creator, request.user, request.engine, task_id)
        job = self._make_job(task_id, exec_id, request)
        job.log("INFO", f"Your job is accepted,  jobID is {exec_id} and jobReqId is {task_id} in "
                        f"{self.instance} . Please wait it to be scheduled")
        if request.creator == IDE_CREATOR and language(request.run_type) == "sql":
            job.code, limited = ide_limit(job.code)
            if limited:
                job.log("WARN", IDE_LIMIT_WARNING)
                self.store.update(task_id, code=job.code)
        self._remember(job)
        job.move_to(JobStatus.SCHEDULED)
        self._watch(job, QUEUING_TIMEOUT, JobStatus.SCHEDULED)
        self._executor.submit(self._run, job)
        return job

    def record_refusal(self, request: JobRequest, err_code: int | None, err_desc: str) -> None:
        """History for a job an interceptor refused: persisted, then Failed at once (§4.1)."""
        task_id = self.store.insert(request, self.instance)
        self.store.update(task_id, status=JobStatus.FAILED.value, progress="1.0", err_code=err_code,
                          err_desc=err_desc)

    def _make_job(self, task_id: int, exec_id: str, request: JobRequest) -> EntranceJob:
        day = datetime.now().strftime("%Y-%m-%d")
        root = self.user_root(request.user)
        log_path = root / "log" / day / request.creator / f"{task_id}.log"
        result_dir = root / "result" / day / request.creator / str(task_id)
        work_dir = root / "work"
        work_dir.mkdir(parents=True, exist_ok=True)
        self.store.update(task_id, exec_id=exec_id.split(ENTRANCE_APPLICATION + self.instance, 1)[1],
                          stronger_exec_id=exec_id, log_path=path_uri(log_path),
                          result_location=path_uri(result_dir))
        log = TaskLog(log_path, self.settings.log_cache_lines, self.settings.log_push_seconds)
        return EntranceJob(task_id, exec_id, request, work_dir, log, result_dir, self.store,
                           ended=self._close_later, lose_update=self._history_update_lost)

    def _history_update_lost(self) -> bool:
        lost = getattr(self._faults, "history_update_lost", None)
        return bool(lost and lost())

    def _close_later(self, job: EntranceJob) -> None:
        """Close a job that ended: its log goes to the file a moment after history shows the end
        (§4.4.1; a fault may make the moment longer)."""
        delay = getattr(self._faults, "log_close_delay", lambda: None)()
        delay = self.settings.log_close_seconds if delay is None else delay
        self._scheduler.call_at(time.monotonic() + delay, job.task_log.close)

    def _scan_heartbeats(self) -> None:
        """Linkis's CliHeartbeatMonitor (§4.3): a job of a watched creator whose status nobody
        asked for within the threshold is killed, as a client that went away."""
        settings = self.settings
        with self._lock:
            jobs = [job for job in self._jobs.values() if not job.terminal and settings.watches(job.creator)]
        for job in jobs:
            if time.monotonic() - job.last_access > settings.heartbeat_seconds:
                self._end_with(job, HEARTBEAT_LOST)
        self._scheduler.call_at(time.monotonic() + settings.heartbeat_scan_seconds, self._scan_heartbeats)

    def _remember(self, job: EntranceJob) -> None:
        # A bounded map like the entrance's ring buffer (§4.3); running jobs are never evicted,
        # so they stay killable.
        with self._lock:
            self._jobs[job.exec_id] = job
            excess = len(self._jobs) - self._capacity
            for exec_id in [key for key, held in self._jobs.items() if held.terminal][:max(excess, 0)]:
                del self._jobs[exec_id]

    def find(self, exec_id: str, user: str) -> EntranceJob | None:
        """The remembered job ``exec_id`` if ``user`` owns it."""
        with self._lock:
            job = self._jobs.get(exec_id)
        return job if job is not None and job.user == user else None

    def holder(self, exec_id: str) -> str | None:
        """The owner of a remembered job (for kill's permission message)."""
        with self._lock:
            job = self._jobs.get(exec_id)
        return job.user if job else None

    def _watch(self, job: EntranceJob, label: str, state: JobStatus) -> None:
        """Time ``job`` out if it is still in ``state`` once its ``label`` limit has passed."""
        limit = job.time_limits.get(label)
        if limit is None:
            return
        timer = threading.Timer(limit, self._time_out, args=(job, label, state, time.monotonic()))
        timer.daemon = True
        job.timers.append(timer)
        timer.start()

    def _time_out(self, job: EntranceJob, label: str, state: JobStatus, since: float) -> None:
        """End a job past its time label as JobTimeoutManager does: ``onFailure`` with the reason,
        which interrupts the job, so it ends Cancelled (Linkis ``Job.transitionCompleted``)."""
        if job.status != state:
            return
        elapsed, limit = int(time.monotonic() - since), job.time_limits[label]
        reason = (f"Job queued {elapsed} seconds over max queue time : {limit} seconds." if label == QUEUING_TIMEOUT
                  else f"Job run {elapsed} seconds over max run time : {limit} seconds.")
        self._end_with(job, reason)

    def _end_with(self, job: EntranceJob, reason: str) -> None:
        """``job.onFailure(reason)``: the job is interrupted, so it ends Cancelled with the reason
        as errDesc (Linkis ``Job.transitionCompleted``)."""
        if job.move_to(JobStatus.CANCELLED, ("ERROR", f"Sorry, your job executed failed with reason: {reason}"),
                       err_desc=reason):
            job.cancelled.set()
            self._cancel_engine(job)

    def _run(self, job: EntranceJob) -> None:
        if job.cancelled.is_set() or not job.move_to(JobStatus.RUNNING, engine_start_time=now_ms()):
            job.stop_timers()
            return
        self._watch(job, RUNNING_TIMEOUT, JobStatus.RUNNING)
        try:
            job.engine_instance = self._pool.get(job.engine, job.user, job.creator)
            try:
                if not job.cancelled.is_set():
                    job.engine_instance.execute(job)
            finally:
                release = getattr(self._pool, "release", None)
                if release is not None:
                    release(job.engine_instance)
        except EngineError as error:
            self._fail(job, error.err_code, str(error))
        except Exception as error:  # an engine bug must still end the job, with its reason
            self._fail(job, UNEXPECTED_ERR_CODE, f"{type(error).__name__}: {error}")
        else:
            if not job.cancelled.is_set():
                job.move_to(JobStatus.SUCCEED)
        finally:
            job.stop_timers()

    def _fail(self, job: EntranceJob, err_code: int, err_desc: str) -> None:
        if job.cancelled.is_set() or job.terminal:
            return
        job.move_to(JobStatus.FAILED, ("ERROR", err_desc), err_code=err_code, err_desc=err_desc)

    def kill(self, job: EntranceJob, progress: str = "1.0") -> JobStatus | None:
        """Cancel a job: Cancelled at once in history (§4.6), then stop the engine.

        A job that already ended cannot be killed: the entrance still asks history for Cancelled,
        which history refuses for a job it recorded as ended (§6). Returns that recorded state
        then (the kill failed), else None.
        """
        if job.terminal:
            row = self.store.get(job.task_id, job.user)
            if row is None or self.store.change_status(job.task_id, JobStatus.CANCELLED, progress=progress):
                return None
            recorded = JobStatus(row["status"])
            return None if recorded is JobStatus.CANCELLED or recorded is JobStatus.TIMEOUT else recorded
        job.cancelled.set()
        job.move_to(JobStatus.CANCELLED, ("WARN", f"Job {job.exec_id} is killed by user {job.user}."),
                    progress=progress)
        job.stop_timers()
        self._cancel_engine(job)
        return None

    @staticmethod
    def _cancel_engine(job: EntranceJob) -> None:
        engine = job.engine_instance
        if engine is not None:
            try:
                engine.cancel(job)
            except Exception as error:  # the job is Cancelled either way; say why the engine may linger
                job.log("WARN", f"The engine did not accept the cancel: {type(error).__name__}: {error}")

    def force_kill(self, task_id: int, user: str) -> bool:
        """Kill by taskID for a job the entrance no longer holds (§4.6); False if not ``user``'s."""
        row = self.store.get(task_id, user)
        if row is None:
            return False
        if not JobStatus(row["status"]).is_terminal:
            self.store.update(task_id, status=JobStatus.CANCELLED.value, progress="1.0")
        return True

    def close(self) -> None:
        """Stop accepting work and stop every running job's engine; unfinished jobs stay unfinished
        in history and become Failed at the next start (restart recovery). Logs still open are
        written out."""
        for waiting in self._scheduler.stop():  # logs still to close are written out now
            if waiting != self._scan_heartbeats:
                waiting()
        with self._lock:
            jobs = list(self._jobs.values())
        for job in jobs:
            job.task_log.close()
            job.stop_timers()
            if not job.terminal:
                job.cancelled.set()
                if job.engine_instance is not None:
                    job.engine_instance.cancel(job)
        self._executor.shutdown(wait=False, cancel_futures=True)
