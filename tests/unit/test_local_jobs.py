"""Pure parts of the job runner: execIDs (§5), the IDE SQL limit (§4.1), the task object (§7.1)."""

from __future__ import annotations

import contextlib
import json
import sqlite3
from collections.abc import Iterator

import pytest

from linkis_magic.local import history
from linkis_magic.local.entrance import ide_limit, make_exec_id
from linkis_magic.local.history import JobRequest, JobStore, task_vo


def test_exec_id_format():
    assert make_exec_id("127.0.0.1:9104", "IDE", "root", "spark", 7) == \
        "exec_id018014linkis-cg-entrance127.0.0.1:9104IDE_root_spark_7"


@pytest.mark.parametrize("code, expected, changed", [
    ("select * from t", "select * from t limit 5000", True),
    ("SELECT a FROM t LIMIT 10", "SELECT a FROM t LIMIT 10", False),
    ("select a from t limit 90000", "select a from t limit 5000", True),
    ("with x as (select 1) select * from x", "with x as (select 1) select * from x limit 5000", True),
    ("select 1 -- one", "select 1 -- one\nlimit 5000", True),
    ("create table t as select 1; select * from t;", "create table t as select 1; select * from t limit 5000;",
     True),
    ("show tables", "show tables", False),
    ("--set ide.engine.no.limit.allow=true\nselect * from t", "--set ide.engine.no.limit.allow=true\nselect * from t",
     False),
])
def test_ide_limit(code, expected, changed):
    assert ide_limit(code) == (expected, changed)


def row(**overrides):
    base = {"id": 3, "instance": "127.0.0.1:1", "exec_id": "IDE_a_hive_3", "stronger_exec_id": "exec_id...",
            "um_user": "a", "engine": "hive", "engine_label": "hive-3.1.3", "creator": "IDE", "run_type": "hql",
            "code": "select 1", "status": "Running", "progress": "0.5", "err_code": 1, "err_desc": "stale",
            "params_json": "{}", "source_json": "{}", "labels_json": json.dumps({"engineType": "hive-3.1.3"}),
            "log_path": "file:///l", "result_location": "file:///r", "created_time": 1000, "updated_time": 3000,
            "engine_start_time": 2000}
    return {**base, **overrides}


def test_task_object_hides_errors_while_running_and_reports_cost_when_done():
    running = task_vo(row())
    assert (running["errCode"], running["errDesc"], running["progress"]) == (None, None, "0.5")
    assert running["labels"] == ["engineType:hive-3.1.3"] and running["requestEndTime"] is None
    failed = task_vo(row(status="Failed", err_code=43042, err_desc="boom"))
    assert (failed["errCode"], failed["errDesc"], failed["costTime"]) == (43042, "boom", 2000)
    assert failed["canRetry"] is False and task_vo(row(status="Failed", engine_start_time=None))["canRetry"] is True
    assert task_vo(row(), brief=True)["executionCode"] is None


def request(user: str = "alice") -> JobRequest:
    return JobRequest(user=user, creator="IDE", engine="hive", engine_label="hive-3.1.3", run_type="sql",
                      code="select 1")


@pytest.fixture
def store(tmp_path) -> Iterator[JobStore]:
    made = JobStore(tmp_path / "jobs.db")
    yield made
    made.close()


def on_disk(tmp_path, task_id: int) -> dict:
    """The row as SQLite holds it, read on a connection of its own."""
    with contextlib.closing(sqlite3.connect(tmp_path / "jobs.db")) as db:
        db.row_factory = sqlite3.Row
        return dict(db.execute("SELECT * FROM jobs WHERE id = ?", (task_id,)).fetchone())


def test_rows_in_memory_are_the_rows_on_disk(store, tmp_path):
    task_id = store.insert(request(), "127.0.0.1:1")
    assert store.recent(task_id, "alice") == on_disk(tmp_path, task_id)
    store.update(task_id, status="Running", progress=0.5, err_code="43042")  # SQLite converts these
    assert store.recent(task_id, "alice") == on_disk(tmp_path, task_id)
    store.update(task_id, status="Succeed", progress="1.0", err_code=0)
    remembered = store.recent(task_id, "alice")
    assert remembered == on_disk(tmp_path, task_id)
    assert (remembered["status"], remembered["progress"]) == ("Succeed", "1.0")
    assert store.recent(task_id, "bob") is None and store.get(task_id, "bob") is None
    remembered["status"] = "Failed"  # a caller's copy, not the store's row
    assert store.recent(task_id, "alice")["status"] == "Succeed"


def test_only_the_newest_rows_stay_in_memory_and_older_ones_come_from_disk(store, monkeypatch):
    monkeypatch.setattr(history, "RECENT_ROWS", 3)
    ids = [store.insert(request(), "127.0.0.1:1") for _ in range(5)]
    assert [store.recent(task_id, "alice") is not None for task_id in ids] == [False, False, True, True, True]
    store.update(ids[0], status="Cancelled")
    assert store.get(ids[0], "alice")["status"] == "Cancelled"  # from SQLite


def test_restart_recovery_is_seen_through_memory(store):
    task_id = store.insert(request(), "127.0.0.1:1")
    assert store.fail_unfinished() == 1
    assert store.get(task_id, "alice")["status"] == "Failed"
