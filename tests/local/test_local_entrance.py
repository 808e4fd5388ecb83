"""Submission, job states, logs, progress, kill and eviction (§4–§7), over real HTTP."""

from __future__ import annotations

import json
import re
import threading
from datetime import date, timedelta

import pytest

from linkis_magic.local.auth import default_user
from linkis_magic.local.server import LocalLinkis
from tests.local.gateway_api import Api
from tests.local.scripted_engine import SUPPORTED, ScriptedPool
from tests.support import wait_for

LOG_LINE = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{3} (INFO|WARN|ERROR) ")


def submit_raw(api: Api, body: dict) -> tuple[int, dict]:
    response = api.post("/entrance/submit", body)
    return response.status_code, response.json()


def content(code="text hi", run_type="hql"):
    return {"code": code, "runType": run_type}


@pytest.mark.parametrize("body, code, fragment", [
    ({"executionContent": content()}, 20008, "labels is null"),
    ({"executionContent": content(), "labels": {"userCreator": "u-IDE"}}, 20009, "engineTypeLabel"),
    ({"executionContent": {"code": "x"}, "labels": {"engineType": "hive-3.1.3"}}, 20009, "specify runType"),
    ({"executionContent": {"runType": "hql"}, "labels": {"engineType": "hive-3.1.3"}}, 20010,
     "The param executionCode cannot be empty"),
    ({"executionContent": content(" \n"), "labels": {"engineType": "hive-3.1.3"}}, 20007,
     "The param executionCode cannot be empty"),
    ({"executionContent": content(), "labels": {"engineType": "hive-3.1.3", "userCreator": "a-b-c"}}, 20009,
     "userCreator"),
    ({"executionContent": content(), "labels": {"engineType": "hive-3.1.3", "userCreator": "mallory-IDE"}}, 50080,
     "must be the same as ExecuteUser"),
    ({"executionContent": content(), "labels": {"engineType": "flink-1.16"}}, 20009, "engine flink"),
    ({"executionContent": content(run_type="scala"), "labels": {"engineType": "hive-3.1.3"}}, 20009, "runType scala"),
    ({"executionContent": content(), "labels": {"engineType": "hive-3.1.3", "jobRunningTimeout": "5m"}}, 20009,
     "The task time tag is not set incorrectly"),
])
def test_submit_validation(api, body, code, fragment):
    status, answer = submit_raw(api, body)
    assert (status, answer["status"], answer["method"]) == (400, 1, None)
    assert answer["message"].startswith(f"error code(错误码): {code}, error message(错误信息): ")
    assert fragment in answer["message"] and answer["message"].endswith(".")
    assert answer["data"]["errorMsg"]["errCode"] == code


def test_submit_answers_exec_id_and_numeric_task_id(scripted_linkis, api):
    status, answer = submit_raw(api, {"executionContent": content(),
                                      "labels": {"engineType": "hive-3.1.3", "userCreator": f"{api.user}-IDE"}})
    assert (status, answer["status"], answer["message"], answer["method"]) == (200, 0, "OK", "/api/entrance/submit")
    task_id, exec_id = answer["data"]["taskID"], answer["data"]["execID"]
    assert isinstance(task_id, int)
    instance = f"127.0.0.1:{scripted_linkis.port}"
    assert exec_id == f"exec_id018{len(instance):03d}linkis-cg-entrance{instance}IDE_{api.user}_hive_{task_id}"
    api.wait(task_id)


def test_default_creator_is_ide_and_execute_takes_the_old_format(api):
    status, answer = submit_raw(api, {"executionContent": content(), "labels": {"engineType": "hive-3.1.3"}})
    assert status == 200 and "IDE_" in answer["data"]["execID"]
    old = api.post("/entrance/execute", {"executeApplicationName": "spark", "executionCode": "text old",
                                         "runType": "sql", "requestApplicationName": "NB"})
    assert old.json()["method"] == "/api/entrance/execute"
    task = api.wait(old.json()["data"]["taskID"])
    assert (task["status"], task["requestApplicationName"], task["engineType"]) == ("Succeed", "NB", "spark")
    assert "engineType:spark-3.2.1" in task["labels"]
    blank = api.post("/entrance/execute", {"executeApplicationName": "spark", "executionCode": ""}).json()
    assert "20007" in blank["message"] and "scriptPath cannot be empty" in blank["message"]


def test_success_walks_the_states_and_logs_the_milestones(api):
    data, task = api.run("log INFO working\nprogress 0.5\ntable 3")
    assert task["status"] == "Succeed" and task["progress"] == "1.0"
    assert task["errCode"] is None and task["errDesc"] is None
    log = api.get(f"/entrance/{data['execID']}/log", fromLine=1, size=-1).json()["data"]["log"]
    lines = log[3].split("\n")
    assert all(LOG_LINE.match(line) for line in lines)
    text = log[3]
    order = ["Your job is accepted", "Your job is Scheduled. Please wait it to run.",
             "Your job is Running now. Please wait it to complete.", "working",
             "Congratulations. Your job completed with status Success."]
    positions = [text.index(milestone) for milestone in order]
    assert positions == sorted(positions)
    assert log[0] == "" and "working" in log[2]


def test_task_object_shape(api):
    data, task = api.run("text x", params={"variable": {"k": "v"}}, source={"scriptPath": "a.hql"})
    assert task["taskID"] == data["taskID"] and task["strongerExecId"] == data["execID"]
    assert task["execId"] == data["execID"].split("linkis-cg-entrance")[1].split(task["instance"], 1)[1]
    assert isinstance(task["createdTime"], int) and task["updatedTime"] >= task["createdTime"]
    assert json.loads(task["paramsJson"])["variable"] == {"k": "v"}
    assert json.loads(task["sourceJson"])["scriptPath"] == "a.hql"
    assert task["logPath"].startswith("file:///") and task["logPath"].endswith(f"/{data['taskID']}.log")
    assert task["resultLocation"].endswith(f"/{data['taskID']}")
    assert (task["umUser"], task["executeUser"], task["runType"]) == (api.user, api.user, "hql")
    assert f"userCreator:{api.user}-LINKISMAGIC" in task["labels"]
    # /get leaves the code out (Linkis >= 1.7.0), /list sends it (§7.1); 1.8.0 ignores brief.
    assert task["executionCode"] is None and api.code_of(data["taskID"]) == "text x"
    brief = api.get(f"/jobhistory/{data['taskID']}/get", brief="true").json()["data"]["task"]
    assert brief == {**task, "costTime": brief["costTime"], "updatedTime": brief["updatedTime"],
                     "requestEndTime": brief["requestEndTime"], "requestSpendTime": brief["requestSpendTime"]}


def test_failure_records_err_code_and_desc(api):
    data, task = api.run("log WARN careful\nfail division by zero")
    assert (task["status"], task["errCode"], task["errDesc"]) == ("Failed", 43042, "division by zero")
    log = api.get(f"/entrance/{data['execID']}/log", fromLine=1, size=-1).json()["data"]["log"]
    assert "division by zero" in log[0]
    assert "Sorry. Your job completed with a status Failed. You can view logs for the reason." in log[0]
    assert "careful" in log[1]
    status = api.get(f"/entrance/{data['execID']}/status").json()
    assert status == {"method": f"/api/entrance/{data['execID']}/status", "status": 0, "message": "OK",
                      "data": {"status": "Failed", "execID": data["execID"]}}


def test_log_paging_with_from_line(api):
    data, _ = api.run("\n".join(f"log INFO line {n}" for n in range(1, 31)))
    exec_id = data["execID"]
    whole = api.get(f"/entrance/{exec_id}/log", fromLine=1, size=1000).json()["data"]
    all_lines = whole["log"][3].split("\n")
    assert whole["fromLine"] == 1 + len(all_lines)
    collected, from_line = [], 1
    while True:
        page = api.get(f"/entrance/{exec_id}/log", fromLine=from_line, size=7).json()["data"]
        if page["fromLine"] == from_line:
            break
        collected.extend(page["log"][3].split("\n"))
        assert page["fromLine"] - from_line <= 7
        from_line = page["fromLine"]
    assert collected == all_lines
    # fromLine 0 reads from line 1 but answers 0 + consumed, so the next call re-reads a line (§4.4).
    zero = api.get(f"/entrance/{exec_id}/log", fromLine=0, size=2).json()["data"]
    assert zero["fromLine"] == 2 and zero["log"][3].split("\n") == all_lines[:2]
    assert api.get(f"/entrance/{exec_id}/log", size=0).json()["data"]["log"] == ["", "", "", ""]
    default = api.get(f"/entrance/{exec_id}/log").json()["data"]
    assert default["fromLine"] == len(all_lines)  # default size 100 covers them all
    flat = api.get(f"/entrance/{exec_id}/log", fromLine=1, size=3, distinctLevel="false").json()["data"]
    assert flat["log"] == "\n".join(all_lines[:3])


def test_progress_and_kill_of_a_running_job(scripted_linkis, api):
    data = api.submit("progress 0.25\nsleep")
    exec_id, task_id = data["execID"], data["taskID"]
    wait_for(lambda: api.get(f"/entrance/{exec_id}/progress").json()["data"]["progress"] >= 0.25, 10)
    progress = api.get(f"/entrance/{exec_id}/progress").json()
    assert progress["data"] == {"progress": 0.25, "execID": exec_id, "progressInfo": [
        {"id": "stage-1", "succeedTasks": 1, "failedTasks": 0, "runningTasks": 1, "totalTasks": 2}]}
    with_resource = api.get(f"/entrance/{exec_id}/progressWithResource").json()["data"]
    assert with_resource["yarnResource"] is None and with_resource["progress"] == 0.25
    assert api.get(f"/entrance/{exec_id}/status").json()["data"]["status"] == "Running"
    pause = api.get(f"/entrance/{exec_id}/pause").json()
    assert (pause["status"], pause["message"]) == (0, "success to pause job (成功pause了job)")

    cancels = scripted_linkis.gateway.entrance._pool.engine.cancels
    kill = api.get(f"/entrance/{exec_id}/kill", taskID=task_id)
    assert kill.json() == {"method": f"/api/entrance/{exec_id}/kill", "status": 0,
                           "message": "Successfully killed the job(成功kill了job)", "data": {"execID": exec_id}}
    task = api.wait(task_id)
    assert task["status"] == "Cancelled"
    assert scripted_linkis.gateway.entrance._pool.engine.cancels == cancels + 1
    assert api.get(f"/entrance/{exec_id}/status").json()["data"]["status"] == "Cancelled"
    log = api.get(f"/entrance/{exec_id}/log", fromLine=1, size=-1).json()["data"]["log"][3]
    assert "Sorry. Your job completed with a status Cancelled." in log


def test_kill_jobs_kills_a_batch(api):
    jobs = [api.submit("sleep") for _ in range(2)]
    for job in jobs:
        api.wait(job["taskID"], {"Running"})
    response = api.post(f"/entrance/{jobs[0]['execID']}/killJobs",
                        {"idList": [job["execID"] for job in jobs], "taskIDList": [job["taskID"] for job in jobs]})
    body = response.json()
    assert (body["status"], body["message"]) == (0, "success")
    assert [message["status"] for message in body["data"]["messages"]] == [0, 0]
    for job in jobs:
        task = api.wait(job["taskID"])
        assert (task["status"], task["progress"]) == ("Cancelled", "1.0f")
    mismatched = api.post(f"/entrance/{jobs[0]['execID']}/killJobs", {"idList": ["a"], "taskIDList": []})
    assert mismatched.status_code == 400


def test_unknown_exec_ids(api):
    unknown = "exec_id018014linkis-cg-entrance127.0.0.1:9104IDE_x_hive_999999"
    status = api.get(f"/entrance/{unknown}/status").json()
    assert status["message"] == ("Get job by ID error and cannot obtain the corresponding task status."
                                 "(获取job时发生异常，不能获取相应的任务状态)")
    assert api.get(f"/entrance/{unknown}/log").json()["message"].startswith("Can't find execID")
    assert api.get(f"/entrance/{unknown}/progress").json()["status"] == 1
    assert api.get(f"/entrance/{unknown}/pause").json()["status"] == 1
    kill = api.get(f"/entrance/{unknown}/kill")
    assert (kill.status_code, kill.json()["message"]) == (
        400, "Get job by ID error, kill failed.(获取job时发生异常，kill失败)")


def test_users_cannot_see_or_kill_each_others_jobs(api, bob):
    data = api.submit("sleep")
    api.wait(data["taskID"], {"Running"})
    assert bob.get(f"/entrance/{data['execID']}/status").json()["status"] == 1
    assert bob.get(f"/entrance/{data['execID']}/status", taskID=data["taskID"]).json()["status"] == 1
    assert bob.get(f"/entrance/{data['execID']}/log").json()["status"] == 1
    refused = bob.get(f"/entrance/{data['execID']}/kill", taskID=data["taskID"]).json()
    assert refused["message"] == f"You have no permission to kill this job, excecute by user:{api.user}"
    missing = bob.get(f"/jobhistory/{data['taskID']}/get")
    assert missing.status_code == 400 and missing.json()["message"].startswith("The corresponding job was not found")
    assert all(task["umUser"] == "bob" for task in bob.get("/jobhistory/list", pageSize=500).json()["data"]["tasks"])
    api.get(f"/entrance/{data['execID']}/kill")
    assert api.wait(data["taskID"])["status"] == "Cancelled"


def test_jobhistory_list_filters_and_pages(api, bob):
    mine = [api.run("text a", creator="LISTING")[0]["taskID"] for _ in range(3)]
    failed = api.run("fail no", creator="LISTING")[0]["taskID"]
    body = api.get("/jobhistory/list", creator="LISTING", pageSize=2).json()["data"]
    assert body["totalPage"] == 4
    assert [task["taskID"] for task in body["tasks"]] == [failed, mine[2]]
    second = api.get("/jobhistory/list", creator="LISTING", pageSize=2, pageNow=2).json()["data"]["tasks"]
    assert [task["taskID"] for task in second] == [mine[1], mine[0]]
    only_failed = api.get("/jobhistory/list", creator="LISTING", status="Failed,Timeout").json()["data"]
    assert [task["taskID"] for task in only_failed["tasks"]] == [failed]
    by_id = api.get("/jobhistory/list", taskID=mine[0]).json()["data"]["tasks"]
    assert [task["taskID"] for task in by_id] == [mine[0]]
    assert bob.get("/jobhistory/list", creator="LISTING").json()["data"] == {"tasks": [], "totalPage": 0}
    assert api.get("/jobhistory/abc/get").json()["status"] == 1
    # Any other failure still answers with an envelope, status 1 (§1).
    overflow = api.get("/jobhistory/99999999999999999999999/get")
    assert (overflow.status_code, overflow.json()["status"]) == (400, 1)


def test_variables_are_substituted_before_the_engine_runs(api):
    yesterday = (date.today() - timedelta(days=1)).strftime("%Y%m%d")
    code = "echo ${run_date} ${n+1} ${user} ${greeting} ${undefined}\n--@set greeting=hello"
    data, task = api.run(code, params={"variable": {"n": "41", "user": "someone-else", "greeting": "ignored"}})
    result = api.get("/filesystem/openFile", path=task["resultLocation"] + "/_0.dolphin").json()["data"]
    first_line = result["fileContent"][0][0]
    assert first_line == f"echo {yesterday} 42 {api.user} hello ${{undefined}}"
    assert api.code_of(task["taskID"]).startswith(f"echo {yesterday}")


def test_ide_creator_gets_the_sql_limit(api):
    data, task = api.run("echo select * from t", creator="IDE")
    assert api.code_of(task["taskID"]) == "echo select * from t"  # not a SELECT statement: untouched
    data, task = api.run("select * from t", creator="IDE")
    assert api.code_of(task["taskID"]) == "select * from t limit 5000"
    log = api.get(f"/entrance/{data['execID']}/log", fromLine=1, size=-1).json()["data"]["log"]
    assert "DSS will add limit 5000" in log[1]
    _, other = api.run("select * from t limit 99999", creator="IDE")
    assert api.code_of(other["taskID"]) == "select * from t limit 5000"


def test_fifty_concurrent_jobs_from_five_users(tmp_path):
    users = {default_user(): {}, **{f"user{n}": {} for n in range(4)}}
    with LocalLinkis(data_dir=tmp_path, users=users, engine_pool=ScriptedPool(), supported_engines=SUPPORTED) as gw:
        clients = [Api(gw, name) for name in users]
        jobs = [(client, client.submit("sleep")) for client in clients for _ in range(10)]
        for client, data in jobs:
            client.wait(data["taskID"], {"Running"})
        statuses = []

        def poll(client: Api, data: dict) -> None:
            statuses.append(client.get(f"/entrance/{data['execID']}/status").json()["data"]["status"])

        threads = [threading.Thread(target=poll, args=job) for job in jobs]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert statuses == ["Running"] * 50
        for client, data in jobs:
            assert client.get(f"/entrance/{data['execID']}/kill").json()["status"] == 0
        assert {client.wait(data["taskID"])["status"] for client, data in jobs} == {"Cancelled"}


def test_eviction_falls_back_to_history_with_task_id(tmp_path):
    with LocalLinkis(data_dir=tmp_path, engine_pool=ScriptedPool(), supported_engines=SUPPORTED,
                     entrance_capacity=2) as gw:
        client = Api(gw)
        first, _ = client.run("text 1")
        for _ in range(2):
            client.run("text more")
        exec_id = first["execID"]
        evicted = client.get(f"/entrance/{exec_id}/status")
        assert (evicted.status_code, evicted.json()["status"]) == (400, 1)
        fallback = client.get(f"/entrance/{exec_id}/status", taskID=first["taskID"]).json()
        assert fallback["data"] == {"status": "Succeed", "execID": exec_id}
        forced = client.get(f"/entrance/{exec_id}/kill", taskID=first["taskID"]).json()
        assert (forced["status"], forced["message"]) == (0, "Forced Kill task (强制杀死任务)")
        assert client.task(first["taskID"])["status"] == "Succeed"  # finished jobs stay finished
        assert client.get(f"/entrance/{exec_id}/kill").json()["status"] == 1
        # Running jobs are never evicted: they must stay killable.
        running = [client.submit("sleep") for _ in range(3)]
        for data in running:
            client.wait(data["taskID"], {"Running"})
            assert client.get(f"/entrance/{data['execID']}/status").json()["data"]["status"] == "Running"
        for data in running:
            assert client.get(f"/entrance/{data['execID']}/kill").json()["status"] == 0


def test_an_interceptor_refusal_leaves_a_failed_job_in_history(api):
    """The user check runs after Linkis has persisted the job (§4.1): the call fails, the job is
    Failed in history; a parser refusal (bad label format) leaves nothing."""
    def history() -> dict:
        return api.get("/jobhistory/list").json()["data"]

    before = history()["totalPage"]
    status, answer = submit_raw(api, {"executionContent": content(),
                                      "labels": {"engineType": "hive-3.1.3", "userCreator": "mallory-IDE"}})
    assert (status, answer["data"]["errorMsg"]["errCode"]) == (400, 50080)
    after = history()
    assert after["totalPage"] == before + 1
    newest = after["tasks"][0]
    assert (newest["status"], newest["errCode"], newest["progress"]) == ("Failed", 50080, "1.0")
    assert "must be the same as ExecuteUser" in newest["errDesc"] and "userCreator:mallory-IDE" in newest["labels"]
    submit_raw(api, {"executionContent": content(), "labels": {"engineType": "hive-3.1.3", "userCreator": "a-b-c"}})
    assert history()["totalPage"] == before + 1


def test_a_variable_error_fails_the_persisted_job(api):
    """Substitution is an interceptor too: Linkis's 20042 for ``${run_date-}`` fails a job that exists."""
    status, answer = submit_raw(api, {"executionContent": content("text ${run_date-}"),
                                      "labels": {"engineType": "hive-3.1.3"}})
    assert (status, answer["data"]["errorMsg"]["errCode"]) == (400, 20042)
    newest = api.get("/jobhistory/list").json()["data"]["tasks"][0]
    assert (newest["status"], newest["errCode"]) == ("Failed", 20042)
    assert newest["errDesc"] == "[${run_date-}] expression is not right, please check"
