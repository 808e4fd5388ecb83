"""The local gateway's routes: ``/user``, ``/entrance``, ``/jobhistory`` and ``/filesystem`` as a job
client uses them, and :func:`build_app`, the Starlette application with every route.

Each handler is ``handler(request, user)`` wrapped by :meth:`Gateway.endpoint` (:mod:`.gateway`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response, StreamingResponse
from starlette.routing import Route

from linkis_magic.local import export, results
from linkis_magic.local.console import ConsoleRoutes, unserved
from linkis_magic.local.datasource import DatasourceRoutes
from linkis_magic.local.entrance import timeout_labels
from linkis_magic.local.gateway import (
    ENTRANCE_SERVICE,
    Gateway,
    GatewayError,
    api_method,
    envelope,
    envelope_with_raw,
    exception_message,
    int_param,
    read_json,
    task_number,
)
from linkis_magic.local.history import JobRequest, now_ms, task_vo
from linkis_magic.local.logs import DEFAULT_LOG_SIZE, openlog_array, to_array
from linkis_magic.local.manager import ManagerRoutes
from linkis_magic.local.variables import VariableError, substitute
from linkis_magic.protocol import (
    API_PREFIX,
    DEFAULT_VERSIONS,
    HTTP_STATUS,
    RESULT_TABLE,
    SESSION_COOKIE,
    JobStatus,
    MessageStatus,
)

#: What ``listundonetasks`` lists when the request names no status.
UNDONE = ("Running", "Inited", "Scheduled")
DAY_MS = 24 * 3600 * 1000
#: A /filesystem call without a path (80004, WorkspaceExceptionManager).
PATH_EMPTY = (80004, "The path:null is empty(路径:null 为空)!")
#: The creator Linkis assumes when a request names none (§4.1).
ABSENT_CREATOR = "IDE"
#: The most code one job may carry. Linkis itself sets no documented bound, but every gateway has
#: one (request size, the history column); this one refuses with a message that names it.
MAX_CODE_BYTES = 4 * 1024 * 1024

STATUS_LOOKUP_FAILED = ("Get job by ID error and cannot obtain the corresponding task status."
                        "(获取job时发生异常，不能获取相应的任务状态)")
KILL_LOOKUP_FAILED = "Get job by ID error, kill failed.(获取job时发生异常，kill失败)"
PROGRESS_NOT_FOUND = ("The job corresponding to the ID is empty, and the corresponding task progress cannot be "
                      "obtained.(ID 对应的job为空，不能获取对应的任务进度)")
TASK_NOT_FOUND = ("The corresponding job was not found, or there may be no permission to view the job"
                  "(没有找到对应的job，也可能是没有查看该job的权限)")
KILLED = "Successfully killed the job(成功kill了job)"
KILL_FAILED = "An exception occurred while killing the job, kill failed(kill job的时候出现了异常，kill失败) with error:"
#: ``data.stack`` of that refusal (``Message.error(msg, t)`` adds the throwable's stack trace).
KILL_REFUSED_STACK = (
    "org.apache.linkis.entrance.exception.QueryFailedException: errCode: 20011 ,desc: Request jobHistory failed\n"
    "\tat org.apache.linkis.entrance.persistence.QueryPersistenceEngine.sendToJobHistoryAndRetry"
    "(QueryPersistenceEngine.java:110)\n"
    "\tat org.apache.linkis.entrance.persistence.QueryPersistenceEngine.updateIfNeeded"
    "(QueryPersistenceEngine.java:140)\n"
    "\tat org.apache.linkis.entrance.restful.EntranceRestfulApi.kill(EntranceRestfulApi.java:926)\n")


def check_code_size(code: str) -> None:
    """Refuse code that is not UTF-8 text (lone surrogates from a bad decode) or over the limit."""
    try:
        size = len(code.encode("utf-8"))
    except UnicodeEncodeError as error:
        raise GatewayError(f"The param executionCode is not valid UTF-8 text (character {error.object[error.start]!r} "
                           f"at position {error.start})", err_code=20007) from None
    if size > MAX_CODE_BYTES:
        raise GatewayError(f"The param executionCode is {size / 2**20:.1f} MiB; this gateway accepts at most "
                           f"{MAX_CODE_BYTES // 2**20} MiB of code per job", err_code=20007)


# -- /user (§2) ----------------------------------------------------------------------------

class UserRoutes:
    """The gateway's ``/user/*`` restful."""

    def __init__(self, gateway: Gateway) -> None:
        self.gateway = gateway

    async def login(self, request: Request, user: str | None) -> Response:
        if user is not None:
            return envelope(None, {"userName": user}, f"{user} already logged in, please log out before signing "
                                                      "in(已经登录，请先退出再进行登录)！")
        body = await read_json(request) if request.method == "POST" else {}
        name = str(body.get("userName") or request.query_params.get("userName") or "").strip()
        password = str(body.get("password") or body.get("passwdEncrypt") or request.query_params.get("password")
                       or request.query_params.get("passwdEncrypt") or "")
        if not name:
            raise GatewayError("Username can not be empty(用户名不能为空)！")
        key = self.gateway.auth.key
        if password and key is not None:
            # A password that does not decrypt becomes null, and Linkis then calls it blank (§2.1).
            password = key.decrypt(password) or ""
        if not password:
            raise GatewayError("Password can not be blank(密码不能为空)！")
        if not self.gateway.auth.check_password(name, password):
            raise GatewayError("wrong user name or password(用户名或密码错误)！")
        return self._session_response(name.lower(), {"sessionTimeOut": round(self.gateway.auth.session_timeout * 1000),
                                                          "enableWatermark": True})

    def _session_response(self, user: str, extra: dict) -> Response:
        admin = self.gateway.settings.is_admin(user)
        response = envelope(None, {"userName": user, "isAdmin": admin, **extra}, "login successful(登录成功)！")
        response.set_cookie(SESSION_COOKIE, self.gateway.auth.open_session(user), path="/", httponly=True)
        return response

    async def token_login(self, request: Request, user: str | None) -> Response:
        if request.method != "POST":
            raise GatewayError("Only support method POST")
        return self._session_response(user, {})

    async def logout(self, request: Request, user: str | None) -> Response:
        self.gateway.auth.close_session(request.cookies.get(SESSION_COOKIE))
        response = envelope(None, {}, "Logout successful(退出登录成功)！")
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response

    async def public_key(self, request: Request, user: str | None) -> Response:
        """Whether logins are encrypted, and the key to encrypt with when they are (§2.1)."""
        data: dict[str, Any] = {"enableSSL": False}
        key = self.gateway.auth.key
        if key is not None:
            data.update(debugTime=now_ms(), publicKey=key.public_key())
        data["enableLoginEncrypt"] = key is not None
        return envelope(None, data, "Gain success(获取成功)！")

    async def heartbeat(self, request: Request, user: str) -> Response:
        return envelope(None, {}, "Maintain heartbeat success(维系心跳成功)")

    async def user_info(self, request: Request, user: str) -> Response:
        return envelope(None, {"userName": user}, "get user information succeed!")

    async def base_info(self, request: Request, user: str | None) -> Response:
        return envelope(None, {"resultSetExportEnable": True, "linkisClusterName": "local",
                               "engineLogOnlyAdminEnable": False}, "get baseinfo success(获取成功)！")

    async def unknown(self, request: Request, user: str | None) -> Response:
        raise GatewayError(f"unknown request URI {request.url.path}")


# -- /entrance (§4) ------------------------------------------------------------------------

class EntranceRoutes:
    """Submission and the per-execID job endpoints."""

    def __init__(self, gateway: Gateway) -> None:
        self.gateway = gateway
        self.entrance = gateway.entrance

    async def submit(self, request: Request, user: str) -> Response:
        body = await read_json(request)
        if "executionContent" not in body:
            return await self.execute(request, user, body)
        content = body.get("executionContent") or {}
        labels = dict(body.get("labels") or {})
        if not labels:
            raise GatewayError("params cannot be empty labels is null", err_code=20008)
        if not labels.get("engineType"):
            raise GatewayError(self._engine_type_required(), err_code=20009)
        run_type = content.get("runType") or labels.get("codeType")
        if not run_type:
            raise GatewayError("Label params invalid You need to specify runType in execution content, such as sql",
                               err_code=20009)
        if "code" not in content:
            raise GatewayError("The param executionCode cannot be empty", err_code=20010)
        job_request = self._job_request(user, str(labels["engineType"]), str(run_type), content.get("code"),
                                        body, labels)
        return await self._accept(request, job_request)

    async def execute(self, request: Request, user: str, body: dict | None = None) -> Response:
        """The 0.x format (§4.2); ``submit`` without ``executionContent`` lands here too."""
        body = await read_json(request) if body is None else body
        engine = str(body.get("executeApplicationName") or "")
        if not engine:
            raise GatewayError(self._engine_type_required(), err_code=20009)
        if "-" not in engine:
            engine = f"{engine}-{DEFAULT_VERSIONS.get(engine.lower(), '1')}"
        labels = {**dict(body.get("labels") or {}), "engineType": engine,
                  "userCreator": f"{user}-{body.get('requestApplicationName') or ABSENT_CREATOR}"}
        code = body.get("executionCode")
        if code is None or not str(code).strip():
            raise GatewayError("The param executionCode and scriptPath cannot be empty at the same time",
                               err_code=20007)
        job_request = self._job_request(user, engine, str(body.get("runType") or "sql"), code, body, labels)
        return await self._accept(request, job_request)

    def _engine_type_required(self) -> str:
        return ("Label params invalid You need to specify engineTypeLabel in labels,"
                f"such as spark-{DEFAULT_VERSIONS['spark']}")

    def _job_request(self, user: str, engine_label: str, run_type: str, code: Any, body: dict,
                     labels: dict) -> JobRequest:
        """Validate what both submit formats share before the job exists (§4.1, Linkis's parser).

        The code size is checked here too: it stands for the gateway's request limit, which a
        real gateway applies before the entrance sees anything.
        """
        if code is None or not str(code).strip():
            raise GatewayError("The param executionCode cannot be empty", err_code=20007)
        check_code_size(str(code))
        user_creator = str(labels.get("userCreator") or f"{user}-{ABSENT_CREATOR}")
        creator = self._creator(user_creator)
        engine = engine_label.split("-", 1)[0].lower()
        self._check_engine(engine, run_type)
        try:
            timeout_labels(labels)
        except ValueError as error:
            raise GatewayError(f"Label params invalid {error}", err_code=20009) from None
        params = dict(body.get("params") or {})
        configuration = dict(params.get("configuration") or {})
        configuration["runtime"] = {**dict(configuration.get("runtime") or {}), "submitUser": user,
                                    "executeUser": user}
        params["configuration"] = configuration
        source = {**dict(body.get("source") or {}), "requestIP": "127.0.0.1"}
        labels = {**labels, "engineType": engine_label, "userCreator": user_creator, "codeType": run_type}
        return JobRequest(user=user, creator=creator, engine=engine, engine_label=engine_label, run_type=run_type,
                          code=str(code), params=params, source=source, labels=labels)

    @staticmethod
    def _creator(user_creator: str) -> str:
        parts = user_creator.split("-")
        if len(parts) != 2 or not all(parts):
            raise GatewayError(f"Label params invalid userCreator {user_creator} must be <user>-<creator>, "
                               "neither part may contain '-'", err_code=20009)
        return parts[1]

    @staticmethod
    def _intercept(job: JobRequest) -> JobRequest:
        """The entrance interceptors: the label's user must be the caller (LabelCheckInterceptor),
        then variables are substituted (§4.1, §10)."""
        label_user = job.labels["userCreator"].split("-")[0]
        if label_user.lower() != job.user:
            raise GatewayError(f"SubmitUser : {job.user} must be the same as ExecuteUser : {job.user} , and user : "
                               f"{label_user} in userCreatorLabel.", err_code=50080)
        variables = dict(job.params.get("variable") or {})
        try:
            code = substitute(job.code, job.run_type, variables, job.user)
        except VariableError as error:
            raise GatewayError(str(error), err_code=error.err_code) from None
        return replace(job, code=code,
                       labels={**job.labels, "userCreator": f"{job.user}-{job.creator}"})

    def _check_engine(self, engine: str, run_type: str) -> None:
        run_types = self.gateway.supported.get(engine)
        if run_types is None:
            raise GatewayError(f"Label params invalid engine {engine} is not available on the local gateway "
                               f"(available: {', '.join(sorted(self.gateway.supported))})", err_code=20009)
        if run_type.lower() not in run_types:
            raise GatewayError(f"Label params invalid runType {run_type} is not supported by engine {engine} "
                               f"(supported: {', '.join(sorted(run_types))})", err_code=20009)

    async def _accept(self, request: Request, job_request: JobRequest) -> Response:
        """Intercept, then queue the job. Linkis persists a job before its interceptors run, so a
        refusal there still leaves a Failed job in history while the call fails (§4.1)."""
        try:
            job_request = self._intercept(job_request)
        except GatewayError as error:
            await run_in_threadpool(self.entrance.record_refusal, job_request, error.err_code, error.message)
            raise
        job = await run_in_threadpool(self.entrance.submit, job_request)
        return envelope(api_method(request), {"execID": job.exec_id, "taskID": job.task_id})

    async def status(self, request: Request, user: str) -> Response:
        exec_id = request.path_params["exec_id"]
        job = self.entrance.find(exec_id, user)
        if job is not None:
            job.touch()  # the client heartbeat (§4.3)
            return envelope(api_method(request), {"status": job.status.value, "execID": exec_id})
        row = await self._history_row(request, user)
        if row is None:
            raise GatewayError(STATUS_LOOKUP_FAILED)
        return envelope(api_method(request), {"status": row["status"], "execID": exec_id})

    async def _history_row(self, request: Request, user: str) -> dict | None:
        """The ``taskID`` fallback of status and kill (§4.3, §4.6)."""
        task_id = task_number(request.query_params.get("taskID", ""))
        if task_id is None:
            return None
        return await run_in_threadpool(self.entrance.store.get, task_id, user)

    async def log(self, request: Request, user: str) -> Response:
        exec_id = request.path_params["exec_id"]
        job = self.entrance.find(exec_id, user)
        if job is None:
            raise GatewayError(f"Can't find execID(不能找到execID): {exec_id}Corresponding job, can not get the "
                               "corresponding log(对应的job，不能获得对应的日志)")
        size = int_param(request, "size", DEFAULT_LOG_SIZE)
        lines, from_line = job.task_log.read(int_param(request, "fromLine", 0), size)
        array = to_array(lines)
        distinct = request.query_params.get("distinctLevel", "true").lower() != "false"
        return envelope(api_method(request), {"log": array if distinct else array[-1], "execID": exec_id,
                                              "fromLine": from_line})

    async def progress(self, request: Request, user: str) -> Response:
        return envelope(api_method(request), self._progress(request, user))

    async def progress_with_resource(self, request: Request, user: str) -> Response:
        return envelope(api_method(request), {**self._progress(request, user), "yarnResource": None})

    def _progress(self, request: Request, user: str) -> dict:
        exec_id = request.path_params["exec_id"]
        job = self.entrance.find(exec_id, user)
        if job is None:
            raise GatewayError(PROGRESS_NOT_FOUND)
        return {"progress": job.progress, "execID": exec_id, "progressInfo": list(job.stages)}

    async def kill(self, request: Request, user: str) -> Response:
        exec_id = request.path_params["exec_id"]
        outcome = await self._kill_one(exec_id, request.query_params.get("taskID", ""), user, "1.0")
        return JSONResponse({**outcome, "method": api_method(request)},
                            status_code=HTTP_STATUS[MessageStatus(outcome["status"])])

    async def _kill_one(self, exec_id: str, task_id: str, user: str, progress: str) -> dict:
        """One kill as an envelope dict (killJobs returns a list of these, §4.6)."""
        method = f"/api/entrance/{exec_id}/kill"
        job = self.entrance.find(exec_id, user)
        if job is not None:
            recorded = await run_in_threadpool(self.entrance.kill, job, progress)
            if recorded is not None:
                return {"method": method, "status": 1, "message": self._kill_refused(job.task_id, recorded),
                        "data": {"stack": KILL_REFUSED_STACK}}
            return {"method": method, "status": 0, "message": KILLED, "data": {"execID": exec_id}}
        owner = self.entrance.holder(exec_id)
        if owner is not None:
            return {"method": method, "status": 1, "data": {},
                    "message": f"You have no permission to kill this job, excecute by user:{owner}"}
        number = task_number(task_id)
        if number is not None and await run_in_threadpool(self.entrance.force_kill, number, user):
            return {"method": method, "status": 0, "message": "Forced Kill task (强制杀死任务)", "data": {}}
        return {"method": method, "status": 1, "message": KILL_LOOKUP_FAILED, "data": {}}

    def _kill_refused(self, task_id: int, recorded: JobStatus) -> str:
        """The entrance's answer when job history refused to turn an ended job Cancelled (§4.6)."""
        port = self.gateway.port
        history = "QueryException: " + exception_message(
            120001, f"jobId:{task_id}，oldStatus(在数据库中的task状态为)：{recorded.value}, "
                    "newStatus(更新的task状态为)：Cancelled，update failed(更新失败)！", port)
        return KILL_FAILED + exception_message(
            20011, f"Request jobHistory failed,because:{history} (请求jobHistory失败)", port, ENTRANCE_SERVICE)

    async def kill_jobs(self, request: Request, user: str) -> Response:
        body = await read_json(request)
        exec_ids, task_ids = body.get("idList"), body.get("taskIDList")
        if not isinstance(exec_ids, list) or not isinstance(task_ids, list) or len(exec_ids) != len(task_ids):
            raise GatewayError("The length of the ID list does not match the length of the TASKID list"
                               "(id列表的长度与taskId列表的长度不一致)")
        # Killed jobs get the literal progress "1.0f" on this path (§4.6).
        messages = [await self._kill_one(str(exec_id), str(task_id), user, "1.0f")
                    for exec_id, task_id in zip(exec_ids, task_ids)]
        return envelope(api_method(request), {"messages": messages}, "success")

    async def pause(self, request: Request, user: str) -> Response:
        exec_id = request.path_params["exec_id"]
        if self.entrance.find(exec_id, user) is None:
            raise GatewayError(f"Can not pause the job, execID not found(不能暂停job，没有找到execID): {exec_id}")
        # Linkis's pause is an unimplemented no-op that reports success (§4.6).
        return envelope(api_method(request), {"execID": exec_id}, "success to pause job (成功pause了job)")


# -- /jobhistory (§7) ----------------------------------------------------------------------

class HistoryRoutes:
    """Job history lookups."""

    #: ``/jobhistory/list`` filters and how they select: the creator by prefix, as Linkis's
    #: ``LOCATE('"userCreator":"<user>-<creator>', labels)`` does; 1.8.0 has no runType filter (§7.2).
    _FILTERS = {"taskID": "id", "executeApplicationName": "engine", "creator": "creator_prefix"}
    #: What ``creator`` and ``executeApplicationName`` may hold (``QueryUtils.checkNameValid``).
    _NAME = re.compile(r"[a-zA-Z\-\d_.]+")

    def __init__(self, gateway: Gateway) -> None:
        self.store = gateway.entrance.store
        self.settings = gateway.settings
        self.port = gateway.port

    async def get(self, request: Request, user: str) -> Response:
        task_id = task_number(request.path_params["task_id"])  # a Long path variable (§7.1)
        row = None
        if task_id is not None:  # a waiting client's poll: answered from memory while the job is recent
            row = self.store.recent(task_id, user) or await run_in_threadpool(self.store.get, task_id, user)
        if row is None:
            raise GatewayError(TASK_NOT_FOUND)
        # brief=true exists on master only; releases ignore it (§7.1). /get never sends the code.
        brief = self.settings.honours_brief and request.query_params.get("brief", "").lower() == "true"
        return envelope(api_method(request), {"task": task_vo(row, brief=brief, master=self.settings.is_master)})

    async def list(self, request: Request, user: str) -> Response:
        query = request.query_params
        for name, label in (("creator", "creator"), ("executeApplicationName", "applicationName")):
            if query.get(name, "").strip() and not self._NAME.fullmatch(query[name]):
                raise GatewayError(exception_message(21304, f"Invalid {label} : {query[name]}", self.port))
        filters: dict[str, Any] = {}
        for name, column in self._FILTERS.items():
            if query.get(name, "").strip():
                filters[column] = int_param(request, name, 0) if name == "taskID" else query[name]
        statuses = [value for value in query.get("status", "").split(",") if value]
        if statuses:
            filters["status"] = statuses
        start = filters["created_from"] = int_param(request, "startDate", 0)
        # endDate defaults to this host's clock, as on Linkis; equal to startDate it means a day (§7.2).
        end = int_param(request, "endDate", now_ms())
        filters["created_to"] = end + DAY_MS if end == start else end
        return await self._tasks(request, user, filters)

    async def list_undone_tasks(self, request: Request, user: str) -> Response:
        """The caller's unfinished jobs of the last day, in ``/list``'s shape; never an admin view
        (``QueryRestfulApi.listundonetasks``, what the web console's footer counts, §15.7)."""
        query = request.query_params
        now = now_ms()
        filters: dict[str, Any] = {
            "status": [value for value in (query.get("status") or ",".join(UNDONE)).split(",") if value],
            "created_from": int_param(request, "startDate", 0) or now - DAY_MS,
            "created_to": int_param(request, "endDate", now),
        }
        for name, column in (("creator", "creator"), ("engineType", "engine")):
            if query.get(name):
                filters[column] = query[name]
        if query.get("startTaskID"):
            filters["id_from"] = int_param(request, "startTaskID", 0)
        return await self._tasks(request, user, filters)

    async def _tasks(self, request: Request, user: str, filters: dict[str, Any]) -> Response:
        """One page of the caller's jobs matching ``filters``: ``{tasks, totalPage}`` (the row count)."""
        page_now = int_param(request, "pageNow", 1)
        page_size = max(int_param(request, "pageSize", 20), 0)  # 0: every row (§7.2)
        rows, total = await run_in_threadpool(self.store.search, user, filters, page_now, page_size)
        tasks = [task_vo(row, code=True, master=self.settings.is_master) for row in rows]
        return envelope(api_method(request), {"tasks": tasks, "totalPage": total})


# -- /filesystem (§8) ----------------------------------------------------------------------

class FilesystemRoutes:
    """Result listing, paging, export and persisted logs, confined to the caller's directory."""

    def __init__(self, gateway: Gateway) -> None:
        self.files = results.UserFiles(gateway.entrance.user_root, gateway.settings)
        self.settings = gateway.settings
        self.port = gateway.port

    async def dir_file_trees(self, request: Request, user: str) -> Response:
        tree = await run_in_threadpool(self.files.tree, user, self._path(request))
        return envelope(api_method(request), {"dirFileTrees": tree})

    async def open_file(self, request: Request, user: str) -> Response:
        path = self._path(request)
        # Column pages (with enableLimit) are not served here, but their bounds are checked (§8.2).
        if int_param(request, "columnPage", 1) < 1 or not 1 <= int_param(request, "columnPageSize", 500) <= 500:
            raise results.FileError(80036, "Parameter error, page size is incorrect, please pass in a number within "
                                           "[1-500] (分页参数错误，页码从1开始，页大小需在[1-500]范围内，"
                                           "获取的列索引需在实际结果集列数范围内)")
        page = max(int_param(request, "page", 1), 1)
        page_size = int_param(request, "pageSize", results.OPENFILE_PAGE_SIZE)
        # enableLimit: any non-blank value on 1.8.0, "true" only on master (§8.2).
        enable = request.query_params.get("enableLimit", "").strip()
        enable_limit = enable.lower() == "true" if self.settings.is_master else bool(enable)
        data = await run_in_threadpool(self.files.open_page, user, path, page, page_size,
                                       request.query_params.get("nullValue"), enable_limit)
        if data.get("display_prohibited"):
            return envelope(api_method(request), data)
        return envelope_with_raw(api_method(request), data, "fileContent")

    async def open_log(self, request: Request, user: str) -> Response:
        lines = await run_in_threadpool(self.files.read_log, user, self._path(request))
        log = openlog_array(lines)
        if self.settings.is_master:  # logLevel exists on master only (§8.4)
            names = ("ERROR", "WARN", "INFO", "ALL")
            asked = "".join(request.query_params.get("logLevel", "").split()).upper().split(",")
            wanted = {names.index(name) for name in asked if name in names} or {3}
            if 3 not in wanted:  # only the levels asked for; not even ALL
                log = [part if index in wanted else "" for index, part in enumerate(log)]
        return envelope(api_method(request), {"log": log})

    async def export(self, request: Request, user: str) -> Response:
        """``resultsetToExcel``: one result set as csv or xlsx (§8.3). Its errors are no envelope:
        the method returns void, so Linkis writes HTTP 200 ``text/plain`` ``error(错误):<message>``."""
        query = request.query_params
        name = query.get("outputFileName") or "downloadResultset"
        null_value, limit = query.get("nullValue", "NULL"), self._limit(request)
        try:
            file_type = query.get("outputFileType", "csv")
            result = await run_in_threadpool(self.files.result, user, self._path(request))
            if file_type == "csv":
                separator = query.get("csvSeparator", ",")
                if separator == ",":  # the old spelling counts only when the new one is left at ","
                    separator = query.get("csvSeperator") or ","
                chunks = await run_in_threadpool(export.export_csv, result, separator, null_value, limit)
                return StreamingResponse(chunks, media_type="text/plain",
                                         headers={"Content-Disposition": f"attachment;filename={name}.csv"})
            if file_type != "xlsx":
                # Linkis makes the 80015 exception but does not throw it; writing to no writer
                # then fails with a NullPointerException, whose message is null.
                raise GatewayError("null")
            self._check_table(result)
            sheet = [(query.get("sheetName") or "result", result)]
            body = await run_in_threadpool(export.export_xlsx, sheet, null_value, limit, self._auto_format(request))
        except (GatewayError, results.FileError) as error:
            return self._export_failed(error)
        return Response(body, media_type=export.XLSX_CONTENT_TYPE,
                        headers={"Content-Disposition": f"attachment;filename={name}.xlsx"})

    async def export_all(self, request: Request, user: str) -> Response:
        """``resultsetsToExcel``: every result set of a job's result directory, a sheet each,
        named ``resultset0``, ``resultset1``, ... in ``_N`` order (§8.3)."""
        query = request.query_params
        name = query.get("outputFileName") or "downloadResultset"
        try:
            found = await run_in_threadpool(self.files.results_in, user, self._path(request))
            for result in found:
                self._check_table(result)
            sheets = [(f"resultset{number}", result) for number, result in enumerate(found)]
            body = await run_in_threadpool(export.export_xlsx, sheets, query.get("nullValue", "NULL"),
                                           self._limit(request), self._auto_format(request))
        except (GatewayError, results.FileError) as error:
            return self._export_failed(error)
        return Response(body, media_type=export.XLSX_CONTENT_TYPE,
                        headers={"Content-Disposition": f"attachment;filename={name}.xlsx"})

    async def user_root_path(self, request: Request, user: str) -> Response:
        """``getUserRootPath``: the caller's workspace root. This gateway has no HDFS, so
        ``pathType=hdfs`` gets the same local workspace under the key Linkis uses for HDFS."""
        root = await run_in_threadpool(self.files.workspace, user)
        key = {"hdfs": "userHDFSRootPath", "s3": "userS3RootPath"}.get(
            request.query_params.get("pathType", ""), "userLocalRootPath")
        return envelope(api_method(request), {key: root})

    async def upload(self, request: Request, user: str) -> Response:
        """``upload``: multipart ``path`` (a directory) and ``file`` parts, each written as
        ``<path>/<its file name>`` (§15.3)."""
        form = await request.form()
        directory = str(form.get("path") or "")
        if not directory:
            raise results.FileError(*PATH_EMPTY)
        for part in form.getlist("file"):
            if isinstance(part, str):
                continue
            data = await part.read()
            await run_in_threadpool(self.files.save_upload, user, directory, part.filename or "", data)
        return envelope(api_method(request), {})

    async def delete(self, request: Request, user: str) -> Response:
        """``deleteDirOrFile``: JSON ``{"path"}``, a file or a directory and all it holds (§15.3)."""
        body = await read_json(request)
        path = str(body.get("path") or "")
        if not path:
            raise results.FileError(*PATH_EMPTY)
        await run_in_threadpool(self.files.delete, user, path)
        return envelope(api_method(request), {})

    @staticmethod
    def _check_table(result: results.ResultFile) -> None:
        if result.kind != RESULT_TABLE:
            raise results.FileError(80024, "Non-tabular result sets cannot be downloaded as excel"
                                           "(非table类型的结果集不能下载为excel)")

    @staticmethod
    def _limit(request: Request) -> int:
        """``limit`` replaces the download cap when it is above 0 (§8.3)."""
        limit = int_param(request, "limit", 0)
        return limit if limit > 0 else export.DEFAULT_EXPORT_LIMIT

    @staticmethod
    def _auto_format(request: Request) -> bool:
        return request.query_params.get("autoFormat", "false").lower() == "true"

    def _export_failed(self, error: Exception) -> Response:
        return PlainTextResponse(f"error(错误):{self._export_error(error)}", media_type="text/plain; charset=utf-8")

    def _export_error(self, error: Exception) -> str:
        """``e.getMessage()``: a Linkis exception's reads ``errCode: N ,desc: ... ,ip: ...``."""
        if isinstance(error, results.FileError):
            return exception_message(error.err_code, error.desc, self.port)
        return str(error)

    @staticmethod
    def _path(request: Request) -> str:
        path = request.query_params.get("path", "")
        if not path:
            raise results.FileError(*PATH_EMPTY)
        return path


def build_app(gateway: Gateway) -> Starlette:
    """The Starlette application with every route of §3 under ``/api/rest_j/v1``."""
    users, entrance = UserRoutes(gateway), EntranceRoutes(gateway)
    history, files, console = HistoryRoutes(gateway), FilesystemRoutes(gateway), ConsoleRoutes(gateway)
    datasource, manager = DatasourceRoutes(gateway.entrance), ManagerRoutes(gateway)
    wrap = gateway.endpoint
    any_method = ["GET", "POST", "PUT", "DELETE"]

    def route(path: str, endpoint: Callable, methods: Sequence[str] = ("GET",)) -> Route:
        return Route(API_PREFIX + path, endpoint, methods=list(methods))

    app = Starlette(routes=[
        route("/user/login", wrap(users.login, public=True, session_only=True), any_method),
        route("/user/token-login", wrap(users.token_login), any_method),
        route("/user/logout", wrap(users.logout, public=True, session_only=True), any_method),
        route("/user/publicKey", wrap(users.public_key, public=True, session_only=True), any_method),
        route("/user/heartbeat", wrap(users.heartbeat, session_only=True), any_method),
        route("/user/userInfo", wrap(users.user_info, session_only=True), any_method),
        route("/user/baseinfo", wrap(users.base_info, public=True, session_only=True), any_method),
        route("/user/oauth-redirect", wrap(console.oauth_redirect, public=True, session_only=True), any_method),
        route("/user/{rest:path}", wrap(users.unknown, public=True, session_only=True), any_method),
        route("/entrance/submit", wrap(entrance.submit), ["POST"]),
        route("/entrance/execute", wrap(entrance.execute), ["POST"]),
        route("/entrance/{exec_id}/status", wrap(entrance.status)),
        route("/entrance/{exec_id}/log", wrap(entrance.log)),
        route("/entrance/{exec_id}/progress", wrap(entrance.progress)),
        route("/entrance/{exec_id}/progressWithResource", wrap(entrance.progress_with_resource)),
        route("/entrance/{exec_id}/kill", wrap(entrance.kill)),
        route("/entrance/{exec_id}/killJobs", wrap(entrance.kill_jobs), ["POST"]),
        route("/entrance/{exec_id}/pause", wrap(entrance.pause)),
        route("/jobhistory/list", wrap(history.list)),
        route("/jobhistory/listundonetasks", wrap(history.list_undone_tasks)),
        route("/jobhistory/governanceStationAdmin", wrap(console.governance_station_admin)),
        route("/jobhistory/{task_id}/get", wrap(history.get)),
        route("/filesystem/getDirFileTrees", wrap(files.dir_file_trees)),
        route("/filesystem/openFile", wrap(files.open_file)),
        route("/filesystem/openLog", wrap(files.open_log)),
        route("/filesystem/resultsetToExcel", wrap(files.export)),
        route("/filesystem/resultsetsToExcel", wrap(files.export_all)),
        route("/filesystem/getUserRootPath", wrap(files.user_root_path)),
        route("/filesystem/upload", wrap(files.upload), ["POST"]),
        route("/filesystem/deleteDirOrFile", wrap(files.delete), ["POST"]),
        route("/datasource/dbs", wrap(datasource.dbs)),
        route("/datasource/tables", wrap(datasource.tables)),
        route("/datasource/columns", wrap(datasource.columns)),
        route("/datasource/partitions", wrap(datasource.partitions)),
        route("/configuration/engineType", wrap(console.engine_types)),
        route("/linkisManager/ecinfo/ecrHistoryList", wrap(console.ecr_history_list)),
        route("/linkisManager/listUserEngines", wrap(manager.list_user_engines)),
        route("/linkisManager/killEngineConn", wrap(manager.kill_engine_conn), ["POST"]),
        route("/{rest:path}", wrap(unserved), any_method),
    ])
    app.state.gateway = gateway  # for fault hooks that act on the gateway (expired sessions)
    return app
