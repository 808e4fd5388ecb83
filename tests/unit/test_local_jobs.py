"""Pure parts of the job runner: execIDs (§5), the IDE SQL limit (§4.1), the task object (§7.1)."""

from __future__ import annotations

import json

import pytest

from linkis_magic.local.jobs import ide_limit, make_exec_id, task_vo


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
