"""The jobQueuingTimeout / jobRunningTimeout labels (§4.1, §6), over real HTTP.

Linkis's JobTimeoutManager ends such a job with ``onFailure(reason)``, which interrupts it, so it
ends Cancelled (not Timeout) with the reason as errDesc and in the log.
"""

from __future__ import annotations

import pytest

from linkis_magic.client import LinkisClient
from linkis_magic.errors import JobFailed
from linkis_magic.local.auth import default_user
from linkis_magic.local.server import LocalLinkis
from linkis_magic.protocol import JobStatus
from tests.local.gateway_api import Api
from tests.local.scripted_engine import SUPPORTED, ScriptedPool


def full_log(api: Api, exec_id: str) -> str:
    return api.get(f"/entrance/{exec_id}/log", fromLine=1, size=-1).json()["data"]["log"][3]


def test_a_job_running_past_its_limit_is_cancelled_with_the_reason(scripted_linkis, api):
    engine = scripted_linkis.gateway.entrance._pool.engine
    cancels = engine.cancels
    data = api.submit("sleep", labels={"engineType": "hive-3.1.3", "userCreator": f"{api.user}-LINKISMAGIC",
                                       "jobRunningTimeout": "1"})
    task = api.wait(data["taskID"])
    assert task["status"] == "Cancelled"
    assert task["errDesc"].startswith("Job run ") and task["errDesc"].endswith(" over max run time : 1 seconds.")
    assert engine.cancels == cancels + 1
    log = full_log(api, data["execID"])
    assert f"Sorry, your job executed failed with reason: {task['errDesc']}" in log
    assert "Sorry. Your job completed with a status Cancelled. You can view logs for the reason." in log


def test_a_job_queued_past_its_limit_never_runs(tmp_path):
    with LocalLinkis(data_dir=tmp_path, users={default_user(): {}}, engine_pool=ScriptedPool(),
                     supported_engines=SUPPORTED, workers=1) as gateway:
        api = Api(gateway)
        blocker = api.submit("sleep")
        queued = api.submit("text never", labels={"engineType": "hive-3.1.3", "jobQueuingTimeout": 1,
                                                  "userCreator": f"{api.user}-LINKISMAGIC"})
        task = api.wait(queued["taskID"])
        assert (task["status"], task["engineStartTime"]) == ("Cancelled", None)
        assert task["errDesc"].endswith(" over max queue time : 1 seconds.")
        assert "Your job is Running now" not in full_log(api, queued["execID"])
        api.get(f"/entrance/{blocker['execID']}/kill", taskID=blocker["taskID"])
        api.wait(blocker["taskID"])


def test_the_client_reports_the_timeout_as_a_failed_job(scripted_linkis):
    with LinkisClient(scripted_linkis.url, user=scripted_linkis.user, token=scripted_linkis.token) as client:
        with pytest.raises(JobFailed) as failure:
            client.run("sleep", engine="hive", labels={"jobRunningTimeout": 1})
    assert failure.value.status == JobStatus.CANCELLED
    assert "over max run time : 1 seconds" in failure.value.err_desc
