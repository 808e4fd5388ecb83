"""Jobs over real HTTP: logs, kill, timeout, interrupt, eviction, results (§4, §6, §8)."""

from __future__ import annotations

import _thread
import json
import re
import threading
import time
from decimal import Decimal

import pandas as pd
import pytest

from linkis_magic.client import LinkisClient
from linkis_magic.errors import JobFailed, JobInterrupted, JobTimeout, LinkisRequestError
from linkis_magic.job import Job
from linkis_magic.local.server import LocalLinkis
from linkis_magic.protocol import JobStatus
from linkis_magic.results import ResultSet
from tests.support import Recorder, count, wait_for


def wait_until_running(job: Job) -> None:
    wait_for(lambda: job.client.status(job.exec_id, job.task_id) == "Running", 20, what="the job to run")


def test_every_log_line_is_seen_exactly_once(client: LinkisClient):
    code = 'for i in $(seq 1 500); do echo "row $i"; if [ $((i % 100)) -eq 0 ]; then sleep 0.3; fi; done'
    seen = Recorder()
    client.run(code, engine="shell", listener=seen)
    rows = [m.group(1) for m in map(re.compile(r" INFO (row \d+)$").search, seen.lines) if m]
    assert rows == [f"row {i}" for i in range(1, 501)]
    assert seen.wait_starts == 1 and seen.states[-1] is JobStatus.SUCCEED
    assert seen.progress[-1] == 1.0
    assert len(seen.lines) == len(set(seen.lines))  # nothing else repeated either


def test_odd_line_breaks_and_blank_lines_do_not_repeat_or_lose_lines(client: LinkisClient):
    # "\r" and form feeds are inside a line for Linkis; blank lines count in fromLine but are not
    # in openLog (§4.4, §8.4). The sleep lets the live log read part of it before the end.
    code = ('import time\nprint("p1\\rp2")\nprint("x\\x0cy")\nprint()\nprint("before")\n'
            'time.sleep(1.5)\nprint("after")')
    seen = Recorder()
    client.run(code, engine="python", listener=seen)
    printed = [line.split(" INFO ", 1)[1] for line in seen.lines if " INFO " in line]
    assert [p for p in printed if p in ("p1\rp2", "x\x0cy", "before", "after")] == \
        ["p1\rp2", "x\x0cy", "before", "after"]
    assert len(seen.lines) == len(set(seen.lines))


def test_killing_a_finished_job_says_it_had_ended(client: LinkisClient):
    job = client.run("echo done", engine="shell")
    assert job.kill().message == f"task {job.task_id} had already ended: Succeed"


def test_the_whole_log_afterwards(client: LinkisClient):
    job = client.run('echo "hello log"', engine="shell")
    assert "hello log" in job.log_text()
    assert "Congratulations" in Job.attach(client, job.task_id).log_text()


def test_an_attached_job_is_as_old_as_the_job_not_the_attach(client: LinkisClient):
    ended = client.run("sleep 1", engine="shell")
    attached = Job.attach(client, ended.task_id)
    ran = float(attached.task["costTime"]) / 1000
    assert ran >= 1.0 and attached.elapsed == pytest.approx(ran, abs=0.01)
    attached.wait()  # reading its end again keeps the server's run time
    assert attached.elapsed == pytest.approx(ran, abs=0.01)
    running = Job.submit(client, "sleep 30", engine="shell")
    wait_until_running(running)
    time.sleep(1.0)
    assert Job.attach(client, running.task_id).elapsed >= 1.0  # its age by createdTime
    running.kill()


def test_kill_is_confirmed_as_cancelled(client: LinkisClient):
    job = Job.submit(client, "sleep 30", engine="shell")
    wait_until_running(job)
    time.sleep(1.0)
    outcome = Job.attach(client, job.task_id).kill()  # a Job made just now: its own age says nothing
    assert outcome.status is JobStatus.CANCELLED
    ran, took = map(float, re.fullmatch(rf"killed task {job.task_id} after it ran ([\d.]+) s \(Cancelled "
                                        r"([\d.]+) s after the kill was sent\)", outcome.message).groups())
    assert ran >= 1.0 and took < ran
    assert client.job_info(job.task_id)["status"] == "Cancelled"
    with pytest.raises(JobFailed, match="Cancelled") as info:
        job.wait()
    assert info.value.task_id == job.task_id


def test_wait_timeout_kills_the_job(client: LinkisClient):
    job = Job.submit(client, "sleep 30", engine="shell")
    with pytest.raises(JobTimeout, match="did not finish in time; killed task") as info:
        job.wait(timeout=0.5)
    assert info.value.status is JobStatus.CANCELLED
    assert client.job_info(job.task_id)["status"] == "Cancelled"


def interrupt_main_after(seen: Recorder, presses: int) -> threading.Thread:
    """Press Ctrl-C (``presses`` times) once the wait has seen the job run, as the kernel's SIGINT
    would. (Pressing as soon as the job runs could land before the wait began, outside the code
    under test.)"""
    def press() -> None:
        if seen.running.wait(20):
            for _ in range(presses):
                _thread.interrupt_main()
                time.sleep(0.05)
    thread = threading.Thread(target=press, daemon=True)
    thread.start()
    return thread


def interrupted_wait(job: Job, presses: int) -> tuple[JobInterrupted, Recorder]:
    seen = Recorder()
    presser = interrupt_main_after(seen, presses)
    try:
        with pytest.raises(JobInterrupted) as info:
            job.wait(listener=seen)
    finally:
        presser.join(10)
    return info.value, seen


def test_interrupt_kills_and_says_so(client: LinkisClient):
    job = Job.submit(client, "sleep 30", engine="shell")
    interrupted, seen = interrupted_wait(job, presses=1)
    assert isinstance(interrupted, KeyboardInterrupt) and interrupted.task_id == job.task_id
    assert interrupted.outcome.startswith(f"killed task {job.task_id} after it ran ")
    assert interrupted._render_traceback_() == [f"JobInterrupted: {interrupted.outcome}"]
    assert client.job_info(job.task_id)["status"] == "Cancelled"
    assert seen.states[-1] is JobStatus.CANCELLED


def test_more_presses_do_not_stop_the_kill(faulty_client: LinkisClient, faults):
    faults.delay(r"/kill$", 1.0, method="GET")  # a slow kill: the next presses land while it runs
    job = Job.submit(faulty_client, "sleep 30", engine="shell")
    interrupted, _ = interrupted_wait(job, presses=3)
    assert interrupted.outcome.startswith(f"killed task {job.task_id} after it ran ")
    assert faulty_client.job_info(job.task_id)["status"] == "Cancelled"


def test_failed_job_carries_error_lines(client: LinkisClient):
    with pytest.raises(JobFailed) as info:
        client.run("select * from no_such_table", engine="hive")
    error = info.value
    assert error.status is JobStatus.FAILED and error.err_code is not None
    assert "no_such_table" in error.err_desc
    assert any("ERROR" in line for line in error.log_tail)
    assert f"%linkis log {error.task_id}" in "\n".join(error._render_traceback_())


def test_attach_after_a_restart_of_the_kernel(password_client: LinkisClient, client: LinkisClient):
    job = password_client.run("select 5 as five", engine="hive")
    again = Job.attach(client, job.task_id)  # another client, as a new kernel would have
    assert again.status is JobStatus.SUCCEED and again.exec_id == job.exec_id
    assert again.wait() is again
    assert again.results[0].to_pandas()["five"].tolist() == [5]


def test_a_job_the_entrance_forgot_is_still_waited_for(faulty_client: LinkisClient):
    """The faulty gateway's entrance remembers one finished job (§4.3 ring buffer)."""
    first = Job.submit(faulty_client, "select 11 as n", engine="hive")
    faulty_client.run("select 1", engine="hive")
    faulty_client.run("select 2", engine="hive")
    with pytest.raises(LinkisRequestError, match="cannot obtain the corresponding task status"):
        faulty_client.status(first.exec_id)  # no taskID: the entrance cannot answer
    seen = Recorder()
    first.wait(listener=seen)
    assert first.status is JobStatus.SUCCEED
    assert any("Congratulations" in line for line in seen.lines)  # the log came from openLog
    assert first.results[0].to_pandas()["n"].tolist() == [11]


def test_no_listener_polls_status_only(local_linkis: LocalLinkis, client: LinkisClient):
    job = Job.submit(client, "sleep 1", engine="shell")
    start = local_linkis.mark()
    job.wait()
    seen = local_linkis.requests_since(start)
    assert {r.path for r in seen} == {f"/api/rest_j/v1/jobhistory/{job.task_id}/get"}
    assert len(seen) >= 5 and all(r.query == {"brief": "true"} for r in seen)  # polls leave the code out
    assert job.task["status"] == "Succeed" and job.task["resultLocation"]  # nothing to read again


class ListingSeen:
    """At each batch of log lines: how many result listings the gateway had been asked for."""

    def __init__(self, gateway: LocalLinkis) -> None:
        self.gateway, self.start, self.listings = gateway, gateway.mark(), []

    def on_log(self, job: Job, lines: list[str]) -> None:
        self.listings.append(count(self.gateway, "/getDirFileTrees", self.start))


def test_results_are_listed_while_the_last_log_read_waits(faulty_client: LinkisClient, faulty_linkis: LocalLinkis,
                                                          faults):
    faults.forget_jobs()  # no live log: the whole log is read from the file once the job ended ...
    faults.delay(r"/openLog$", 0.5)  # ... and it comes late
    job = Job.submit(faulty_client, "sleep 0.3; echo done", engine="shell")
    seen = ListingSeen(faulty_linkis)
    job.wait(listener=seen, list_results=True)
    assert seen.listings[-1] == 1  # the listing was sent before the late log arrived
    settled = faulty_linkis.mark()
    assert job.results[0].text().strip() == "done"
    assert faulty_linkis.requests_since(settled) == []  # its first page was read alongside, too


TYPED_SQL = """
select id,
  case when id % 7 = 0 then null else id * 1000000000 end as big,
  case when id % 5 = 0 then null else cast(id as double) / 8 end as ratio,
  case when id % 3 = 0 then null else cast(id as decimal(20, 4)) + cast(0.0625 as decimal(20, 4)) end as amount,
  case when id % 11 = 0 then null else cast(date_add('2024-01-01', id % 365) as date) end as day,
  case when id % 13 = 0 then null else concat('name', cast(id as string)) end as name,
  id % 2 = 0 as even
from (select posexplode(split(space(11999), ' ')) as (id, s)) t
"""


def test_twelve_thousand_typed_rows_over_several_pages(client: LinkisClient):
    job = client.run(TYPED_SQL, engine="hive")
    result = ResultSet(client, job.results[0].path, page_size=5000)
    frame = result.to_pandas()
    assert frame.shape == (12000, 7) and result.row_count == 12000
    assert frame["id"].tolist() == list(range(12000))
    assert str(frame["big"].dtype) == "Int64" and frame["big"][11999] == 11_999_000_000_000
    assert frame["big"].isna().sum() == len(range(0, 12000, 7))
    assert frame["ratio"].dtype == "float64" and frame["ratio"][3] == 0.375 and pd.isna(frame["ratio"][5])
    assert frame["amount"][1] == Decimal("1.0625") and frame["amount"][3] is None
    assert frame["day"].dtype.kind == "M" and frame["day"][1] == pd.Timestamp("2024-01-02")
    assert pd.isna(frame["day"][11])
    assert frame["name"][1] == "name1" and pd.isna(frame["name"][13])
    assert str(frame["even"].dtype) == "boolean" and frame["even"][2]


def test_limit_and_head_read_only_what_they_need(client: LinkisClient, local_linkis: LocalLinkis):
    job = client.run(TYPED_SQL, engine="hive")
    result = ResultSet(client, job.results[0].path, page_size=5000)
    start = local_linkis.mark()
    assert len(result.head_frame()) == 5000 and result.row_count is None
    assert len(result.to_pandas(limit=7000)) == 7000
    assert sum(r.path.endswith("/openFile") for r in local_linkis.requests_since(start)) == 2
    assert "more than 5,000 rows × 7 columns" in result._repr_html_()
    assert len(list(result)) == 12000 and "12,000 rows × 7 columns" in result._repr_html_()


def test_eleven_result_sets_in_numeric_order(client: LinkisClient):
    code = "\n".join(f"select {n} as n;" for n in range(11))
    job = client.run(code, engine="hive")
    assert [rs.index for rs in job.results] == list(range(11))
    assert [rs.to_pandas()["n"][0] for rs in job.results] == list(range(11))
    assert job.results[10].path.endswith("_10.dolphin")


def test_text_results(client: LinkisClient):
    job = client.run("print('hello'); print('world')", engine="python")
    texts = [rs for rs in job.results if rs.kind == "text"]
    assert texts and "hello" in texts[0].text() and texts[0].columns == []
    assert texts[0]._repr_html_().startswith("<pre>") and "world" in texts[0]._repr_html_()


def test_run_is_submit_plus_wait(client: LinkisClient):
    job = client.run("select 'x' as letter", engine="trino")
    assert job.status is JobStatus.SUCCEED and job.progress == 1.0 and job.elapsed > 0
    assert job.task["status"] == "Succeed" and job.task["requestApplicationName"] == "LINKISMAGIC"
    assert job.results[0].to_pandas()["letter"].tolist() == ["x"]


def test_interrupt_during_submit_still_kills_the_job(faulty_client: LinkisClient, faulty_linkis: LocalLinkis,
                                                     faults):
    faults.delay(r"/entrance/submit$", 0.5, method="POST")  # the submit is in flight when the user presses
    timer = threading.Timer(0.2, _thread.interrupt_main)
    start = faulty_linkis.mark()
    timer.start()
    try:
        with pytest.raises(JobInterrupted) as info:
            Job.submit(faulty_client, "sleep 30", engine="shell")
    finally:
        timer.join(5)
    task_id = info.value.task_id
    assert task_id is not None and info.value.outcome.startswith(f"killed task {task_id} after it ran ")
    assert faulty_client.job_info(task_id)["status"] == "Cancelled"
    assert sum(r.path.endswith("/entrance/submit") for r in faulty_linkis.requests_since(start)) == 1


def test_the_job_carries_a_client_marker(client: LinkisClient):
    job = Job.submit(client, "select 1", engine="hive")
    job.wait()
    assert json.loads(job.task["sourceJson"])["linkisMagicRequestId"] == job.request_id


def test_the_log_is_read_often_while_lines_arrive_and_seldom_when_they_stop(client: LinkisClient,
                                                                           local_linkis: LocalLinkis):
    # Four seconds of two lines a second, then eight quiet seconds.
    code = "for i in $(seq 1 8); do echo tick $i; sleep 0.5; done; sleep 8; echo done"
    job = Job.submit(client, code, engine="shell")
    started, since = time.monotonic(), local_linkis.mark()
    job.wait(listener=Recorder())
    reads = [r.at - started for r in local_linkis.requests_since(since) if r.path.endswith(f"/{job.exec_id}/log")]
    writing = [t for t in reads if 1.5 <= t < 4.0]
    quiet = [t for t in reads if 6.0 <= t < 12.0]
    assert len(writing) >= 3, [round(t, 2) for t in reads]  # a read every 0.7 s while lines arrive
    assert len(quiet) <= 3  # backing off to one read in 5 s
    assert len(writing) / 2.5 > 2 * len(quiet) / 6.0
