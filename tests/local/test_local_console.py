"""Linkis's own web console (linkis-web 1.8.0) against the embedded gateway: each test replays the
calls a console page makes, in its order and with its parameters, and checks every answer field by
field against the shapes in the Linkis source (docs/protocol.md §15.7).

The calls are those of ``linkis-web/src``: the login page (``dss/view/login/index.vue``), the
console frame and footer on every visit (``apps/linkis/view/linkis/index.vue``,
``dss/module/footer/index.vue``), Global History (``globalHistoryManagement/index.vue``), viewing a
job (``viewHistory.vue``) and downloading a result (``consoleComponent/toolbar.vue``).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import datetime, timedelta

import openpyxl
import pytest
import requests

from linkis_magic.local.console import ERROR_MSG_TIP, OAUTH_OFF
from linkis_magic.local.server import LocalLinkis
from linkis_magic.protocol import API_PREFIX, HTTP_STATUS, MessageStatus
from tests.local.gateway_api import QUERY_TASK_VO, Api

#: ``DirFileTree``'s keys (linkis-pes-publicservice ``filesystem/entity/DirFileTree.java``).
DIR_FILE_TREE = {"name", "path", "properties", "children", "isLeaf", "parentPath"}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class Console:
    """One browser tab of the console: a cookie session and the console's way of calling."""

    def __init__(self, gateway: LocalLinkis) -> None:
        self.gateway = gateway
        self.base = gateway.url + API_PREFIX
        self.session = requests.Session()
        self.session.headers.update({"Content-Type": "application/json;charset=UTF-8", "Content-language": "en"})

    def call(self, endpoint: str, params: dict | None = None, body: dict | None = None,
             status: MessageStatus = MessageStatus.SUCCESS) -> dict:
        """One API call (``api.fetch``): GET with query params, or POST with a JSON body. Returns
        the envelope after checking its keys, its status and the HTTP code Linkis derives from it."""
        method = "GET" if body is None else "POST"
        response = self.session.request(method, self.base + endpoint, params=params, json=body, timeout=30)
        envelope = response.json()
        assert set(envelope) == {"method", "status", "message", "data"}, (endpoint, envelope)
        assert (envelope["status"], response.status_code) == (int(status), HTTP_STATUS[status]), (endpoint, envelope)
        return envelope

    def download(self, query: str) -> requests.Response:
        """A download: the console builds the URL by hand (``path`` unencoded) and clicks a link."""
        assert self.call("/user/heartbeat")["message"] == "Maintain heartbeat success(维系心跳成功)"
        response = self.session.get(f"{self.base}/filesystem/{query}", timeout=30)
        assert response.status_code == 200
        return response

    def log_in(self) -> dict:
        """The login page's calls, then the console frame's and the footer's."""
        key = self.call("/user/publicKey")
        assert key == {"method": None, "status": 0, "message": "Gain success(获取成功)！",
                       "data": {"enableSSL": False, "enableLoginEncrypt": False}}  # no publicKey with encryption off
        oauth = self.call("/user/oauth-redirect", status=MessageStatus.NOT_LOGGED_IN)
        assert oauth == {"method": f"{API_PREFIX}/user/oauth-redirect", "status": -1, "message": OAUTH_OFF, "data": {}}
        login = self.call("/user/login", body={"userName": self.gateway.user, "password": self.gateway.password})
        assert login["message"] == "login successful(登录成功)！"
        assert login["data"] == {"userName": self.gateway.user, "isAdmin": False, "sessionTimeOut": 3600000,
                                 "enableWatermark": True}
        return self.visit()

    def visit(self) -> dict:
        """What the console frame and the footer ask on every visit; returns the admin flags."""
        flags = self.call("/jobhistory/governanceStationAdmin")
        assert flags["method"] == "/api/jobhistory/governanceStationAdmin" and flags["message"] == "OK"
        info = self.call("/user/baseinfo")["data"]
        assert info == {"resultSetExportEnable": True, "linkisClusterName": "local", "engineLogOnlyAdminEnable": False}
        undone = self.call("/jobhistory/listundonetasks", {"pageSize": 100, "status": "Running,Inited,Scheduled"})
        assert isinstance(undone["data"]["tasks"], list) and isinstance(undone["data"]["totalPage"], int)
        return flags["data"]

    def global_history(self) -> list[dict]:
        """Global History's first load: admin flags, engine types, then today's jobs."""
        self.call("/jobhistory/governanceStationAdmin")
        engine_types = self.call("/configuration/engineType")
        assert engine_types["method"] == "/api/configuration/engineType"
        assert engine_types["data"] == {"engineType": sorted(self.gateway.gateway.supported, key=list(
            self.gateway.gateway.supported).index)}
        today = datetime.now().replace(hour=0, minute=0, second=0, microsecond=0)
        listing = self.call("/jobhistory/list", {
            "creator": "", "status": "", "startDate": int(today.timestamp() * 1000),
            "endDate": int((today + timedelta(hours=23, minutes=59, seconds=59)).timestamp() * 1000),
            "pageNow": 1, "pageSize": 50, "isAdminView": "false", "instance": ""})
        assert listing["method"] == "/api/jobhistory/list"
        tasks = listing["data"]["tasks"]
        assert listing["data"]["totalPage"] >= len(tasks)  # the row count, whatever its name
        for task in tasks:
            assert set(task) == QUERY_TASK_VO
            assert isinstance(task["createdTime"], int) and isinstance(task["progress"], str)
        return tasks

    def view(self, row: dict) -> dict:
        """View on a Global History row: the engine-conn history first (the job view goes no further
        unless it answers), the task, its log from the file, and the first result set."""
        now = datetime.now()
        if row["engineInstance"]:
            engines = self.call("/linkisManager/ecinfo/ecrHistoryList", {
                "instance": row["engineInstance"],
                "startDate": (now - timedelta(days=90)).strftime("%Y-%m-%d %H:%M:%S"),
                "endDate": now.strftime("%Y-%m-%d %H:%M:%S")})
            assert engines["method"] == "/api/linkisManager/ecinfo/ecrHistoryList"
            assert engines["data"] == {"engineList": [], "totalPage": 0}  # no engine log tab
        task = self.call(f"/jobhistory/{row['taskID']}/get")["data"]["task"]
        assert set(task) == QUERY_TASK_VO and task["logPath"]  # an empty logPath: the spinner never stops
        log = self.call("/filesystem/openLog", {"path": task["logPath"]})["data"]["log"]
        assert isinstance(log, list) and len(log) == 4 and all(isinstance(part, str) for part in log)
        shown: dict = {"task": task, "log": log, "result": None}
        if task["resultLocation"]:
            tree = self.call("/filesystem/getDirFileTrees", {"path": task["resultLocation"]})["data"]["dirFileTrees"]
            if tree is not None:
                assert set(tree) == DIR_FILE_TREE and tree["children"]  # no children: the spinner never stops
                for child in tree["children"]:
                    assert set(child) == DIR_FILE_TREE and child["isLeaf"] and set(child["properties"]) == {
                        "size", "modifytime"}
                    int(child["name"].split("_")[1].split(".")[0])  # the console sorts by this number
                first = sorted(tree["children"], key=lambda c: int(c["name"].split("_")[1].split(".")[0]))[0]
                page = self.call("/filesystem/openFile", {"path": first["path"], "page": 1, "pageSize": 5000})
                shown["result"] = page["data"]
                shown["result_paths"] = [child["path"] for child in tree["children"]]
        return shown


@pytest.fixture
def console(scripted_linkis: LocalLinkis) -> Iterator[Console]:
    tab = Console(scripted_linkis)
    yield tab
    tab.session.close()


@pytest.fixture(scope="module")
def jobs(scripted_linkis: LocalLinkis) -> dict[str, dict]:
    """A job that succeeded with two result sets and one that failed, run by the console's user."""
    api = Api(scripted_linkis)
    _, succeeded = api.run("log INFO reading\ntable 4\ntable 2")
    _, failed = api.run("log WARN about to fail\nfail no such table: orders")
    for task in (succeeded, failed):  # the log file is written after history shows the end (§4.4.1)
        api.persisted_log(task["logPath"])
    return {"succeeded": succeeded, "failed": failed}


def row_of(tasks: list[dict], task: dict) -> dict:
    return next(row for row in tasks if row["taskID"] == task["taskID"])


def test_before_login_every_console_call_sends_the_browser_to_the_login_page(console: Console):
    for endpoint in ("/jobhistory/governanceStationAdmin", "/jobhistory/listundonetasks", "/configuration/engineType",
                     "/jobhistory/list", "/user/heartbeat"):
        refused = console.call(endpoint, status=MessageStatus.NOT_LOGGED_IN)  # status -1: location.hash = #/login
        assert refused["message"].startswith("You are not logged in")
    assert console.call("/user/baseinfo")["message"] == "get baseinfo success(获取成功)！"  # needs no login


def test_the_login_page_logs_in_and_the_console_frame_loads(console: Console):
    flags = console.log_in()
    assert flags == {"admin": False, "historyAdmin": False, "deptAdmin": False, "errorMsgTip": ERROR_MSG_TIP}
    # The header's user menu: Logout (a POST with body {}), and the console is the login page's again.
    assert console.call("/user/logout", body={})["message"] == "Logout successful(退出登录成功)！"
    console.call("/jobhistory/governanceStationAdmin", status=MessageStatus.NOT_LOGGED_IN)


def test_global_history_lists_todays_jobs(console: Console, jobs: dict):
    console.log_in()
    tasks = console.global_history()
    succeeded, failed = row_of(tasks, jobs["succeeded"]), row_of(tasks, jobs["failed"])
    assert succeeded["status"] == "Succeed" and failed["status"] == "Failed"
    assert failed["errDesc"] and "no such table: orders" in failed["errDesc"]
    assert succeeded["executionCode"].startswith("log INFO reading")  # the list shows the code
    assert succeeded["sourceTailor"] is None or isinstance(succeeded["sourceTailor"], str)


def test_viewing_a_job_that_succeeded_shows_its_log_and_result(console: Console, jobs: dict):
    console.log_in()
    shown = console.view(row_of(console.global_history(), jobs["succeeded"]))
    error, warn, info, everything = shown["log"]
    assert "reading" in info and "reading" in everything and not error
    result = shown["result"]
    assert result["type"] == "2" and result["totalLine"] == 4 and result["page"] == 1
    assert [column["columnName"] for column in result["metadata"]] == ["id", "name", "score", "flag", "day", "note"]
    assert result["fileContent"][1] == ["1", "name-1", "0.25", "false", "2024-01-02", "note 1"]
    assert len(shown["result_paths"]) == 2


def test_viewing_a_job_that_failed_shows_its_error_and_no_result(console: Console, jobs: dict):
    console.log_in()
    shown = console.view(row_of(console.global_history(), jobs["failed"]))
    error, warn, _info, _everything = shown["log"]
    assert "no such table: orders" in error and "about to fail" in warn
    assert shown["result"] is None  # dirFileTrees null: an empty result tab, no spinner


def test_a_running_job_is_in_the_footer_and_the_history_stop_button_kills_it(console: Console,
                                                                            scripted_linkis: LocalLinkis):
    console.log_in()
    api = Api(scripted_linkis)
    running = api.submit("sleep")
    api.wait(running["taskID"], {"Running"})
    undone = console.call("/jobhistory/listundonetasks", {"pageSize": 100, "status": "Running,Inited,Scheduled"})
    row = row_of(undone["data"]["tasks"], {"taskID": running["taskID"]})
    assert set(row) == QUERY_TASK_VO and row["status"] == "Running"
    stopped = console.call(f"/entrance/{row['strongerExecId']}/killJobs",
                           body={"idList": [row["strongerExecId"]], "taskIDList": [row["taskID"]]})
    assert [message["status"] for message in stopped["data"]["messages"]] == [0]
    assert api.wait(running["taskID"])["status"] == "Cancelled"
    undone = console.call("/jobhistory/listundonetasks", {"pageSize": 100})["data"]["tasks"]  # default statuses
    assert all(task["taskID"] != row["taskID"] for task in undone)


def test_downloads_as_csv_and_as_xlsx(console: Console, jobs: dict):
    console.log_in()
    shown = console.view(row_of(console.global_history(), jobs["succeeded"]))
    path = sorted(shown["result_paths"])[0]
    directory = path.rsplit("/", 1)[0]
    as_csv = console.download(f"resultsetToExcel?charset=utf-8&outputFileType=csv&nullValue=NULL&csvSeparator=%2C"
                              f"&path={path}&outputFileName=Result__12061530")
    assert as_csv.headers["content-disposition"] == "attachment;filename=Result__12061530.csv"
    rows = list(csv.reader(io.StringIO(as_csv.text)))
    assert rows[0] == ["id", "name", "score", "flag", "day", "note"] and len(rows) == 1 + 4
    assert rows[1] == ["0", "name-0", "0", "true", "2024-01-01", "NULL"]
    as_xlsx = console.download(f"resultsetToExcel?charset=utf-8&outputFileType=xlsx&nullValue=BLANK&autoFormat=false"
                               f"&path={path}&outputFileName=Result__12061530")
    assert as_xlsx.headers["content-type"] == XLSX
    sheet = openpyxl.load_workbook(io.BytesIO(as_xlsx.content))["result"]
    assert [cell.value for cell in sheet[2]] == ["0", "name-0", "0", "true", "2024-01-01", ""]
    every = console.download(f"resultsetsToExcel?charset=utf-8&outputFileType=xlsx&nullValue=NULL&autoFormat=true"
                             f"&path={directory}&outputFileName=Result__12061530")
    book = openpyxl.load_workbook(io.BytesIO(every.content))
    assert book.sheetnames == ["resultset0", "resultset1"]
    assert [book[name].max_row for name in book.sheetnames] == [1 + 4, 1 + 2]
    assert book["resultset0"]["A3"].value == 1  # autoFormat: an int column holds numbers


@pytest.mark.parametrize("endpoint, body, service", [
    ("/linkisManager/rm/userresources", {}, "linkis-cg-linkismanager"),  # resource management
    ("/udf/all", {}, "linkis-ps-publicservice"),  # UDF management
    ("/variable/listGlobalVariable", None, "linkis-ps-publicservice"),  # global variables
    ("/microservice/allInstance", None, "linkis-ps-publicservice"),  # microservice management
])
def test_pages_of_services_it_does_not_run_get_linkis_answer_for_a_service_with_no_instance(
        console: Console, endpoint: str, body: dict | None, service: str):
    console.log_in()
    response = console.session.request("GET" if body is None else "POST", console.base + endpoint, json=body,
                                       timeout=30)
    assert response.status_code == 200  # Linkis's gateway writes this error without an HTTP status
    answer = response.json()
    assert answer["status"] == 1 and answer["method"] == API_PREFIX + endpoint and answer["data"] == {"data": None}
    assert answer["message"].startswith(f"NoApplicationExistsException: errCode: 10050 ,desc: Application {service} "
                                        f"does not exist any instances(应用程序 {service} 不存在任何实例)")


def test_a_missing_endpoint_of_a_service_it_runs_is_springs_404(console: Console):
    console.log_in()
    response = console.session.get(console.base + "/jobhistory/no-such-endpoint", timeout=30)
    assert response.status_code == 404
    body = response.json()
    assert body["error"] == "Not Found" and body["path"] == f"{API_PREFIX}/jobhistory/no-such-endpoint"
