"""The real engines behind the real gateway: jobs submitted over HTTP by the real client."""

from __future__ import annotations

import uuid

import pytest

from linkis_magic.client import LinkisClient
from linkis_magic.errors import JobFailed
from linkis_magic.job import Job
from linkis_magic.protocol import JobStatus
from tests.support import wait_for


def unique(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:8]}"


def kill_when_running(client: LinkisClient, code: str, engine: str) -> Job:
    job = Job.submit(client, code, engine)
    wait_for(lambda: client.status(job.exec_id, job.task_id) == "Running")
    outcome = job.kill()
    assert outcome.status == JobStatus.CANCELLED
    return job


def test_hive_table_lives_across_jobs(client):
    table = unique("orders")
    client.run(f"CREATE TABLE {table} (id INT, item STRING) STORED AS ORC; "
               f"INSERT INTO {table} VALUES (1, 'tea'), (2, NULL)")
    job = client.run(f"SELECT * FROM {table} ORDER BY id; SELECT count(*) AS n FROM {table}", "trino")
    first, second = (rs.to_pandas() for rs in job.results)
    assert first["id"].tolist() == [1, 2]
    assert first["item"][0] == "tea" and first["item"].isna().tolist() == [False, True]
    assert second["n"].tolist() == [2]


def test_python_output_and_show_arrive_in_order(client):
    name = unique("v")
    client.run(f"{name} = 'kept'", "python")
    job = client.run(f"import pandas as pd\nprint({name})\nshow(pd.DataFrame({{'x': [1.5, None]}}))", "python")
    text, table = job.results
    assert text.text() == "kept\n"
    assert table.to_pandas()["x"].isna().tolist() == [False, True]


def test_shell_failure_carries_the_exit_code(client):
    with pytest.raises(JobFailed) as failure:
        client.run("echo about to fail; exit 4", "shell")
    assert "shell exited with code 4" in str(failure.value.err_desc)


def test_kill_of_a_long_query_leaves_the_engine_usable(client):
    kill_when_running(client, "SELECT sum(a.range * b.range) FROM range(300000) a, range(300000) b", "hive")
    assert client.run("SELECT 1 AS one").results[0].to_pandas()["one"].tolist() == [1]


def test_kill_of_python_keeps_its_namespace(client):
    name = unique("survivor")
    client.run(f"{name} = 7", "python")
    kill_when_running(client, "import time\nwhile True:\n    time.sleep(0.05)", "python")
    assert client.run(f"print({name})", "python").results[0].text() == "7\n"


def test_kill_of_shell_sleep(client):
    kill_when_running(client, "sleep 600", "shell")
