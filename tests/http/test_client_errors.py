"""Every failure reaches the caller as a typed error that keeps what the server said (§1)."""

from __future__ import annotations

import socket

import pytest

from linkis_magic.client import LinkisClient
from linkis_magic.errors import (
    LinkisAuthError,
    LinkisConnectionError,
    LinkisProtocolError,
    LinkisRequestError,
    LinkisTimeoutError,
)
from linkis_magic.job import Job
from linkis_magic.local.server import LocalLinkis
from tests.support import count


def test_empty_code_is_refused_with_the_entrance_error(client: LinkisClient):
    with pytest.raises(LinkisRequestError, match="executionCode cannot be empty") as info:
        Job.submit(client, "   ", engine="hive")
    assert (info.value.err_code, info.value.http_status) == (20007, 400)


def test_an_engine_the_gateway_lacks_is_refused(client: LinkisClient):
    with pytest.raises(LinkisRequestError, match="flink") as info:
        Job.submit(client, "select 1", engine="hive", labels={"engineType": "flink-1.16.2"})
    assert info.value.err_code == 20009


def test_unknown_task_in_job_history(client: LinkisClient):
    with pytest.raises(LinkisRequestError, match="corresponding job was not found"):
        client.job_info(987654321)


def test_status_of_an_unknown_exec_id_without_task_id(client: LinkisClient):
    with pytest.raises(LinkisRequestError, match="cannot obtain the corresponding task status"):
        client.status("exec_id018015linkis-cg-entrance127.0.0.1:1LINKISMAGIC_nobody_hive_9")


def test_a_path_outside_the_workspace(client: LinkisClient):
    with pytest.raises(LinkisRequestError, match="workspace") as info:
        client.open_result("file:///etc/passwd")
    assert info.value.err_code == 80027


def test_a_page_too_big(client: LinkisClient):
    job = client.run("select 1 as n", engine="hive")
    with pytest.raises(LinkisRequestError, match="exceeds 100000 rows") as info:
        client.open_result(job.results[0].path, page_size=100_001)
    assert info.value.err_code == 80034


def test_gateway_unreachable():
    with socket.socket() as probe:  # a port nobody listens on: bound, never listening
        probe.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{probe.getsockname()[1]}"
        with LinkisClient(url, user="u", token="t", retries=0, timeout=(1.0, 1.0)) as c:
            with pytest.raises(LinkisConnectionError, match="cannot reach") as info:
                c.job_info(1)
    assert isinstance(info.value, ConnectionError)


def test_read_timeout(faulty_linkis: LocalLinkis, faults):
    faults.delay(r"/jobhistory/1/get$", 2.0, times=5, method="GET")
    with LinkisClient(faulty_linkis.url, user=faulty_linkis.user, token=faulty_linkis.token,
                      timeout=(1.0, 0.3), retries=0) as c:
        with pytest.raises(LinkisTimeoutError, match="no answer") as info:
            c.job_info(1)
    assert isinstance(info.value, TimeoutError)


SUBMIT = r"/entrance/submit$"


@pytest.mark.parametrize("inject, expected", [
    (lambda faults: faults.spring_error(SUBMIT, method="POST"), "HTTP 500: not a Linkis response"),
    (lambda faults: faults.fail(SUBMIT, 502, method="POST", body="<html><body><h1>Bad gateway</h1></body></html>"),
     "HTTP 502, not a Linkis response: '<html><body><h1>Bad gateway"),
    (lambda faults: faults.fail(SUBMIT, 500, method="POST", body=""),
     "HTTP 500, not a Linkis response: \\(empty body\\)"),
])
def test_non_envelope_answers(faulty_client: LinkisClient, faults, inject, expected):
    inject(faults)
    with pytest.raises(LinkisProtocolError, match=expected):
        Job.submit(faulty_client, "select 1", engine="hive")


def test_gets_retry_through_503s(faulty_client: LinkisClient, faulty_linkis: LocalLinkis, faults):
    job = Job.submit(faulty_client, "select 7 as n", engine="hive")
    faults.fail(r"/jobhistory/\d+/get$", 503, body="busy", times=2, method="GET")
    start = faulty_linkis.mark()
    job.wait()
    assert count(faulty_linkis, f"/jobhistory/{job.task_id}/get", start) >= 3  # two refused, then answered
    assert job.results[0].to_pandas()["n"].tolist() == [7]


def test_get_retries_are_capped(faulty_client: LinkisClient, faulty_linkis: LocalLinkis, faults):
    faults.fail(r"/jobhistory/\d+/get$", 503, body="busy", times=100, method="GET")
    start = faulty_linkis.mark()
    with pytest.raises(LinkisProtocolError, match="HTTP 503"):
        faulty_client.job_info(1)
    assert len(faulty_linkis.requests_since(start)) == 4  # the first try and three retries


def test_a_submit_is_never_repeated(faulty_client: LinkisClient, faulty_linkis: LocalLinkis, faults):
    faults.fail(SUBMIT, 503, body="busy", times=5, method="POST")
    start = faulty_linkis.mark()
    with pytest.raises(LinkisProtocolError, match="HTTP 503"):
        Job.submit(faulty_client, "select 1", engine="hive")
    assert count(faulty_linkis, "/entrance/submit", start) == 1


def test_a_refused_token_is_not_repeated_in_the_error(local_linkis: LocalLinkis):
    # Linkis quotes the refused token in its message (§2.2); it must not reach a notebook.
    token = "not-the-token-0123456789abcdef"
    with LinkisClient(local_linkis.url, user=local_linkis.user, token=token) as bad:
        with pytest.raises(LinkisAuthError) as info:
            bad.job_info(1)
    assert "***" in str(info.value) and token not in str(info.value)
