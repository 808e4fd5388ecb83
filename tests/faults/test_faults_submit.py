"""No job runs twice: a submit whose answer is lost is found in job history by its request marker,
and one that never reached the entrance is reported, not repeated."""

from __future__ import annotations

import json
import time

import pytest

from linkis_magic.client import LinkisClient
from linkis_magic.errors import LinkisConnectionError, LinkisProtocolError, LinkisTimeoutError
from linkis_magic.job import Job
from linkis_magic.local.faults import Faults
from linkis_magic.local.server import LocalLinkis
from linkis_magic.protocol import REQUEST_MARKER
from tests.support import count


def jobs_marked(faulty_client: LinkisClient, request_id: str) -> list[int]:
    tasks, _ = faulty_client.list_jobs(pageSize=200)
    return [task["taskID"] for task in tasks
            if json.loads(task["sourceJson"] or "{}").get(REQUEST_MARKER) == request_id]


def history_size(faulty_client: LinkisClient) -> int:
    return faulty_client.list_jobs(pageSize=1)[1]


@pytest.mark.parametrize("fault", ["reset", "spring 500", "html 502", "503"])
def test_an_accepted_submit_whose_answer_is_lost_is_found_not_resent(
        faulty_client: LinkisClient, faulty_linkis: LocalLinkis, faults: Faults, fault: str):
    submit = r"/entrance/submit$"
    rule = {"reset": lambda: faults.reset_connections(submit, after=True),
            "spring 500": lambda: faults.spring_error(submit, after=True),
            "html 502": lambda: faults.html_error(submit, 502, after=True),
            "503": lambda: faults.fail(submit, 503, after=True)}[fault]()
    since = faulty_linkis.mark()
    job = Job.submit(faulty_client, "select 'once' as s", engine="hive")
    assert rule.fired == 1
    assert count(faulty_linkis, "/entrance/submit", since) == 1
    # The search looks a day past the client's clock: Linkis's endDate defaults to the job-history
    # host's clock, which may lag the entrance that stamped the job (§7.2).
    searches = [r.query for r in faulty_linkis.requests_since(since) if r.path.endswith("/jobhistory/list")]
    assert searches and all(int(q["endDate"]) > (time.time() + 23 * 3600) * 1000 for q in searches)
    assert jobs_marked(faulty_client, job.request_id) == [job.task_id]
    assert job.wait().results[0].to_pandas()["s"].tolist() == ["once"]


def test_a_submit_that_timed_out_is_found_once_the_gateway_persisted_it(faulty_linkis: LocalLinkis, faults: Faults):
    rule = faults.delay(r"/entrance/submit$", 1.5, after=True)
    with LinkisClient(faulty_linkis.url, user=faulty_linkis.user, token=faulty_linkis.token,
                      timeout=(2.0, 0.5)) as client:
        since = faulty_linkis.mark()
        job = Job.submit(client, "select 1 as n", engine="hive")
        assert rule.fired == 1
        assert count(faulty_linkis, "/entrance/submit", since) == 1
        assert jobs_marked(client, job.request_id) == [job.task_id]


@pytest.mark.parametrize("fault, error, reason", [
    ("503", LinkisProtocolError, "HTTP 503"),
    ("reset", LinkisConnectionError, "Connection aborted"),
])
def test_a_submit_that_never_reached_the_entrance_is_reported_not_resent(
        faulty_client: LinkisClient, faulty_linkis: LocalLinkis, faults: Faults, fault, error, reason):
    submit = r"/entrance/submit$"
    rule = faults.fail(submit, 503) if fault == "503" else faults.reset_connections(submit)
    jobs_before = history_size(faulty_client)
    since = faulty_linkis.mark()
    with pytest.raises(error, match=f"{reason}.*job history shows no job with request id [0-9a-f]{{32}}, "
                                    "so it was not sent again") as info:
        Job.submit(faulty_client, "select 1", engine="hive")
    assert rule.fired == 1
    assert count(faulty_linkis, "/entrance/submit", since) == 1
    assert history_size(faulty_client) == jobs_before
    assert "\n" not in str(info.value)


def test_a_gateway_that_cannot_be_reached_is_not_searched():
    with LinkisClient("http://127.0.0.1:9", user="alice", token="t", retries=0, timeout=(1.0, 1.0)) as client:
        with pytest.raises(LinkisConnectionError, match="cannot reach") as info:
            Job.submit(client, "select 1", engine="hive")
    assert "job history" not in str(info.value)  # refused while connecting: nothing was sent


def test_a_timeout_keeps_its_type(faulty_linkis: LocalLinkis, faults: Faults):
    faults.delay(r"/entrance/submit$", 1.0)  # the job is created after the client gave up
    faults.fail(r"/jobhistory/list$", 503, times=None)
    with LinkisClient(faulty_linkis.url, user=faulty_linkis.user, token=faulty_linkis.token, timeout=(2.0, 0.3),
                      retries=0) as client:
        with pytest.raises(LinkisTimeoutError, match="job history could not be searched"):
            Job.submit(client, "select 1", engine="hive")


def test_a_lost_submit_is_found_behind_many_newer_jobs(faulty_client: LinkisClient, faulty_linkis: LocalLinkis,
                                                        faults: Faults):
    # The search pages through the window since the submit, not just the newest jobs.
    faults.reset_connections(r"/entrance/submit$", after=True)
    job = Job.submit(faulty_client, "select 'lost' as s", engine="hive")
    marker = job.request_id
    for n in range(120):
        faulty_client.submit({"executionContent": {"code": f"select {n}", "runType": "hql"},
                       "labels": {"engineType": "hive-3.1.3", "userCreator": "alice-LINKISMAGIC"}})
    since = faulty_linkis.mark()
    found = faulty_client.find_job(marker, creator="LINKISMAGIC", since=int(time.time() * 1000) - 600_000, page_size=50)
    assert found is not None and found["taskID"] == job.task_id
    assert count(faulty_linkis, "/jobhistory/list", since) == 3  # 50 + 50 + the page that holds it


def test_a_search_that_finds_nothing_stops_at_the_last_page(client: LinkisClient, local_linkis: LocalLinkis):
    # Linkis answers a page past the last with the last one again (§7.2): the row count, not an
    # empty page, says where the search ends.
    since_ms = int(time.time() * 1000)
    for n in range(4):
        client.run(f"select {n} as n", engine="hive")
    since = local_linkis.mark()
    assert client.find_job("no-such-request", creator="LINKISMAGIC", since=since_ms, page_size=2) is None
    assert count(local_linkis, "/jobhistory/list", since) == 2
