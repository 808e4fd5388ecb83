"""Jobs under injected faults: each completes or ends with a clear error, its log arrives exactly
once and a kill still lands."""

from __future__ import annotations

import threading
import time

import pandas as pd
import pytest

from linkis_magic.client import LinkisClient
from linkis_magic.errors import JobFailed, LinkisProtocolError
from linkis_magic.job import Job
from linkis_magic.local.faults import Faults
from linkis_magic.local.history import RESTART_ERR_DESC
from linkis_magic.local.server import LocalLinkis
from linkis_magic.protocol import JobStatus
from linkis_magic.results import ResultSet
from tests.support import Recorder, count, logged_lines, wait_for

#: A shell job that logs 40 numbered lines over about four seconds (two live log reads or more).
CHATTY = "for i in $(seq 1 40); do echo line-$i; sleep 0.1; done"


def run_chatty(faulty_client: LinkisClient) -> tuple[Job, Recorder]:
    recorder = Recorder()
    job = faulty_client.run(CHATTY, engine="shell", listener=recorder)
    return job, recorder


#: The status poll: job history's task object (§7.1).
STATUS_POLL = r"/jobhistory/\d+/get$"


@pytest.mark.parametrize("status", [500, 502, 503])
def test_a_burst_of_errors_on_the_status_poll(faulty_client: LinkisClient, faults: Faults, status: int):
    rule = faults.fail(STATUS_POLL, status, times=3)
    job = faulty_client.run("select 41 + 1 as n", engine="hive")
    assert rule.fired == 3
    assert job.results[0].to_pandas()["n"].tolist() == [42]


def test_spring_and_html_error_pages_on_job_history(faulty_client: LinkisClient, faults: Faults):
    spring = faults.spring_error(r"/jobhistory/\d+/get$", times=2)
    html = faults.html_error(r"/jobhistory/\d+/get$", 502, times=1)
    job = faulty_client.run("select 'ok' as s", engine="hive")
    assert (spring.fired, html.fired) == (2, 1)
    assert job.status is JobStatus.SUCCEED


def test_connection_resets_while_polling_lose_no_log_line(faulty_client: LinkisClient, faults: Faults):
    before = faults.reset_connections(STATUS_POLL, times=2)
    after = faults.reset_connections(r"/log$", times=2, after=True)  # read by the server, reply lost
    job, recorder = run_chatty(faulty_client)
    assert (before.fired, after.fired) == (2, 2)
    assert recorder.lines == logged_lines(job)
    assert sum(line.endswith("line-40") for line in recorder.lines) == 1


def test_lines_lost_at_the_entrance_cache_flushes_are_shown_once_anyway(faulty_client: LinkisClient,
                                                                       faults: Faults):
    # Live reads that straddle a 500-line flush lose a line but count it (Linkis's LoopArray,
    # §4.4.2): the client notices the short reads and takes the lines from the file at the end.
    rule = faults.lose_lines_at_flushes()
    code = 'for i in $(seq 1 3000); do echo "line-$i"; if [ $((i % 300)) = 0 ]; then sleep 0.3; fi; done'
    recorder = Recorder()
    job = faulty_client.run(code, engine="shell", listener=recorder)
    numbered = [line.rsplit(" ", 1)[-1] for line in recorder.lines if " INFO line-" in line]
    assert sorted(numbered, key=lambda text: int(text[5:])) == [f"line-{i}" for i in range(1, 3001)]
    assert rule.fired and numbered != sorted(numbered, key=lambda text: int(text[5:]))  # some came late
    assert len(recorder.lines) == len(set(recorder.lines)) == len(logged_lines(job))


def test_slow_responses(faulty_client: LinkisClient, faults: Faults):
    rule = faults.delay(r"/(get|log|progress)$", 0.4, times=2)
    job, recorder = run_chatty(faulty_client)
    assert rule.fired == 2
    assert recorder.lines == logged_lines(job)


def test_a_session_expiring_mid_job_means_one_more_login(faulty_client: LinkisClient, faulty_linkis: LocalLinkis,
                                                         faults: Faults):
    job = Job.submit(faulty_client, "sleep 0.5; echo done", engine="shell")
    since = faulty_linkis.mark()
    rule = faults.expire_sessions(STATUS_POLL)
    job.wait()
    assert rule.fired == 1
    assert count(faulty_linkis, "/user/login", since) == 1
    assert job.results[0].text().strip() == "done"


def test_an_entrance_that_forgot_its_jobs(faulty_client: LinkisClient, faulty_linkis: LocalLinkis, faults: Faults):
    rule = faults.forget_jobs()
    since = faulty_linkis.mark()
    job, recorder = run_chatty(faulty_client)
    assert rule.fired > 0
    assert count(faulty_linkis, "/status", since) == 0  # the state comes from job history, not the entrance
    # All of it from openLog at the end, read again until the file, written 0.3 s after the
    # end (§4.4.1), holds the closing line.
    assert recorder.lines == logged_lines(job) and "Your job completed with" in recorder.lines[-1]
    assert count(faulty_linkis, "/filesystem/openLog", since) >= 1


def test_empty_log_bodies(faulty_client: LinkisClient, faults: Faults):
    rule = faults.empty_log(times=5)
    job, recorder = run_chatty(faulty_client)
    assert rule.fired >= 1
    assert recorder.lines == logged_lines(job)


def test_progress_as_a_string_with_a_suffix(faulty_client: LinkisClient, faults: Faults):
    # Two statements, the second one slow: the job is half done for a while, and its progress
    # arrives as "0.5f" (history) or "0.5...f" (entrance): a value between 0 and 1 must come
    # through, not be lost to the suffix.
    rule = faults.progress_as_text("f")
    job = Job.submit(faulty_client, "select 1 as one; select sum(range % 7) as s from range(600000000)", engine="hive")
    recorder = Recorder()
    job.wait(listener=recorder)
    assert rule.fired >= 1 and job.task["progress"].endswith("f")
    assert any(0.4 <= value < 1.0 for value in recorder.progress), recorder.progress
    assert recorder.progress == sorted(recorder.progress) and job.progress == 1.0


@pytest.mark.parametrize("fault", ["503", "reset", "forgotten"])
def test_a_kill_still_lands(faulty_client: LinkisClient, faulty_linkis: LocalLinkis, faults: Faults, fault: str):
    job = Job.submit(faulty_client, "sleep 30", engine="shell")
    wait_for(lambda: faulty_client.job_info(job.task_id)["status"] == "Running", 20.0)
    if fault == "503":
        rule = faults.fail(r"/kill$", 503, times=2)
    elif fault == "reset":
        rule = faults.reset_connections(r"/kill$", times=2)
    else:
        rule = faults.forget_jobs()
    since = faulty_linkis.mark()
    outcome = job.kill()
    assert rule.fired >= 1
    assert outcome.status is JobStatus.CANCELLED
    assert faulty_client.job_info(job.task_id)["status"] == "Cancelled"
    assert count(faulty_linkis, "/kill", since) == (3 if fault != "forgotten" else 1)


def test_a_gateway_restart_mid_job_ends_it_with_a_clear_error(tmp_path):
    with LocalLinkis(data_dir=tmp_path, users={"alice": {}}) as gateway, \
            LinkisClient(gateway.url, user=gateway.user, password=gateway.password) as client:
        job = Job.submit(client, "sleep 30", engine="shell")
        wait_for(lambda: client.job_info(job.task_id)["status"] == "Running", 20.0)
        restarter = threading.Thread(target=gateway.restart)
        restarter.start()
        with pytest.raises(JobFailed, match=f"task {job.task_id} ended Failed: {RESTART_ERR_DESC}") as info:
            job.wait()
        restarter.join()
        assert "\n" not in str(info.value)
        # Same port, same data: the same client carries on, having logged in again once (the
        # restart forgot its sessions; the restarted gateway's request log starts anew).
        assert client.run("select 3 as n", engine="hive").results[0].to_pandas()["n"].tolist() == [3]
        assert count(gateway, "/user/login") == 1


# -- result pages and bodies ----------------------------------------------------------------

#: 12,000 rows: three pages of 5,000.
ROWS_SQL = "select id from (select posexplode(split(space(11999), ' ')) as (id, s)) t"


def open_file_pages(faulty_linkis: LocalLinkis, since: int) -> list[str]:
    return [r.query.get("page") for r in faulty_linkis.requests_since(since) if r.path.endswith("/openFile")]


def test_the_next_page_is_requested_while_the_caller_holds_this_one(faulty_client: LinkisClient,
                                                                   faulty_linkis: LocalLinkis):
    path = faulty_client.run(ROWS_SQL, engine="hive").results[0].path
    start = faulty_linkis.mark()
    pages = ResultSet(faulty_client, path, page_size=5000).pages()
    first = next(pages)
    wait_for(lambda: open_file_pages(faulty_linkis, start) == ["1", "2"], 5.0)
    assert len(first) == 5000 and open_file_pages(faulty_linkis, start) == ["1", "2"]
    assert [len(rows) for rows in pages] == [5000, 2000]
    assert open_file_pages(faulty_linkis, start) == ["1", "2", "3"]  # nothing past the short last page


def test_a_page_failing_mid_read_raises_and_the_next_read_gets_every_row(faulty_client: LinkisClient, faults: Faults):
    result = ResultSet(faulty_client, faulty_client.run(ROWS_SQL, engine="hive").results[0].path, page_size=5000)
    assert result.columns  # page 1 is read and kept; the next openFile asks for page 2
    rule = faults.spring_error(r"/filesystem/openFile$", times=None)
    with pytest.raises(LinkisProtocolError, match="openFile") as info:
        result.to_pandas()
    assert rule.fired >= 1 and "\n" not in str(info.value)
    faults.clear()
    assert result.to_pandas()["id"].tolist() == list(range(12000))


def test_an_abandoned_read_does_not_wait_for_the_page_in_flight(faulty_client: LinkisClient, faults: Faults):
    result = ResultSet(faulty_client, faulty_client.run(ROWS_SQL, engine="hive").results[0].path, page_size=5000)
    result.columns
    faults.delay(r"/filesystem/openFile$", 3.0, times=1)  # page 2, fetched ahead, is slow
    before = set(threading.enumerate())
    pages = result.pages()
    next(pages)
    fetcher = [t for t in set(threading.enumerate()) - before if t.name.startswith("linkis-result-page")]
    started = time.monotonic()
    pages.close()
    assert time.monotonic() - started < 1.0 and len(fetcher) == 1
    wait_for(lambda: not fetcher[0].is_alive(), 10.0, what="the fetch in flight to end on its own")


def test_bodies_orjson_refuses_are_still_read(faulty_client: LinkisClient, faults: Faults):
    # Java's JSON writers can send a lone surrogate (a log cut inside a character) and NaN.
    body = ('{"method":"/api/filesystem/openLog","status":0,"message":"OK",'
            '"data":{"log":["","","","cut \\ud83d here\\n"],"ratio":NaN}}')
    faults.fail(r"/filesystem/openLog$", 200, body=body)
    assert faulty_client.open_log("/tmp/any.log")[3] == "cut \ud83d here\n"


def test_a_lenient_gateway_sending_number_cells_still_gives_typed_columns(faulty_client: LinkisClient, faults: Faults):
    body = ('{"method":"/api/filesystem/openFile","status":0,"message":"OK","data":{"metadata":'
            '[{"columnName":"n","comment":"NULL","dataType":"bigint"}],"fileContent":[[1],[null],[3]],'
            '"type":"2","totalLine":3,"page":1,"totalPage":0}}')
    faults.fail(r"/filesystem/openFile$", 200, body=body)
    frame = ResultSet(faulty_client, "/results/alice/_0.dolphin").to_pandas()
    assert str(frame["n"].dtype) == "Int64" and frame["n"].tolist()[::2] == [1, 3] and pd.isna(frame["n"][1])


def test_a_null_row_in_a_page_is_an_error_not_the_end_of_the_result(faulty_client: LinkisClient, faults: Faults):
    body = ('{"method":"/api/filesystem/openFile","status":0,"message":"OK","data":{"metadata":'
            '[{"columnName":"n","comment":"NULL","dataType":"bigint"}],"fileContent":[["1"],null,["3"]],'
            '"type":"2","totalLine":3,"page":1,"totalPage":0}}')
    faults.fail(r"/filesystem/openFile$", 200, body=body)
    with pytest.raises(LinkisProtocolError, match="something other than rows") as info:
        ResultSet(faulty_client, "/results/alice/_0.dolphin").to_pandas()
    assert "\n" not in str(info.value)

