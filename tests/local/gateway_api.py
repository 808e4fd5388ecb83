"""Raw HTTP to a local gateway for the gateway tests (requests, token headers, polling helpers)."""

from __future__ import annotations

import time
from typing import Any

import requests

from linkis_magic.local.server import LocalLinkis
from linkis_magic.protocol import API_PREFIX, TOKEN_CODE_HEADER, TOKEN_USER_HEADER, JobStatus

WAIT_LIMIT = 30.0


#: ``QueryTaskVO``'s keys (linkis-jobhistory ``entity/QueryTaskVO.java``, 1.8.0).
QUERY_TASK_VO = {
    "taskID", "instance", "execId", "umUser", "executeUser", "engineInstance", "executionCode", "progress",
    "logPath", "resultLocation", "status", "createdTime", "updatedTime", "engineType", "errCode", "errDesc",
    "executeApplicationName", "requestApplicationName", "runType", "paramsJson", "costTime", "strongerExecId",
    "sourceJson", "sourceTailor", "engineStartTime", "labels", "canRetry", "observeInfo", "isReuse",
    "requestStartTime", "requestEndTime", "requestSpendTime", "metrics", "subJobs",
}

class Api:
    """Raw HTTP to one gateway as one user (token headers unless ``token`` is None)."""

    def __init__(self, gateway: LocalLinkis, user: str | None = None, token: bool = True) -> None:
        self.gateway = gateway
        self.user = user or gateway.user
        self.session = requests.Session()
        if token:
            _, code = gateway.credentials(self.user)
            self.session.headers.update({TOKEN_USER_HEADER: self.user, TOKEN_CODE_HEADER: code})

    def url(self, endpoint: str) -> str:
        return self.gateway.url + API_PREFIX + endpoint

    def get(self, endpoint: str, **params: Any) -> requests.Response:
        return self.session.get(self.url(endpoint), params=params, timeout=30)

    def post(self, endpoint: str, body: Any = None, **params: Any) -> requests.Response:
        return self.session.post(self.url(endpoint), json=body, params=params, timeout=30)

    def submit(self, code: str, engine: str = "hive-3.1.3", run_type: str = "hql", creator: str = "LINKISMAGIC",
               **extra: Any) -> dict:
        """Submit and return ``data`` ({execID, taskID}); fails the test on refusal."""
        body = {"executionContent": {"code": code, "runType": run_type},
                "labels": {"engineType": engine, "userCreator": f"{self.user}-{creator}"}, **extra}
        response = self.post("/entrance/submit", body)
        assert response.status_code == 200, response.text
        return response.json()["data"]

    def task(self, task_id: int) -> dict:
        response = self.get(f"/jobhistory/{task_id}/get")
        assert response.status_code == 200, response.text
        return response.json()["data"]["task"]

    def code_of(self, task_id: int) -> str:
        """The job's code as history keeps it: only ``/jobhistory/list`` sends it (§7.1)."""
        tasks = self.get("/jobhistory/list", taskID=task_id).json()["data"]["tasks"]
        return tasks[0]["executionCode"]

    def wait(self, task_id: int, until: set[str] | None = None) -> dict:
        """Poll jobhistory until the task reaches one of ``until`` (default: any terminal state)."""
        until = until or {status.value for status in JobStatus if status.is_terminal}
        deadline = time.monotonic() + WAIT_LIMIT
        while True:
            task = self.task(task_id)
            if task["status"] in until:
                return task
            assert time.monotonic() < deadline, f"task {task_id} stuck in {task['status']}"
            time.sleep(0.02)

    def entrance_log(self, exec_id: str, from_line: int = 1) -> list[str]:
        """The entrance's ``[ERROR, WARN, INFO, ALL]`` from ``from_line`` on: how a client reads a
        job's log while the entrance holds it (the file is written late, §4.4.1)."""
        response = self.get(f"/entrance/{exec_id}/log", fromLine=from_line, size=-1)
        assert response.status_code == 200, response.text
        return response.json()["data"]["log"]

    def persisted_log(self, log_path: str) -> list[str]:
        """``openLog``'s array once the entrance has closed the job and the file holds the closing
        line; before that the file is empty or partial (§4.4.1)."""
        deadline = time.monotonic() + WAIT_LIMIT
        while True:
            log = self.get("/filesystem/openLog", path=log_path).json()["data"]["log"]
            if "Your job completed with" in log[3]:
                return log
            assert time.monotonic() < deadline, f"{log_path} never got its closing line"
            time.sleep(0.05)

    def run(self, code: str, **submit: Any) -> tuple[dict, dict]:
        """Submit, wait, return (submit data, final task)."""
        data = self.submit(code, **submit)
        return data, self.wait(data["taskID"])
