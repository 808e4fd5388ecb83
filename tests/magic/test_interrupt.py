"""Real SIGINTs (as Ctrl-C and the stop button deliver them) while a %%linkis cell runs.

The gateway here holds every submit and kill for a second, so an interrupt can land inside them.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from IPython.utils.capture import capture_output

from linkis_magic.client import LinkisClient
from linkis_magic.errors import JobInterrupted
from tests.magic.magic_support import Interrupter
from tests.support import count, kills


@pytest.fixture
def ip(connect, slow_linkis):
    return connect(slow_linkis)


@pytest.fixture
def slow_client(slow_linkis) -> Iterator[LinkisClient]:
    """A token client of ``slow_linkis``."""
    with LinkisClient(slow_linkis.url, user=slow_linkis.user, token=slow_linkis.token) as client:
        yield client


def run_interrupted(ip, interrupter: Interrupter) -> tuple[JobInterrupted, object]:
    with capture_output() as out, pytest.raises(JobInterrupted) as info:
        ip.run_cell_magic("linkis", "shell --progress text", "echo started; sleep 20")
    interrupter.join()
    return info.value, out


def test_interrupt_while_running_kills_the_job_once(ip, slow_linkis, slow_client):
    before = slow_linkis.mark()
    progress = count(slow_linkis, "/progress")  # read only while the job is Running
    error, out = run_interrupted(ip, Interrupter(lambda: count(slow_linkis, "/progress") > progress))
    assert kills(slow_linkis, before) == [{"taskID": str(error.task_id)}]
    assert slow_client.job_info(error.task_id)["status"] == "Cancelled"
    assert error.outcome.startswith(f"killed task {error.task_id} after it ran ")
    assert error._render_traceback_() == [f"JobInterrupted: {error.outcome}"]
    assert f"Linkis task {error.task_id} · Cancelled" in "\n".join(
        o.data["text/plain"] for o in out.outputs)


def test_a_second_interrupt_during_the_kill_does_not_leave_the_job_running(ip, slow_linkis,
                                                                          slow_client):
    before = slow_linkis.mark()
    progress = count(slow_linkis, "/progress")
    interrupter = Interrupter(lambda: count(slow_linkis, "/progress") > progress,
                              lambda: len(kills(slow_linkis, before)) == 1)
    error, _ = run_interrupted(ip, interrupter)
    assert interrupter.sent == 2
    assert len(kills(slow_linkis, before)) == 1
    assert slow_client.job_info(error.task_id)["status"] == "Cancelled"


def test_an_interrupt_during_submit_kills_the_job_once_its_id_is_known(ip, slow_linkis, slow_client):
    before = slow_linkis.mark()
    submits = count(slow_linkis, "/entrance/submit")
    error, _ = run_interrupted(ip, Interrupter(
        lambda: count(slow_linkis, "/entrance/submit") > submits))
    assert error.task_id is not None
    assert kills(slow_linkis, before) == [{"taskID": str(error.task_id)}]
    assert slow_client.job_info(error.task_id)["status"] == "Cancelled"
