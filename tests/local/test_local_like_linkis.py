"""The embedded gateway is as harsh as Linkis 1.8.0 by default, over raw HTTP.

Each test names the Linkis behaviour it pins, with the section of docs/protocol.md it comes from.
Gateways here run the scripted engine (tests/local/scripted_engine.py) with Linkis's defaults,
plus a scripted fault where the test says so.
"""

from __future__ import annotations

import base64
import re
import time
from collections.abc import Iterator

import pytest
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.serialization import load_der_public_key

from linkis_magic.cli import build_parser
from linkis_magic.local.auth import default_user
from linkis_magic.local.faults import Faults
from linkis_magic.local.server import LocalLinkis
from linkis_magic.local.settings import LinkisSettings, SettingsError
from tests.local.gateway_api import QUERY_TASK_VO, Api
from tests.local.scripted_engine import SUPPORTED, ScriptedPool
from tests.support import wait_for

CLOSING = "Your job completed with"


def scripted(tmp_path, settings: LinkisSettings | None = None, faults: Faults | None = None,
             **options) -> LocalLinkis:
    return LocalLinkis(data_dir=tmp_path, users={default_user(): {}, "hadoop": {}}, engine_pool=ScriptedPool(),
                       supported_engines=SUPPORTED, settings=settings, faults=faults, **options)


@pytest.fixture(scope="module")
def gateway(tmp_path_factory, faults) -> Iterator[LocalLinkis]:
    """Linkis 1.8.0's defaults, a scripted engine, an entrance that remembers two finished jobs."""
    with scripted(tmp_path_factory.mktemp("like-linkis"), faults=faults, entrance_capacity=2) as started:
        yield started


@pytest.fixture
def api(gateway) -> Api:
    return Api(gateway)


def open_log(api: Api, task: dict) -> str:
    return api.get("/filesystem/openLog", path=task["logPath"]).json()["data"]["log"][3]


# -- the log cache and the late log file (§4.4.1) -------------------------------------------------

def test_the_log_file_is_written_after_history_shows_the_end(api, faults):
    faults.delay_log_close(1.5)
    data, task = api.run("log INFO working\nlog ERROR broke\nfail it broke")
    assert task["status"] == "Failed"
    # History says Failed; the file is still empty, the entrance has every line.
    assert open_log(api, task) == ""
    entrance = api.entrance_log(data["execID"])
    assert "broke" in entrance[0] and f"Sorry. {CLOSING} a status Failed" in entrance[0]
    # Once the entrance closed the job, the file holds it all, and the entrance reads the file.
    wait_for(lambda: CLOSING in open_log(api, task), timeout=10)
    assert open_log(api, task) == entrance[3] + "\n"
    assert api.entrance_log(data["execID"]) == entrance


def test_the_file_gets_whole_500_line_blocks_while_the_job_runs(api):
    data = api.submit("lines 1200\nsleep")  # 3 entrance lines, then 1200: pushes at 501 and 1001
    wait_for(lambda: api.entrance_log(data["execID"])[3].count("\n") + 1 >= 1203)
    task = api.task(data["taskID"])
    assert task["status"] == "Running"
    persisted = open_log(api, task).splitlines()
    assert len(persisted) == 1000 and persisted[-1].endswith("line 997")
    api.get(f"/entrance/{data['execID']}/kill", taskID=data["taskID"])
    assert api.persisted_log(task["logPath"])[3].count("\n") == 1205  # + the kill line and the closing line


def test_open_log_classifies_lines_as_the_filesystem_service_does(api):
    # Lines without a header (a stack trace) take the level of the header line before them.
    data, task = api.run("log ERROR boom\\n\tat Foo.bar(Foo.java:1)\nlog INFO fine\\n  more")
    entrance = api.entrance_log(data["execID"])
    error, _warn, info, everything = api.persisted_log(task["logPath"])
    assert everything == entrance[3] + "\n"
    assert error.endswith(" ERROR boom\n\tat Foo.bar(Foo.java:1)\n")
    assert " INFO fine\n  more\n" in info and "Foo.bar" not in info
    assert "Foo.bar" not in entrance[0]  # the entrance's own ERROR list holds header lines only


# -- job history's list (§7.2) ------------------------------------------------------------------

def test_job_history_pages_as_linkis_configures_pagehelper(tmp_path):
    # PageHelper with reasonable=true and pageSizeZero=true (MybatisConfigurationFactory).
    with scripted(tmp_path) as own:
        api = Api(own)
        made = [api.submit("text x")["taskID"] for _ in range(5)]

        def page(**params) -> tuple[list[int], int]:
            data = api.get("/jobhistory/list", **params).json()["data"]
            return [task["taskID"] for task in data["tasks"]], data["totalPage"]

        newest = sorted(made, reverse=True)
        assert page(pageSize=2, pageNow=3) == (newest[4:], 5)
        assert page(pageSize=2, pageNow=9) == (newest[4:], 5)  # past the last page: the last one
        assert page(pageSize=2, pageNow=0) == (newest[:2], 5)
        assert page(pageSize=0) == (newest, 5)  # no paging at all


def test_job_history_lists_a_creator_by_prefix_and_refuses_names_linkis_refuses(tmp_path):
    # QueryRestfulApi.getJobhistoryList and JobHistoryMapper.searchWithUserCreator in 1.8.0.
    with scripted(tmp_path) as own:
        api = Api(own)
        ide, idea, magic = (api.submit("text x", creator=c)["taskID"] for c in ("IDE", "IDEA", "LINKISMAGIC"))

        def listed(**params) -> list[int]:
            return sorted(task["taskID"] for task in api.get("/jobhistory/list", **params).json()["data"]["tasks"])

        assert listed(creator="IDE") == [ide, idea]  # LOCATE('"userCreator":"<user>-IDE', labels)
        assert listed(creator="LINKISMAGIC") == [magic]
        assert listed(creator=" ") == [ide, idea, magic]  # blank: no filter
        assert listed(runType="nothing-like-it") == [ide, idea, magic]  # 1.8.0 has no runType filter
        refused = api.get("/jobhistory/list", creator="IDE%")
        assert refused.status_code == 400 and refused.json()["status"] == 1
        assert refused.json()["message"].startswith("errCode: 21304 ,desc: Invalid creator : IDE% ,ip: ")
        odd_engine = api.get("/jobhistory/list", executeApplicationName="hive'").json()["message"]
        assert odd_engine.startswith("errCode: 21304 ,desc: Invalid applicationName : hive' ,ip: ")
        created = api.task(ide)["createdTime"]
        assert listed(startDate=created, endDate=created) == [ide, idea, magic]  # equal: a day from then


# -- kill (§4.6) ---------------------------------------------------------------------------------

def test_killing_a_job_that_ended_is_refused_and_history_keeps_its_end(api, gateway):
    data, task = api.run("text done")
    refused = api.get(f"/entrance/{data['execID']}/kill", taskID=data["taskID"])
    body = refused.json()
    assert refused.status_code == 400 and body["status"] == 1
    assert body["method"] == f"/api/entrance/{data['execID']}/kill"
    assert body["message"].startswith("An exception occurred while killing the job, kill failed(kill job的时候出现了"
                                      "异常，kill失败) with error:errCode: 20011 ,desc: Request jobHistory failed")
    assert (f"jobId:{data['taskID']}，oldStatus(在数据库中的task状态为)：Succeed, "
            "newStatus(更新的task状态为)：Cancelled") in body["message"]
    assert "QueryFailedException" in body["data"]["stack"]
    assert api.task(data["taskID"])["status"] == "Succeed"


def test_killing_a_job_that_was_cancelled_again_is_accepted(api):
    data = api.submit("sleep")
    api.wait(data["taskID"], {"Running"})
    assert api.get(f"/entrance/{data['execID']}/kill", taskID=data["taskID"]).json()["status"] == 0
    api.wait(data["taskID"])
    again = api.get(f"/entrance/{data['execID']}/kill", taskID=data["taskID"]).json()
    assert (again["status"], again["message"]) == (0, "Successfully killed the job(成功kill了job)")


def test_a_job_the_entrance_forgot_is_force_killed_by_task_id(api):
    data, task = api.run("text first")
    for n in range(2):  # the entrance remembers two finished jobs: these push the first out
        api.run(f"text filler {n}")
    forced = api.get(f"/entrance/{data['execID']}/kill", taskID=data["taskID"]).json()
    assert (forced["status"], forced["message"]) == (0, "Forced Kill task (强制杀死任务)")
    assert api.task(data["taskID"])["status"] == "Succeed"  # the update to Cancelled was refused
    without_id = api.get(f"/entrance/{data['execID']}/kill").json()
    assert without_id["message"] == "Get job by ID error, kill failed.(获取job时发生异常，kill失败)"


# -- job history: brief and the code (§7.1) ------------------------------------------------------

def test_master_honours_brief_and_1_8_0_ignores_it(tmp_path, api):
    data, task = api.run("text x")
    ignored = api.get(f"/jobhistory/{data['taskID']}/get", brief="true").json()["data"]["task"]
    assert ignored["strongerExecId"] == data["execID"] and ignored["executionCode"] is None
    with scripted(tmp_path, LinkisSettings(linkis_version="master")) as master:
        on_master = Api(master)
        data, _ = on_master.run("text x")
        brief = on_master.get(f"/jobhistory/{data['taskID']}/get", brief="true").json()["data"]["task"]
    filled = {key for key, value in brief.items() if value is not None}
    assert filled == {"status", "progress", "taskID", "execId", "logPath", "resultLocation", "umUser",
                      "executeUser", "canRetry"}  # errCode/errDesc are null for a job that succeeded
    assert brief["strongerExecId"] is None and brief["canRetry"] is False
    # The keys: 1.8.0's QueryTaskVO, and master's three more.
    assert set(ignored) == QUERY_TASK_VO
    assert set(brief) == QUERY_TASK_VO | {"engineLogPath", "ecmInstance", "ticketId"}


def test_master_alone_reads_log_level_and_wants_enable_limit_true(tmp_path, api):
    # openLog's logLevel and enableLimit=true exist on master; 1.8.0 ignores the first and takes
    # any non-blank enableLimit (§8.2, §8.4).
    _, task = api.run("log ERROR bad\nlog INFO fine")
    whole = api.persisted_log(task["logPath"])
    assert api.get("/filesystem/openLog", path=task["logPath"], logLevel="error").json()["data"]["log"] == whole
    settings = LinkisSettings(linkis_version="master", result_col_length_max=10)
    with scripted(tmp_path, settings) as master:
        on_master = Api(master)
        _, task = on_master.run("log ERROR bad\nlog INFO fine\nwide 11")
        whole = on_master.persisted_log(task["logPath"])
        errors = on_master.get("/filesystem/openLog", path=task["logPath"], logLevel=" Error ").json()["data"]["log"]
        assert errors == [whole[0], "", "", ""] and "bad" in whole[0]
        assert on_master.get("/filesystem/openLog", path=task["logPath"], logLevel="bogus").json()["data"]["log"] \
            == whole
        path = task["resultLocation"] + "/_0.dolphin"
        assert "fileContent" in on_master.get("/filesystem/openFile", path=path, enableLimit="yes").json()["data"]
        assert on_master.get("/filesystem/openFile", path=path, enableLimit="true").json()["data"][
            "display_prohibited"] is True


# -- result pages (§8.2) -------------------------------------------------------------------------

def test_a_row_over_20_mib_is_not_displayed(api):
    _, task = api.run("wide 21000000")
    page = api.get("/filesystem/openFile", path=task["resultLocation"] + "/_0.dolphin").json()
    assert page["status"] == 0
    assert set(page["data"]) == {"type", "display_prohibited", "zh_msg", "en_msg"}
    assert page["data"]["display_prohibited"] is True and page["data"]["type"] == "2"
    assert page["data"]["en_msg"] == (
        "There is a field value exceed 2,147,483,647 characters or col size exceed 2,147,483,647 in the result "
        "set. If you want to view it, please use the result set export function.")
    _, small = api.run("wide 1000")
    assert api.get("/filesystem/openFile", path=small["resultLocation"] + "/_0.dolphin").json()["data"][
        "fileContent"] == [["x" * 1000]]


def test_with_enable_limit_a_cell_over_the_configured_length_is_not_displayed(tmp_path):
    with scripted(tmp_path, LinkisSettings(result_col_length_max=100)) as limited:
        api = Api(limited)
        _, task = api.run("wide 101")
        path = task["resultLocation"] + "/_0.dolphin"
        assert api.get("/filesystem/openFile", path=path).json()["data"]["fileContent"] == [["x" * 101]]
        page = api.get("/filesystem/openFile", path=path, enableLimit="true").json()["data"]
        assert page["display_prohibited"] is True and "exceed 100 characters" in page["en_msg"]


def test_null_value_linkis_null_tells_sql_null_from_the_text_null(api):
    _, task = api.run("table 8")
    path = task["resultLocation"] + "/_0.dolphin"
    default = api.get("/filesystem/openFile", path=path).json()["data"]["fileContent"]
    kept = api.get("/filesystem/openFile", path=path, nullValue="LINKIS_NULL").json()["data"]["fileContent"]
    blank = api.get("/filesystem/openFile", path=path, nullValue="BLANK").json()["data"]["fileContent"]
    assert default[0][5] == "NULL" and kept[0][5] is None and kept[1][5] == "note 1"
    assert blank == default  # openFile does not pass an empty nullValue on (§8.2)


# -- the owner check (§8.1) ----------------------------------------------------------------------

def test_the_owner_check_shows_job_files_to_admins_only(tmp_path):
    with scripted(tmp_path, LinkisSettings(owner_check=True)) as checked:
        user, admin = Api(checked), Api(checked, "hadoop")
        for api in (user, admin):
            _, task = api.run("table 2\nlog INFO hello")
            api.wait(task["taskID"])
            result = task["resultLocation"] + "/_0.dolphin"
            calls = [("/filesystem/getDirFileTrees", task["resultLocation"]), ("/filesystem/openFile", result),
                     ("/filesystem/openLog", task["logPath"])]
            answers = [api.get(endpoint, path=path) for endpoint, path in calls]
            export = api.get("/filesystem/resultsetToExcel", path=result)
            if api is admin:
                assert [answer.json()["status"] for answer in answers] == [0, 0, 0]
                assert export.text.startswith("id,name")
                continue
            for answer, (_, path) in zip(answers, calls):
                assert answer.status_code == 400 and answer.json()["data"]["errorMsg"]["errCode"] == 80010
                assert answer.json()["message"] == (
                    f"error code(错误码): 80010, error message(错误信息): The user: {api.user} has no permission to "
                    f"view the contents of the directory:{path}(该用户:{api.user}无权限查看该目录:{path}的内容).")
            assert export.status_code == 200 and export.text.startswith("error(错误):errCode: 80010 ,desc: The user")
        # The user's own workspace passes the check (then this file simply does not exist).
        workspace = checked.data_dir / "users" / user.user / "work" / "_0.dolphin"
        missing = user.get("/filesystem/openFile", path=str(workspace)).json()
        assert missing["data"]["errorMsg"]["errCode"] == 80013


# -- login encryption (§2.1) ---------------------------------------------------------------------

def test_login_encryption_wants_rsa_and_calls_a_plain_password_blank(tmp_path, api):
    off = api.get("/user/publicKey").json()
    assert (off["message"], off["data"]) == ("Gain success(获取成功)！", {"enableSSL": False,
                                                                         "enableLoginEncrypt": False})
    with scripted(tmp_path, LinkisSettings(login_encrypt=True)) as encrypted:
        raw = Api(encrypted, token=False)
        key = raw.get("/user/publicKey").json()["data"]
        assert key["enableLoginEncrypt"] is True and isinstance(key["debugTime"], int)
        password, _ = encrypted.credentials(raw.user)
        plain = raw.post("/user/login", {"userName": raw.user, "password": password})
        assert plain.status_code == 400 and plain.json()["message"] == "Password can not be blank(密码不能为空)！"
        public = load_der_public_key(base64.b64decode(key["publicKey"]))
        secret = base64.b64encode(public.encrypt(password.encode(), padding.PKCS1v15())).decode()
        logged_in = raw.post("/user/login", {"userName": raw.user, "password": secret}).json()
        assert logged_in["status"] == 0 and logged_in["data"]["userName"] == raw.user


# -- the heartbeat creators (§4.3) ---------------------------------------------------------------

def test_jobs_of_heartbeat_creators_die_without_status_calls(tmp_path):
    settings = LinkisSettings(heartbeat_seconds=1.0, heartbeat_scan_seconds=0.2)
    with scripted(tmp_path, settings) as watched:
        api = Api(watched)
        silent = api.submit("sleep", creator="LINKISCLI")
        polled = api.submit("sleep", creator="BdpClient")
        unwatched = api.submit("sleep", creator="LINKISMAGIC")
        deadline = time.monotonic() + 3.0
        while time.monotonic() < deadline:  # the status call is the heartbeat
            assert api.get(f"/entrance/{polled['execID']}/status").json()["data"]["status"] == "Running"
            time.sleep(0.3)
        lost = api.task(silent["taskID"])
        assert (lost["status"], lost["errDesc"]) == ("Cancelled", "Job is killed because of client-server "
                                                                  "connection lost")
        assert "Job is killed because of client-server connection lost" in api.entrance_log(silent["execID"])[0]
        for alive in (polled, unwatched):
            assert api.task(alive["taskID"])["status"] == "Running"
            api.get(f"/entrance/{alive['execID']}/kill", taskID=alive["taskID"])


# -- types and cells (§8.2), through the real SQL engine ----------------------------------------

def test_types_and_cells_are_what_linkis_hands_out(local_linkis):
    api = Api(local_linkis)
    code = ("SELECT 1.25::DECIMAL(10,2) money, 7::TINYINT tiny, 3::SMALLINT small, 1e20::DOUBLE big, "
            "'infinity'::DOUBLE inf, 2.0::DOUBLE two, 1.5::FLOAT f, 1e10::FLOAT fbig, NULL::VARCHAR nothing, "
            "'NULL' text_null, TIMESTAMP '2024-01-02 03:04:05.120' ts")
    _, task = api.run(code)
    path = task["resultLocation"] + "/_0.dolphin"
    page = api.get("/filesystem/openFile", path=path, nullValue="LINKIS_NULL").json()["data"]
    assert [column["dataType"] for column in page["metadata"]] == [
        "decimal", "string", "int", "double", "double", "double", "float", "float", "string", "string", "timestamp"]
    assert page["fileContent"] == [["1.25", "7", "3", "100000000000000000000", "∞", "2", "1.5", "1.0E10", None,
                                    "NULL", "2024-01-02 03:04:05.12"]]


# -- a lost history update (fault, §4.3) ---------------------------------------------------------

def test_a_lost_history_update_leaves_history_running_while_the_entrance_knows_the_end(api, faults):
    rule = faults.lose_history_updates()
    data = api.submit("text done")
    wait_for(lambda: api.get(f"/entrance/{data['execID']}/status").json()["data"]["status"] == "Succeed")
    time.sleep(0.5)
    assert rule.fired == 1 and api.task(data["taskID"])["status"] == "Running"


# -- bad settings ---------------------------------------------------------------------------------

@pytest.mark.parametrize("version", ["1.7.0", "latest", ""])
def test_an_unknown_linkis_version_is_refused_in_one_line(version, capsys):
    with pytest.raises(SettingsError, match=r"^unknown linkis_version .*; the embedded gateway imitates 1\.8\.0 "
                                            r"or master$"):
        LocalLinkis(settings=LinkisSettings(linkis_version=version))
    with pytest.raises(SystemExit) as exit_info:
        build_parser().parse_args(["local", "--linkis-version", version])
    assert exit_info.value.code == 2
    assert re.search(r"argument --linkis-version: invalid choice: '.*' \(choose from '?1\.8\.0'?, '?master'?\)",
                     capsys.readouterr().err)
