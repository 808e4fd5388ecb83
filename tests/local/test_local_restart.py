"""Restart recovery: history, logs and results survive; unfinished jobs become Failed."""

from __future__ import annotations

from linkis_magic.local.history import RESTART_ERR_DESC
from linkis_magic.local.server import LocalLinkis
from tests.local.gateway_api import Api
from tests.local.scripted_engine import SUPPORTED, ScriptedPool

USERS = {"alice": {"password": "pw", "token": "tk"}}


def gateway(data_dir) -> LocalLinkis:
    return LocalLinkis(data_dir=data_dir, users=USERS, engine_pool=ScriptedPool(), supported_engines=SUPPORTED)


def test_restart_keeps_finished_jobs_and_fails_unfinished_ones(tmp_path):
    with gateway(tmp_path) as first:
        client = Api(first)
        finished, finished_task = client.run("log INFO before restart\ntable 5")
        running = client.submit("sleep")
        client.wait(running["taskID"], {"Running"})
    with gateway(tmp_path) as second:
        client = Api(second)
        lost = client.task(running["taskID"])
        assert (lost["status"], lost["errDesc"]) == ("Failed", RESTART_ERR_DESC)
        kept = client.task(finished["taskID"])
        assert kept["status"] == "Succeed" and kept["resultLocation"] == finished_task["resultLocation"]
        page = client.get("/filesystem/openFile", path=kept["resultLocation"] + "/_0.dolphin").json()["data"]
        assert page["totalLine"] == 5
        log = client.get("/filesystem/openLog", path=kept["logPath"]).json()["data"]["log"][3]
        assert "before restart" in log
        # The new entrance does not know the old execIDs; the taskID fallback still answers.
        assert client.get(f"/entrance/{finished['execID']}/status").json()["status"] == 1
        fallback = client.get(f"/entrance/{finished['execID']}/status", taskID=finished["taskID"]).json()
        assert fallback["data"]["status"] == "Succeed"
        new, _ = client.run("text after")
        assert new["taskID"] > running["taskID"]


def test_sessions_do_not_survive_a_restart(tmp_path):
    with gateway(tmp_path) as first:
        client = Api(first, token=False)
        client.post("/user/login", {"userName": "alice", "password": "pw"})
        assert client.get("/user/heartbeat").status_code == 200
    with gateway(tmp_path) as second:
        client.gateway = second
        assert client.get("/user/heartbeat").status_code == 401
