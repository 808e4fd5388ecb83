"""The engine endpoints of Linkis's manager (§15.4), over this gateway's own long-lived engines:
the SQL engine each user's SQL engine names share, and the Python, Spark and shell engines.

``GET /linkisManager/listUserEngines`` lists the caller's engines as ``AMEngineNode``s;
``POST /linkisManager/killEngineConn`` stops one, and checks the owner as Linkis does (the
engine's owner or an admin). The endpoint that lets anyone kill any engine
(``/linkisManager/rm/enginekill``) is not served.
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from linkis_magic.local.engines import EngineConn
from linkis_magic.local.gateway import Gateway, GatewayError, api_method, envelope, read_json
from linkis_magic.protocol import DEFAULT_VERSIONS

ENGINE_CONN = "linkis-cg-engineconn"
KILLED = "Kill engineConn succeed."


class ManagerRoutes:
    """List and kill the caller's engines."""

    def __init__(self, gateway: Gateway) -> None:
        self.gateway = gateway

    def _pool(self):
        pool = self.gateway.entrance.engine_pool
        if not hasattr(pool, "engine_conns"):  # engines that keep nothing between jobs
            return None
        return pool

    async def list_user_engines(self, request: Request, user: str) -> Response:
        pool = self._pool()
        conns = pool.engine_conns(user) if pool is not None else []
        return envelope(api_method(request), {"engines": [engine_node(conn) for conn in conns]})

    async def kill_engine_conn(self, request: Request, user: str) -> Response:
        body = await read_json(request)
        application, instance = body.get("applicationName"), body.get("instance")
        if not application or not instance:
            raise GatewayError("applicationName and instance are both required (applicationName和instance都不能为空)")
        pool = self._pool()
        conn = next((c for c in pool.engine_conns() if c.instance == instance), None) if pool is not None else None
        if conn is None or application != ENGINE_CONN:
            raise GatewayError(f"EngineConn {instance} of {application} is not known to the local gateway")
        if conn.user != user and not self.gateway.settings.is_admin(user):
            raise GatewayError(f"You have no permission to kill EngineConn ServiceInstance({application}, {instance})")
        await run_in_threadpool(pool.kill, instance)
        return envelope(api_method(request), {}, KILLED)


def engine_node(conn: EngineConn) -> dict:
    """An ``AMEngineNode`` as ``listUserEngines`` serialises it (the keys a client reads)."""
    engine_type = conn.engine_type if conn.engine_type != "sql" else "hive"
    version = DEFAULT_VERSIONS.get(engine_type, "1")
    return {
        "serviceInstance": {"applicationName": ENGINE_CONN, "instance": conn.instance},
        "owner": conn.user,
        "nodeStatus": "Busy" if conn.running else "Unlock",
        "labels": [{"labelKey": "engineType", "stringValue": f"{engine_type}-{version}"},
                   {"labelKey": "userCreator", "stringValue": f"{conn.user}-{conn.creator}"}],
        "startTime": conn.started_ms,
        "updateTime": conn.used_ms,
        "nodeResource": None,
    }
