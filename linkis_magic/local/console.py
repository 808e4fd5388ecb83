"""What Linkis's own web console (linkis-web 1.8.0) calls beyond a job client's routes, answered
in Linkis's shapes, and what a Linkis without a service answers for the services this gateway
does not imitate (docs/protocol.md §15.7).

On every visit the console asks ``/jobhistory/governanceStationAdmin`` (admin flags) and the
footer ``/jobhistory/listundonetasks`` (the caller's unfinished jobs, served with the rest of job
history in :mod:`.app`); Global History asks
``/configuration/engineType``; viewing a job that ran on an engine asks
``/linkisManager/ecinfo/ecrHistoryList`` first and loads the log only once that answered; the
login page asks ``/user/oauth-redirect``.
"""

from __future__ import annotations

from datetime import datetime

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from linkis_magic.local.gateway import Gateway, GatewayError, api_method, envelope
from linkis_magic.local.history import now_ms
from linkis_magic.protocol import API_PREFIX, HTTP_STATUS, MessageStatus

#: ``linkis.jobhistory.error.msg.tip``: the console's toast for a failed call, ``%s`` the URL.
ERROR_MSG_TIP = ("The request interface %s is abnormal. You can try to troubleshoot common problems in the "
                 "knowledge base document")
OAUTH_OFF = "Gateway 未启用 OAuth 认证，请采用其他认证方式!"
#: The modules a job client uses, which this gateway imitates: any other path of theirs is a missing
#: endpoint of a running service (Spring's 404). Every other module answers as a service with no
#: instance, even where one of its routes is answered here for the console (engine types, the
#: engine-conn history).
SERVED_MODULES = frozenset({"entrance", "jobhistory", "filesystem", "datasource"})
#: Where Linkis's gateway sends a first path segment (``RPCConfiguration``): these go to the public
#: service or the manager, anything else to the application of that name.
PUBLIC_SERVICE_MODULES = frozenset({
    "query", "jobhistory", "application", "configuration", "filesystem", "udf", "variable", "microservice",
    "errorcode", "bml", "datasource", "metadataQuery", "basedata-manager", "cs", "context",
})
MANAGER_MODULES = frozenset({"linkisManager", "engineplugin"})


class ConsoleRoutes:
    """The console's extra calls: admin flags, unfinished jobs, engine types, engine-conn history."""

    def __init__(self, gateway: Gateway) -> None:
        self.gateway = gateway
        self.store = gateway.entrance.store
        self.settings = gateway.settings

    async def governance_station_admin(self, request: Request, user: str) -> Response:
        """``QueryRestfulApi.governanceStationAdmin``: one admin list stands for all three."""
        admin = self.settings.is_admin(user)
        return envelope(api_method(request), {"admin": admin, "historyAdmin": admin, "deptAdmin": admin,
                                              "errorMsgTip": ERROR_MSG_TIP})

    async def engine_types(self, request: Request, user: str) -> Response:
        """``ConfigurationRestfulApi.getEngineType``: the engine names this gateway runs."""
        return envelope(api_method(request), {"engineType": list(self.gateway.supported)})

    async def ecr_history_list(self, request: Request, user: str) -> Response:
        """``ECResourceInfoRestfulApi.queryEcrHistory``: the engine conns an instance ran. Jobs here
        run in engines of this process, not in engine conns of their own, so the list is empty
        and the console shows no engine-log tab."""
        for name in ("startDate", "endDate"):
            value = request.query_params.get(name)
            if value:
                try:
                    datetime.strptime(value, "%Y-%m-%d %H:%M:%S")
                except ValueError:
                    raise GatewayError(f"Failed to convert value of type 'java.lang.String' to required type "
                                       f"'java.util.Date' for {name}: {value}") from None
        return envelope(api_method(request), {"engineList": [], "totalPage": 0})

    async def oauth_redirect(self, request: Request, user: str | None) -> Response:
        """OAuth is off (``wds.linkis.gateway.conf.enable.oauth.auth``): the gateway's no-login answer."""
        status = MessageStatus.NOT_LOGGED_IN
        return JSONResponse({"method": request.url.path, "status": int(status), "message": OAUTH_OFF, "data": {}},
                            status_code=HTTP_STATUS[status])


def service_of(module: str) -> str:
    """The application Linkis's gateway routes a first path segment to."""
    if module in PUBLIC_SERVICE_MODULES:
        return "linkis-ps-publicservice"
    if module in MANAGER_MODULES:
        return "linkis-cg-linkismanager"
    return module


async def unserved(request: Request, user: str) -> Response:
    """A path no route here answers.

    Under a module this gateway serves, it is a missing endpoint of a running service: Spring
    Boot's error JSON with HTTP 404, not an envelope (§1). Anything else is a service this gateway
    does not run (resource management, UDFs, data sources, ...), answered as Linkis's gateway
    answers when a service has no instance: HTTP 200, status 1, ``NoApplicationExistsException``.
    The gateway authenticates first (§2.4), so without credentials this is still the 401 envelope.
    """
    path = request.url.path
    module = path.removeprefix(API_PREFIX + "/").split("/", 1)[0]
    if module in SERVED_MODULES:
        body = {"timestamp": now_ms(), "status": 404, "error": "Not Found", "message": "", "path": path}
        return JSONResponse(body, status_code=404)
    service = service_of(module)
    message = (f"NoApplicationExistsException: errCode: 10050 ,desc: Application {service} does not exist any "
               f"instances(应用程序 {service} 不存在任何实例) ,ip: 127.0.0.1 ,port: {request.url.port} "
               ",serviceKind: linkis-mg-gateway")
    return JSONResponse({"method": path, "status": 1, "message": message, "data": {"data": None}})
