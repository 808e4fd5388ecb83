"""The client against a gateway as harsh as Linkis 1.8.0: nothing of the log lost to the
late log file, kills that race the end, rows Linkis will not show, the owner check, login
encryption and a job history that lost a job's end. Every gateway here runs with Linkis's
defaults; faults are named where a test adds one."""

from __future__ import annotations

import math
import re
import time
from collections.abc import Iterator
from decimal import Decimal

import pandas as pd
import pytest

from linkis_magic.client import LinkisClient
from linkis_magic.errors import JobFailed, LinkisAuthError, LinkisPermissionError, ResultNotDisplayable
from linkis_magic.job import Job, PollSchedule
from linkis_magic.local.auth import default_user
from linkis_magic.local.server import LocalLinkis
from linkis_magic.local.settings import LinkisSettings
from linkis_magic.protocol import JobStatus
from tests.support import Recorder, count, kills, wait_for

CLOSING = "Your job completed with"


def test_the_end_of_the_log_comes_from_the_entrance_before_the_file_exists(faulty_client, faulty_linkis, faults):
    # The log file is written 3 s after history shows the end: a client reading the file then would
    # see none of the 50 lines (§4.4.1). The entrance still has them.
    faults.delay_log_close(3.0)
    seen = Recorder(progress=False)
    since = faulty_linkis.mark()
    faulty_client.run('for i in $(seq 1 50); do echo "row $i"; sleep 0.02; done', engine="shell", listener=seen)
    rows = [line.rsplit(" ", 2)[-2:] for line in seen.lines if " INFO row " in line]
    assert [" ".join(row) for row in rows] == [f"row {i}" for i in range(1, 51)]
    assert CLOSING in seen.lines[-1]
    assert count(faulty_linkis, "/filesystem/openLog", since) == 0


def test_a_failed_job_carries_its_error_lines_and_closing_line(faulty_client, faults):
    faults.delay_log_close(3.0)
    with pytest.raises(JobFailed) as info:
        faulty_client.run("select * from no_such_table_here", engine="hive")
    tail = "\n".join(info.value.log_tail)
    assert "no_such_table_here" in tail
    assert f"Sorry. {CLOSING} a status Failed. You can view logs for the reason." in tail


def test_after_the_entrance_forgot_the_job_the_file_is_read_once_it_is_complete(faulty_client, faulty_linkis,
                                                                              faults):
    faults.forget_jobs()  # live log reads fail too: every line comes from the file
    faults.delay_log_close(1.0)
    seen = Recorder(progress=False)
    since = faulty_linkis.mark()
    job = faulty_client.run("echo one; echo two", engine="shell", listener=seen)
    assert CLOSING in seen.lines[-1] and any(line.endswith("INFO one") for line in seen.lines)
    assert count(faulty_linkis, "/filesystem/openLog", since) >= 2  # the first read found no closing line
    assert job.notes == []


def test_a_file_that_never_completes_is_used_and_said_to_be_incomplete(faulty_client, faulty_linkis, faults):
    faults.forget_jobs()
    faults.delay_log_close(30.0)
    seen = Recorder(progress=False)
    since = faulty_linkis.mark()
    started = time.monotonic()
    job = faulty_client.run("echo one", engine="shell", listener=seen)
    # Read, then again after 0.2 + 0.5 + 1 + 2 s, then used as it is: not for ever.
    assert 3.7 <= time.monotonic() - started < 10
    assert count(faulty_linkis, "/filesystem/openLog", since) == 5
    assert job.notes == [f"the log of task {job.task_id} may be incomplete: its file had no closing line yet; "
                         f"%linkis log {job.task_id} reads it again"]


def test_the_whole_log_comes_from_the_entrance_while_the_job_runs_and_the_file_after(faulty_client, faulty_linkis):
    job = Job.submit(faulty_client, "echo started; sleep 30", engine="shell")
    attached = Job.attach(faulty_client, job.task_id)
    wait_for(lambda: "started" in attached.log_text())  # the file is still empty (§4.4.1)
    job.kill()
    wait_for(lambda: CLOSING in attached.log_text())  # from the entrance until the file has it
    path = faulty_client.job_info(job.task_id)["logPath"]
    wait_for(lambda: CLOSING in faulty_client.open_log(path)[3], what="the complete file")
    since = faulty_linkis.mark()
    text = attached.log_text()  # the job ended and its file is complete: the file alone
    assert re.search(r"INFO started\n", text) and CLOSING in text
    assert count(faulty_linkis, "/filesystem/openLog", since) == 1 and count(faulty_linkis, "/log", since) == 0


def test_killing_a_job_that_just_ended_reports_its_end(faulty_client, faulty_linkis):
    job = Job.submit(faulty_client, "echo done", engine="shell")
    wait_for(lambda: faulty_client.job_info(job.task_id)["status"] == "Succeed")
    since = faulty_linkis.mark()
    outcome = job.kill()  # this Job has not seen the end: the gateway refuses the kill (§4.6)
    assert len(kills(faulty_linkis, since)) == 1
    assert (outcome.status, outcome.message) == (JobStatus.SUCCEED, f"task {job.task_id} had already ended: Succeed")


def test_a_timeout_that_races_the_end_returns_the_result(faulty_client, faulty_linkis, faults):
    # The kill reaches the entrance 2 s late, after the job ended: Linkis refuses it.
    faults.delay(r"/kill$", 2.0)
    since = faulty_linkis.mark()
    job = faulty_client.run("sleep 1; echo ok", engine="shell", timeout=0.5)
    assert len(kills(faulty_linkis, since)) == 1
    assert job.status is JobStatus.SUCCEED and job.results[0].text().strip() == "ok"


def test_a_history_that_lost_the_end_is_checked_against_the_entrance(faulty_client, faulty_linkis, faults):
    faults.lose_history_updates()
    job = Job.submit(faulty_client, "echo hi", engine="shell")
    since = faulty_linkis.mark()
    job.wait(poll=PollSchedule(entrance_every=0.5, history_lag=1.0))
    assert faulty_client.job_info(job.task_id)["status"] == "Running"  # history never learnt the end
    assert job.status is JobStatus.SUCCEED and job.results[0].text().strip() == "hi"
    assert count(faulty_linkis, f"/entrance/{job.exec_id}/status", since) >= 1
    assert re.fullmatch(rf"job history still says task {job.task_id} is Running, \d+ s after the entrance reported "
                        r"it Succeed: Linkis lost the update of job history \(publicservice unreachable\?\); the "
                        r"entrance's state is used", job.notes[0])


def test_a_row_linkis_will_not_show_is_an_error_not_an_empty_frame(client):
    job = client.run("select repeat('x', 21000000) as blob", engine="hive")
    with pytest.raises(ResultNotDisplayable) as info:
        job.results[0].to_pandas()
    assert str(info.value) == (
        "Linkis will not show result set _0.dolphin (display_prohibited): There is a field value exceed "
        "2,147,483,647 characters or col size exceed 2,147,483,647 in the result set. If you want to view it, "
        "please use the result set export function. Export it instead (the web console's result export, or "
        "/filesystem/resultsetToExcel with limit set to the row count).")


def test_sql_null_and_the_text_null_stay_apart_and_types_follow_linkis_names(client):
    job = client.run("select 'NULL' as text_null, NULL::varchar as nothing, 7::tinyint as tiny, "
                           "1.25::decimal(10,2) as money, 'infinity'::double as big, 2.0::double as two",
                           engine="hive")
    frame = job.results[0].to_pandas()
    assert frame["text_null"][0] == "NULL" and pd.isna(frame["nothing"][0])
    assert frame["tiny"][0] == "7"  # Linkis sends tinyint as string (§8.2)
    assert frame["money"][0] == Decimal("1.25") and math.isinf(frame["big"][0]) and frame["two"][0] == 2.0


@pytest.fixture(scope="module")
def strict_linkis(tmp_path_factory) -> Iterator[LocalLinkis]:
    """A deployment with the owner check and login encryption on, as shipped configurations do."""
    settings = LinkisSettings(owner_check=True, login_encrypt=True)
    with LocalLinkis(data_dir=tmp_path_factory.mktemp("strict"), users={default_user(): {}},
                     settings=settings) as gateway:
        yield gateway


def test_login_encryption_is_handled_without_the_user_doing_anything(strict_linkis):
    with LinkisClient(strict_linkis.url, user=strict_linkis.user, password=strict_linkis.password) as client:
        assert client.run("select 1 as n", engine="hive").status is JobStatus.SUCCEED
    # A wrong password is still "wrong", not "blank": it was encrypted, so the gateway read it (§2.1).
    with LinkisClient(strict_linkis.url, user=strict_linkis.user, password="not-it") as wrong:
        with pytest.raises(LinkisAuthError, match=r"wrong user name or password"):
            wrong.login()


def test_the_owner_check_is_a_one_line_error_naming_the_setting(strict_linkis):
    with LinkisClient(strict_linkis.url, user=strict_linkis.user, token=strict_linkis.token) as client:
        job = client.run("select 1 as n", engine="hive")
        with pytest.raises(LinkisPermissionError) as info:
            job.results
    error = info.value
    assert error.err_code == 80010 and "\n" not in str(error) and isinstance(error, PermissionError)
    assert str(error).startswith(f"error code(错误码): 80010, error message(错误信息): The user: {strict_linkis.user} "
                                 "has no permission to view the contents of the directory:")
    assert str(error).endswith("(The gateway's owner check, wds.linkis.workspace.filesystem.owner.check, shows job "
                               "result and log files to Linkis admins only; ask its operators to turn it off or make "
                               "you an admin.)")
