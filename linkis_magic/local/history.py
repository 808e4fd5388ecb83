"""Job history of the local gateway: the SQLite table of every job, the record clients read
(``/jobhistory``, §7), and Linkis's rule that a job's end, once recorded, never changes (§6).

The newest rows are also kept in memory (``RECENT_ROWS``), read back after every write, so a
waiting client's repeated ``/jobhistory/{id}/get`` takes neither the lock nor a worker thread.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from linkis_magic.protocol import TERMINAL_STATES, JobStatus

RESTART_ERR_CODE = 21304
RESTART_ERR_DESC = "The local Linkis gateway restarted while the job was running; the job was lost."
#: How many of the newest jobs' rows job history also keeps in memory (older jobs are read from
#: SQLite, running or not).
RECENT_ROWS = 1024

#: The states in their enumeration order: a job only moves forward through them (§6).
STATE_ORDER = {status: index for index, status in enumerate(JobStatus)}

_SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    instance TEXT, exec_id TEXT, stronger_exec_id TEXT, um_user TEXT NOT NULL,
    engine TEXT, engine_label TEXT, creator TEXT, run_type TEXT, code TEXT,
    status TEXT NOT NULL, progress TEXT NOT NULL, err_code INTEGER, err_desc TEXT,
    params_json TEXT, source_json TEXT, labels_json TEXT, log_path TEXT, result_location TEXT,
    created_time INTEGER NOT NULL, updated_time INTEGER NOT NULL, engine_start_time INTEGER
);
CREATE INDEX IF NOT EXISTS jobs_user ON jobs (um_user, id);
"""


def now_ms() -> int:
    return int(time.time() * 1000)


@dataclass(frozen=True)
class JobRequest:
    """A validated submission: who runs what on which engine."""

    user: str
    creator: str
    engine: str  # engine name without version
    engine_label: str  # labels.engineType as sent ("hive-3.1.3")
    run_type: str
    code: str  # after variable substitution
    params: dict = field(default_factory=dict)
    source: dict = field(default_factory=dict)
    labels: dict = field(default_factory=dict)


class JobStore:
    """Job history in SQLite, shared by the worker threads behind one lock.

    The rows of the newest jobs are also kept in memory, read back after every write, so the
    read a waiting client repeats (``/jobhistory/{id}/get``) takes neither the lock nor a worker
    thread: with fifty jobs polled, SQLite reads queued on the lock, each holder waiting for the
    GIL after the query, for 15 ms (median) to 150 ms (p99). Every write goes through this
    object (the data directory is locked to one gateway), so memory and SQLite agree, down to
    the types SQLite gives the values.
    """

    def __init__(self, path: Path) -> None:
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.row_factory = sqlite3.Row
        self._lock = threading.Lock()
        self._closed = False
        # task ID -> row; a row is replaced whole, never changed in place, so a reader without
        # the lock sees one version of it. Oldest first.
        self._recent: dict[int, dict] = {}
        with self._lock:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(_SCHEMA)

    def insert(self, request: JobRequest, instance: str) -> int:
        created = now_ms()
        with self._lock:
            cursor = self._db.execute(
                "INSERT INTO jobs (instance, um_user, engine, engine_label, creator, run_type, code,"
                " status, progress, params_json, source_json, labels_json, created_time, updated_time)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, '0.0', ?, ?, ?, ?, ?)",
                (instance, request.user, request.engine, request.engine_label, request.creator,
                 request.run_type, request.code, JobStatus.INITED.value, json.dumps(request.params),
                 json.dumps(request.source), json.dumps(request.labels), created, created),
            )
            task_id = int(cursor.lastrowid)
            self._reread(task_id)
            while len(self._recent) > RECENT_ROWS:
                del self._recent[next(iter(self._recent))]
            return task_id

    def _reread(self, task_id: int) -> None:
        """Replace the row in memory by SQLite's (the lock is held)."""
        self._recent[task_id] = dict(self._db.execute("SELECT * FROM jobs WHERE id = ?", (task_id,)).fetchone())

    def update(self, task_id: int, **fields: Any) -> None:
        fields["updated_time"] = now_ms()
        assignments = ", ".join(f"{name} = ?" for name in fields)
        with self._lock:
            # A job thread still finishing after stop() must not write to a closed database; the
            # job stays unfinished and restart recovery marks it Failed.
            if not self._closed:
                self._db.execute(f"UPDATE jobs SET {assignments} WHERE id = ?", (*fields.values(), task_id))
                if task_id in self._recent:
                    self._reread(task_id)

    def change_status(self, task_id: int, status: JobStatus, **fields: Any) -> bool:
        """Write a new state as job history does (§6, ``shouldUpdate``): only the same state, or
        a later one while the recorded state is not terminal; a terminal state never changes.
        Returns whether the row was changed."""
        with self._lock:
            row = self._db.execute("SELECT status FROM jobs WHERE id = ?", (task_id,)).fetchone()
            if self._closed or row is None or not _history_accepts(JobStatus(row["status"]), status):
                return False
            fields = {"status": status.value, **fields, "updated_time": now_ms()}
            assignments = ", ".join(f"{name} = ?" for name in fields)
            self._db.execute(f"UPDATE jobs SET {assignments} WHERE id = ?", (*fields.values(), task_id))
            if task_id in self._recent:
                self._reread(task_id)
            return True

    def recent(self, task_id: int, user: str) -> dict | None:
        """The row of ``task_id`` if it is in memory and ``user`` owns it; never blocks."""
        row = self._recent.get(task_id)
        return dict(row) if row is not None and row["um_user"] == user else None

    def get(self, task_id: int, user: str) -> dict | None:
        """The row of ``task_id`` if ``user`` owns it."""
        row = self.recent(task_id, user)
        if row is not None:
            return row
        with self._lock:
            row = self._db.execute("SELECT * FROM jobs WHERE id = ? AND um_user = ?", (task_id, user)).fetchone()
        return dict(row) if row else None

    def search(self, user: str, filters: dict[str, Any], page_now: int, page_size: int) -> tuple[list[dict], int]:
        """``user``'s rows matching ``filters`` (column -> value or list), newest first, and the count.

        Paged as Linkis's PageHelper is configured (``reasonable``, ``pageSizeZero``, §7.2): a page
        past the last is the last, one before the first the first, and ``page_size`` 0 is every row."""
        clauses, values = ["um_user = ?"], [user]
        for column, wanted in filters.items():
            if column == "created_from":
                clauses.append("created_time >= ?")
            elif column == "created_to":
                clauses.append("created_time <= ?")
            elif column == "id_from":
                clauses.append("id >= ?")
            elif column == "creator_prefix":
                clauses.append("substr(creator, 1, ?) = ?")
                values.extend([len(wanted), wanted])
                continue
            elif isinstance(wanted, list):
                clauses.append(f"{column} IN ({', '.join('?' * len(wanted))})")
                values.extend(wanted)
                continue
            else:
                clauses.append(f"{column} = ?")
            values.append(wanted)
        where = " AND ".join(clauses)
        with self._lock:
            total = self._db.execute(f"SELECT COUNT(*) FROM jobs WHERE {where}", values).fetchone()[0]
            if page_size <= 0:
                limit, offset = -1, 0  # SQLite's "no limit"
            else:
                last = max(-(-total // page_size), 1)
                limit, offset = page_size, (min(max(page_now, 1), last) - 1) * page_size
            rows = self._db.execute(
                f"SELECT * FROM jobs WHERE {where} ORDER BY id DESC LIMIT ? OFFSET ?", (*values, limit, offset),
            ).fetchall()
        return [dict(row) for row in rows], int(total)

    def fail_unfinished(self) -> int:
        """Mark jobs a previous gateway left running as Failed (restart recovery); returns how many."""
        terminal = [status.value for status in TERMINAL_STATES]
        with self._lock:
            cursor = self._db.execute(
                f"UPDATE jobs SET status = ?, err_code = ?, err_desc = ?, updated_time = ?"
                f" WHERE status NOT IN ({', '.join('?' * len(terminal))})",
                (JobStatus.FAILED.value, RESTART_ERR_CODE, RESTART_ERR_DESC, now_ms(), *terminal),
            )
            self._recent.clear()
            return cursor.rowcount

    def close(self) -> None:
        with self._lock:
            self._closed = True
            self._db.close()


def _history_accepts(old: JobStatus, new: JobStatus) -> bool:
    """JobHistoryQueryServiceImpl.shouldUpdate (§6)."""
    return new is old or (STATE_ORDER[new] >= STATE_ORDER[old] and not old.is_terminal)


#: ``QueryTaskVO``'s keys on master that 1.8.0 does not have (§7.1).
MASTER_ONLY_FIELDS = ("engineLogPath", "ecmInstance", "ticketId")

#: The fields master's ``brief=true`` fills (``jobHistory2BriefTaskVO``, §7.1); the rest are null.
BRIEF_FIELDS = ("status", "progress", "taskID", "execId", "logPath", "resultLocation", "umUser", "executeUser",
                "errDesc", "errCode")


def task_vo(row: dict, *, code: bool = False, brief: bool = False, master: bool = False) -> dict:
    """A history row as the jobhistory task object (§7.1): string progress, epoch-ms dates,
    JSON-string fields, errCode/errDesc nulled while the job runs.

    ``executionCode`` is sent only when ``code`` is true: ``/get`` leaves it out since Linkis
    1.7.0, ``/list`` fills it. ``brief`` (master's ``brief=true``) nulls every field but ten.
    ``master``: with the keys master's ``QueryTaskVO`` added after 1.8.0, always null here.
    """
    task = _full_task_vo(row)
    if master:
        task.update(dict.fromkeys(MASTER_ONLY_FIELDS))
    if not code:
        task["executionCode"] = None
    if brief:
        task = {key: value if key in BRIEF_FIELDS else None for key, value in task.items()}
        task["canRetry"] = False
    return task


def _source_tailor(source_json: str | None) -> str | None:
    """``TaskConversions``: the source map's values joined by ``-`` (the console's "source" column)."""
    try:
        source = json.loads(source_json or "")
    except ValueError:
        return None
    return "-".join(str(value) for value in source.values()) if isinstance(source, dict) else None


def _full_task_vo(row: dict) -> dict:
    status = row["status"]
    terminal = JobStatus(status).is_terminal
    labels = json.loads(row["labels_json"] or "{}")
    task = {
        "taskID": row["id"], "instance": row["instance"], "execId": row["exec_id"],
        "umUser": row["um_user"], "executeUser": row["um_user"],
        "engineInstance": row["instance"] if row["engine_start_time"] else None,
        "executionCode": row["code"], "progress": row["progress"],
        "logPath": row["log_path"], "resultLocation": row["result_location"], "status": status,
        "createdTime": row["created_time"], "updatedTime": row["updated_time"],
        "engineType": row["engine"], "errCode": row["err_code"] if terminal else None,
        "errDesc": row["err_desc"] if terminal else None, "executeApplicationName": row["engine"],
        "requestApplicationName": row["creator"], "runType": row["run_type"],
        "paramsJson": row["params_json"], "sourceJson": row["source_json"],
        "sourceTailor": _source_tailor(row["source_json"]),
        "costTime": (row["updated_time"] if terminal else now_ms()) - row["created_time"],
        "strongerExecId": row["stronger_exec_id"],
        "labels": [f"{key}:{value}" for key, value in labels.items()],
        "canRetry": status == JobStatus.FAILED.value and not row["engine_start_time"],
        "isReuse": True, "metrics": json.dumps({"submitTime": row["created_time"]}),
        "observeInfo": None,
        "requestStartTime": row["created_time"], "requestEndTime": row["updated_time"] if terminal else None,
        "requestSpendTime": row["updated_time"] - row["created_time"] if terminal else None,
        "engineStartTime": row["engine_start_time"], "subJobs": None,
    }
    return task
