"""What a notebook user sees against a gateway as harsh as Linkis 1.8.0, in a real ipykernel (issue
12): a failed cell's error lines, the log of a running job, a kill that comes too late and a row
Linkis will not show. The gateway (``faulty_linkis``) has Linkis's defaults; faults are named where a test adds one."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator

import pytest
from jupyter_client.manager import start_new_kernel

from linkis_magic.client import LinkisClient
from tests.support import kills, wait_for

TIMEOUT = 60
CLOSING = "Your job completed with"


@pytest.fixture(scope="module")
def kc(faulty_linkis, tmp_path_factory) -> Iterator[object]:
    """One kernel for the module, its magics pointed at the gateway, in text mode (plain output)."""
    home = tmp_path_factory.mktemp("kernel-home")
    config = home / "config.toml"
    config.touch()
    env = {**os.environ, "LINKIS_URL": faulty_linkis.url, "LINKIS_USER": faulty_linkis.user,
           "LINKIS_TOKEN": faulty_linkis.token,
           "LINKIS_CONFIG": str(config), "LINKIS_PROGRESS": "text", "IPYTHONDIR": str(home / "ipython")}
    env.pop("LINKIS_PASSWORD", None)
    km, client = start_new_kernel(kernel_name="python3", env=env)
    try:
        assert run(client, "%load_ext linkis_magic")[0]["status"] == "ok"
        yield client
    finally:
        client.stop_channels()
        km.shutdown_kernel(now=True)


def run(kc, code: str) -> tuple[dict, str]:
    """Execute ``code``; return the reply and everything the cell showed as text."""
    shown: list[dict] = []
    reply = kc.execute_interactive(code, timeout=TIMEOUT, output_hook=shown.append)
    return reply["content"], "\n".join(filter(None, map(_text, shown)))


def _text(msg: dict) -> str:
    content = msg["content"]
    if msg["msg_type"] == "stream":
        return content["text"]
    if msg["msg_type"] in ("display_data", "execute_result"):
        return content["data"].get("text/plain", "")
    if msg["msg_type"] == "error":
        return "\n".join(content["traceback"])
    return ""


def test_a_failed_cell_shows_the_error_lines_and_the_closing_line(kc, faults):
    faults.delay_log_close(5.0)  # the log file is not written yet when the cell ends
    reply, text = run(kc, "%%linkis hive\nselect * from no_such_table_in_kernel")
    assert reply["status"] == "error" and reply["ename"] == "JobFailed"
    error = "\n".join(reply["traceback"])
    assert "no_such_table_in_kernel" in error
    assert f"Sorry. {CLOSING} a status Failed. You can view logs for the reason." in error


def test_linkis_log_of_a_running_job_shows_its_lines_so_far(kc, faulty_linkis):
    with LinkisClient(faulty_linkis.url, user=faulty_linkis.user, token=faulty_linkis.token) as client:
        job = client.submit({"executionContent": {"code": "echo first-line; sleep 30", "runType": "shell"},
                             "labels": {"engineType": "shell-1", "userCreator": f"{faulty_linkis.user}-LINKISMAGIC"}})
        task_id = job["taskID"]
        wait_for(lambda: "first-line" in client.log(job["execID"])["log"][3], timeout=20)
        try:
            reply, text = run(kc, f"%linkis log {task_id}")
            assert reply["status"] == "ok"
            assert re.search(r"INFO first-line$", text, re.MULTILINE)
            assert CLOSING not in text
        finally:
            client.kill(job["execID"], task_id)


def test_killing_a_task_that_ended_says_how_it_ended(kc):
    reply, _ = run(kc, "%%linkis shell --quiet\necho done")
    task_id = int(run(kc, "print(_linkis_last.task_id)")[1].strip())
    reply, text = run(kc, f"%linkis kill {task_id}")
    assert reply["status"] == "ok" and text.strip() == f"task {task_id} had already ended: Succeed"


def test_a_timeout_that_races_the_end_gives_the_result_not_an_error(kc, faulty_linkis, faults):
    faults.delay(r"/kill$", 2.0)  # the kill reaches the entrance after the job ended: refused (§4.6)
    since = faulty_linkis.mark()
    reply, text = run(kc, "%%linkis shell --timeout 0.5\nsleep 1; echo made-it")
    assert len(kills(faulty_linkis, since)) == 1
    assert reply["status"] == "ok", reply
    assert "made-it" in text and re.search(r"Linkis task \d+ · Succeed", text)


def test_a_row_linkis_will_not_show_ends_the_cell_with_one_line(kc):
    reply, _ = run(kc, "%%linkis hive -o blob\nselect repeat('x', 21000000) as blob")
    assert reply["status"] == "error" and reply["ename"] == "ResultNotDisplayable"
    assert len(reply["traceback"]) == 1
    assert reply["traceback"][0].startswith("ResultNotDisplayable: Linkis will not show result set _0.dolphin "
                                            "(display_prohibited): There is a field value exceed")
    assert run(kc, "print('blob' in globals())")[1].strip() == "False"  # no empty frame stored
