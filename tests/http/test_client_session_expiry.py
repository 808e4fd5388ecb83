"""A password client whose session expires between jobs (docs/protocol.md §2.1)."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

from linkis_magic.client import LinkisClient
from linkis_magic.local.faults import Faults
from linkis_magic.local.server import LocalLinkis
from tests.support import count

SESSION_TIMEOUT = 1.0


def test_a_job_survives_an_expired_session(tmp_path):
    """The expired submit is refused at the gateway; the client logs in once more and submits
    again, so the job runs exactly once."""
    users = {"alice": {"password": "pw-alice"}}
    with LocalLinkis(data_dir=tmp_path, users=users, session_timeout=SESSION_TIMEOUT) as gateway, \
            LinkisClient(gateway.url, user="alice", password="pw-alice") as alice:
        alice.run("select 1", engine="hive")
        time.sleep(SESSION_TIMEOUT * 1.2)
        start = gateway.mark()
        job = alice.run("select 42 as answer", engine="hive")
        seen = gateway.requests_since(start)
        submits = [r.user for r in seen if r.path.endswith("/entrance/submit")]
        assert submits == [None, "alice"]
        assert sum(r.path.endswith("/user/login") for r in seen) == 1
        assert job.results[0].to_pandas()["answer"].tolist() == [42]
        _, total = alice.list_jobs(executeApplicationName="hive")
        assert total == 2


def test_requests_side_by_side_that_find_the_session_gone_log_in_once(tmp_path):
    """Eight threads of one client (as a result listing runs beside the last log read) all meet
    the expired session: one logs in, the others use its cookie; none fails."""
    users = {"alice": {"password": "pw-alice"}}
    faults = Faults()
    with LocalLinkis(data_dir=tmp_path, users=users, faults=faults) as gateway, \
            LinkisClient(gateway.url, user="alice", password="pw-alice") as alice:
        task_id = alice.run("select 1", engine="hive").task_id
        rule = faults.expire_sessions(r"/jobhistory/\d+/get$")
        start = gateway.mark()
        together = threading.Barrier(8)

        def reads(_: int) -> list[str]:
            together.wait()
            return [alice.job_info(task_id)["status"] for _ in range(5)]

        with ThreadPoolExecutor(8) as pool:
            answers = [status for statuses in pool.map(reads, range(8)) for status in statuses]
        assert rule.fired == 1 and answers == ["Succeed"] * 40
        assert count(gateway, "/user/login", start) == 1
