"""Fault injection for the local gateway: the failures a real Linkis deployment shows, on demand.

Tests only: a gateway gets faults when it is built with ``LocalLinkis(faults=Faults())``, and a
:class:`Faults` does nothing until a test scripts it::

    faults = Faults()
    with LocalLinkis(faults=faults) as gateway:
        faults.fail(r"/entrance/submit$", 503, times=3)          # a burst of 503s
        faults.reset_connections(r"/entrance/submit$", after=True)  # accepted, then the reply is lost
        faults.delay(r"/jobhistory/[0-9]+/get$", 2.0)            # a slow status poll
        faults.forget_jobs()                                      # the entrance restarted (§4.3)
        faults.lose_history_updates()                             # history stuck at Running (§4.3)
        faults.delay_log_close(5.0)                               # the log file written 5 s late

Each method adds a *rule*: a path regex (searched in the URL path), an optional HTTP method and
how many requests it applies to (``times=None``: every one). The first live rule matching a
request fires. Rules act *before* the gateway handles the request (it never reaches the entrance)
or, with ``after=True``, once the gateway has handled it (the job exists, but the client does
not hear so): the ambiguous failures a client must not answer by submitting again. ``fired``
on the returned :class:`Rule` lets a test check that its fault really happened. The last two act
on the entrance itself, for the next jobs that end (:class:`JobRule`).

Behaviour every Linkis shows (the late log file, kills of ended jobs refused, display_prohibited)
is no fault: the gateway does it by default (``local/settings.py``).
"""

from __future__ import annotations

import asyncio
import json
import re
import socket
import struct
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response

from linkis_magic.local.app import (
    KILL_LOOKUP_FAILED,
    PROGRESS_NOT_FOUND,
    STATUS_LOOKUP_FAILED,
    api_method,
    envelope,
)
from linkis_magic.local.logs import level_index
from linkis_magic.protocol import LOG_ALL, MessageStatus

#: ``action(request, response)``: the response to send instead (None: let the gateway answer);
#: ``response`` is the gateway's own when the rule acts after it, else None.
Action = Callable[[Request, Response | None], Awaitable[Response | None]]

#: Entrance endpoints that only work while the entrance holds the job in memory (§4.3-§4.6).
_ENTRANCE_JOB = re.compile(r"/entrance/[^/]+/(status|log|progress|progressWithResource|kill|pause)$")


@dataclass
class Rule:
    """One scripted fault."""

    path: re.Pattern
    method: str | None
    times: int | None
    after: bool
    action: Action
    fired: int = 0

    def matches(self, request: Request, after: bool) -> bool:
        return (self.after == after and self.times != 0
                and (self.method is None or self.method == request.method)
                and self.path.search(request.url.path) is not None)


@dataclass
class JobRule:
    """A scripted fault of the entrance itself rather than of a request (``kind`` "history" or
    "close"), for the next ``times`` jobs that end."""

    kind: str
    value: float
    times: int | None
    fired: int = 0


class Faults:
    """Scripted faults; an instance is the gateway's ``faults`` hook (see module docstring)."""

    def __init__(self) -> None:
        self._rules: list[Rule] = []
        self._job_rules: list[JobRule] = []
        self._lock = threading.Lock()

    # -- scripting -------------------------------------------------------------------------
    def fail(self, path: str, status: int = 503, *, times: int | None = 1, method: str | None = None,
             after: bool = False, body: str = "Service Unavailable") -> Rule:
        """Answer with HTTP ``status`` and a plain-text ``body`` (a load balancer's error page)."""
        async def answer(request: Request, response: Response | None) -> Response:
            return Response(body, status_code=status, media_type="text/plain")
        return self._add(path, method, times, after, answer)

    def spring_error(self, path: str, *, times: int | None = 1, method: str | None = None,
                     after: bool = False) -> Rule:
        """HTTP 500 with Spring's default error JSON instead of an envelope (§1, issue #2642)."""
        async def answer(request: Request, response: Response | None) -> Response:
            return JSONResponse({"timestamp": 1704067200000, "path": request.url.path, "status": 500,
                                 "error": "Internal Server Error", "message": "", "requestId": "5f3a1b2c"},
                                status_code=500)
        return self._add(path, method, times, after, answer)

    def html_error(self, path: str, status: int = 502, *, times: int | None = 1, method: str | None = None,
                   after: bool = False) -> Rule:
        """An HTML error page, as a proxy in front of the gateway sends."""
        async def answer(request: Request, response: Response | None) -> Response:
            return HTMLResponse(f"<html><head><title>{status}</title></head><body><h1>{status} Bad Gateway"
                                "</h1><hr><center>nginx</center></body></html>", status_code=status)
        return self._add(path, method, times, after, answer)

    def hide_metastore(self, *, times: int | None = None) -> Rule:
        """``/datasource/*`` shows nothing, as Linkis does to a user without Hive grants when
        ``linkis.metadata.hive.permission.with-login-user-enabled`` is on (§15.1): no databases, no
        tables, ``columns`` null."""
        async def answer(request: Request, response: Response | None) -> Response:
            name = request.url.path.rsplit("/", 1)[-1]
            data = {"dbs": {"dbs": []}, "tables": {"tables": []}, "columns": {"columns": None}}.get(name, {})
            return envelope(api_method(request), data)
        return self._add(r"/datasource/", None, times, False, answer)

    def reset_connections(self, path: str, *, times: int | None = 1, method: str | None = None,
                          after: bool = False) -> Rule:
        """Close the connection with a TCP reset instead of answering."""
        return self._add(path, method, times, after, _reset)

    def delay(self, path: str, seconds: float, *, times: int | None = 1, method: str | None = None,
              after: bool = False) -> Rule:
        """Hold the request ``seconds`` before (or, ``after``, once) the gateway handles it."""
        async def stall(request: Request, response: Response | None) -> Response | None:
            await asyncio.sleep(seconds)
            return response
        return self._add(path, method, times, after, stall)

    def expire_sessions(self, path: str = r"/(entrance|jobhistory|filesystem)/", *, times: int | None = 1,
                        method: str | None = None) -> Rule:
        """Drop every session ticket just before a matching request (session timeout, §2.1)."""
        async def expire(request: Request, response: Response | None) -> None:
            # This request was already let in; the next one with the old cookie gets a 401.
            request.app.state.gateway.auth.forget_sessions()
        return self._add(path, method, times, False, expire)

    def forget_jobs(self, *, times: int | None = None) -> Rule:
        """The entrance no longer holds any job (evicted, or a restarted entrance, §4.3):
        status and kill work only with ``taskID``; log, progress and pause fail."""
        async def forget(request: Request, response: Response | None) -> Response | None:
            kind = request.url.path.rsplit("/", 1)[-1]
            if kind in ("status", "kill") and request.query_params.get("taskID", "").isdigit():
                return None  # the gateway answers from job history / force-kills (§4.3, §4.6)
            return envelope(api_method(request), {}, _FORGOTTEN.get(kind, PROGRESS_NOT_FOUND), MessageStatus.ERROR)
        return self._add(_ENTRANCE_JOB.pattern, None, times, False, forget)

    def empty_log(self, *, times: int | None = 1) -> Rule:
        """``"log": ""`` instead of the 4-string array, as the entrance's reader errors give (§4.4)."""
        async def empty(request: Request, response: Response | None) -> Response:
            from_line = int(request.query_params.get("fromLine") or 0)
            return envelope(api_method(request), {"log": "", "execID": request.path_params.get("exec_id"),
                                                  "fromLine": from_line})
        return self._add(r"/entrance/[^/]+/log$", "GET", times, False, empty)

    def lose_lines_at_flushes(self, every: int = 500, *, times: int | None = None) -> Rule:
        """Live log reads that straddle a cache flush lose the first line after it, but still
        count it in ``fromLine``: what Linkis's ``LoopArray`` bookkeeping does to reads that span
        its 500-line pushes to the file (§4.4.2). The file keeps every line."""
        async def lose(request: Request, response: Response | None) -> Response:
            body = json.loads(response.body)
            data = body.get("data") or {}
            log, first = data.get("log"), int(request.query_params.get("fromLine") or 1)
            if not isinstance(log, list) or len(log) != 4 or not log[LOG_ALL]:
                return response
            lines = log[LOG_ALL].split("\n")
            lost = {number for number in range(first + 1, first + len(lines)) if (number - 1) % every == 0}
            kept = [line for number, line in enumerate(lines, max(first, 1)) if number not in lost]
            buckets = [[], [], [], kept]
            for line in kept:
                buckets[level_index(line)].append(line)
            data["log"] = ["\n".join(bucket) for bucket in buckets]
            return JSONResponse(body, status_code=response.status_code)
        return self._add(r"/entrance/[^/]+/log$", "GET", times, True, lose)

    def progress_as_text(self, suffix: str = "f", *, times: int | None = None) -> Rule:
        """Progress as a string with a suffix (``"1.0f"``), on the entrance and in job history (§4.5, §4.6)."""
        async def stringify(request: Request, response: Response | None) -> Response:
            body = json.loads(response.body)
            data = body.get("data") or {}
            holder = data.get("task") if isinstance(data.get("task"), dict) else data
            if "progress" in holder:
                holder["progress"] = f"{float(holder['progress'])}{suffix}"
            return JSONResponse(body, status_code=response.status_code)
        return self._add(r"/(entrance/[^/]+/progress|jobhistory/\d+/get)$", "GET", times, True, stringify)

    def lose_history_updates(self, *, times: int | None = 1) -> JobRule:
        """The entrance's update of job history at a job's end is lost (publicservice down through
        the entrance's retries, §4.3): history says Running for ever; the entrance knows the end."""
        return self._add_job_rule("history", 0.0, times)

    def delay_log_close(self, seconds: float, *, times: int | None = 1) -> JobRule:
        """The entrance closes an ended job ``seconds`` after history shows its end, instead of
        the usual moment: its log file stays incomplete that long (§4.4.1)."""
        return self._add_job_rule("close", seconds, times)

    def clear(self) -> None:
        """Remove every rule."""
        with self._lock:
            self._rules.clear()
            self._job_rules.clear()

    def _add(self, path: str, method: str | None, times: int | None, after: bool, action: Action) -> Rule:
        rule = Rule(re.compile(path), method, times, after, action)
        with self._lock:
            self._rules.append(rule)
        return rule

    def _take(self, request: Request, after: bool) -> Rule | None:
        with self._lock:
            for rule in self._rules:
                if rule.matches(request, after):
                    rule.fired += 1
                    if rule.times is not None:
                        rule.times -= 1
                    return rule
        return None

    def _add_job_rule(self, kind: str, value: float, times: int | None) -> JobRule:
        rule = JobRule(kind, value, times)
        with self._lock:
            self._job_rules.append(rule)
        return rule

    def _take_job_rule(self, kind: str) -> JobRule | None:
        with self._lock:
            for rule in self._job_rules:
                if rule.kind == kind and rule.times != 0:
                    rule.fired += 1
                    if rule.times is not None:
                        rule.times -= 1
                    return rule
        return None

    # -- the entrance's hooks (app.Faults) -------------------------------------------------
    def history_update_lost(self) -> bool:
        return self._take_job_rule("history") is not None

    def log_close_delay(self) -> float | None:
        rule = self._take_job_rule("close")
        return None if rule is None else rule.value

    # -- the gateway's hook (app.Faults) ---------------------------------------------------
    async def intercept(self, request: Request, user: str | None) -> Response | None:
        """Before the gateway: a response to send instead, or None to go on."""
        rule = self._take(request, after=False)
        return None if rule is None else await rule.action(request, None)

    async def after(self, request: Request, user: str | None, response: Response) -> Response:
        """After the gateway: the response to send (its own, or the fault's)."""
        rule = self._take(request, after=True)
        return response if rule is None else await rule.action(request, response)


_FORGOTTEN = {
    "status": STATUS_LOOKUP_FAILED,
    "kill": KILL_LOOKUP_FAILED,
    "log": "The job you just executed has ended. This interface no longer provides a query. It is recommended "
           "that you download the log file for viewing.(任务已经结束，该接口不再提供查询，建议您下载日志文件进行查看)",
}


async def _reset(request: Request, response: Response | None) -> Response:
    """Abort the connection with RST. uvicorn does not hand the transport to the app, but its
    ``receive`` is a bound method of the connection's request cycle, which holds it."""
    cycle = getattr(request.receive, "__self__", None)
    transport = getattr(cycle, "transport", None)
    if transport is None:
        raise RuntimeError("connection resets need uvicorn's h11 or httptools protocol")
    sock = transport.get_extra_info("socket")
    if sock is not None:  # linger 0: close() sends RST instead of FIN, as a crashed peer does
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    transport.abort()
    await asyncio.sleep(0)  # let uvicorn see the connection lost, so it sends nothing
    return Response(status_code=500)
