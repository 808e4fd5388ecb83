"""Each real engine through the gateway: success, failure and kill, over HTTP."""

from __future__ import annotations

import pytest

from tests.local.gateway_api import Api

LONG_SQL = "SELECT sum(a.range * b.range) FROM range(300000) a, range(300000) b"

ENGINES = [
    pytest.param("hive-3.1.3", "hql", "select 1 as one, 'a' as s", "select * from no_such_table_xyz", LONG_SQL,
                 id="hive"),
    pytest.param("spark-3.2.1", "sql", "select 1 as one, 'a' as s", "select * from no_such_table_xyz", LONG_SQL,
                 id="spark"),
    pytest.param("trino-371", "tsql", "select 1 as one, 'a' as s", "select * from no_such_table_xyz", LONG_SQL,
                 id="trino"),
    pytest.param("python-python2", "python", "print('hello')", "1/0", "import time\nwhile True:\n    time.sleep(0.05)",
                 id="python"),
    pytest.param("shell-1", "shell", "echo hello", "echo oops >&2; exit 3", "sleep 600", id="shell"),
]


@pytest.fixture
def api(local_linkis) -> Api:
    """Here, raw HTTP to the gateway with the real engines (the directory's ``api`` has scripted ones)."""
    return Api(local_linkis)


@pytest.mark.parametrize("engine, run_type, good, bad, slow", ENGINES)
def test_success(api, engine, run_type, good, bad, slow):
    _, task = api.run(good, engine=engine, run_type=run_type)
    assert task["status"] == "Succeed", task["errDesc"]
    tree = api.get("/filesystem/getDirFileTrees", path=task["resultLocation"]).json()["data"]["dirFileTrees"]
    page = api.get("/filesystem/openFile", path=tree["children"][0]["path"]).json()["data"]
    if run_type in ("python", "shell"):
        assert page["type"] == "1" and page["fileContent"][0] == ["hello"]
    else:
        assert page["type"] == "2" and page["fileContent"] == [["1", "a"]]
        assert [column["columnName"] for column in page["metadata"]] == ["one", "s"]


@pytest.mark.parametrize("engine, run_type, good, bad, slow", ENGINES)
def test_failure(api, engine, run_type, good, bad, slow):
    data, task = api.run(bad, engine=engine, run_type=run_type)
    assert task["status"] == "Failed" and task["errCode"] and task["errDesc"]
    assert task["errDesc"].splitlines()[0] in api.entrance_log(data["execID"])[0]


@pytest.mark.parametrize("engine, run_type, good, bad, slow", ENGINES)
def test_kill(api, engine, run_type, good, bad, slow):
    data = api.submit(slow, engine=engine, run_type=run_type)
    api.wait(data["taskID"], {"Running"})
    killed = api.get(f"/entrance/{data['execID']}/kill", taskID=data["taskID"]).json()
    assert killed["status"] == 0
    assert api.wait(data["taskID"])["status"] == "Cancelled"
    # The engine is still usable after the kill.
    _, task = api.run(good, engine=engine, run_type=run_type)
    assert task["status"] == "Succeed", task["errDesc"]
