"""What every route of the local gateway shares: the Linkis envelope, authentication, errors.

Every response is the envelope ``{method, status, message, data}`` with the HTTP code Linkis
derives from ``status`` (§1). Every route goes through :meth:`Gateway.endpoint`, the one place
that authenticates (§2), records the request for tests, consults the fault hook and turns
:class:`GatewayError` into an envelope. The routes themselves are in :mod:`.app` and
:mod:`.console`.
"""

from __future__ import annotations

import itertools
import json
import logging
import threading
import time
import traceback
import uuid
from collections import deque
from collections.abc import Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response

from linkis_magic.local import results
from linkis_magic.local.auth import Authenticator, SessionExpired
from linkis_magic.local.entrance import Entrance
from linkis_magic.local.settings import LinkisSettings
from linkis_magic.protocol import (
    API_PREFIX,
    HTTP_STATUS,
    SESSION_COOKIE,
    TOKEN_CODE_HEADER,
    TOKEN_USER_HEADER,
    MessageStatus,
)

ENTRANCE_SERVICE = "linkis-cg-entrance"
PUBLIC_SERVICE = "linkis-ps-publicservice"
NOT_LOGGED_IN = "You are not logged in, please login first(您尚未登录，请先登录)!"
SESSION_EXPIRED = "Login has expired, please log in again!(登录已过期，请重新登录！)"
JAVA_LONG_MAX = 2**63 - 1
TOKEN_PAIR_REQUIRED = "请在Header或Cookie中同时指定Token-Code 和 Token-User，以便完成token认证！"


def exception_message(err_code: int, desc: str, port: int, service: str = PUBLIC_SERVICE) -> str:
    """A Linkis exception's ``getMessage()`` (``LinkisException``), which some endpoints send as
    the envelope's message."""
    return f"errCode: {err_code} ,desc: {desc} ,ip: 127.0.0.1 ,port: {port} ,serviceKind: {service}"


class HandlerErrors:
    """Unexpected exceptions raised in route handlers (the newest 100), numbered as they come, and
    logged: ``mark()`` then ``since(mark)`` gives those raised in between."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._count = 0
        self._recent: deque[tuple[int, str]] = deque(maxlen=100)

    def add(self, text: str) -> None:
        with self._lock:
            self._count += 1
            self._recent.append((self._count, text))
        LOGGER.error("local Linkis handler failed: %s", text)

    def mark(self) -> int:
        with self._lock:
            return self._count

    def since(self, mark: int) -> list[str]:
        with self._lock:
            return [text for number, text in self._recent if number > mark]

    def take(self, mark: int) -> list[str]:
        """``since(mark)``, forgotten: for a test that makes a handler fail on purpose."""
        with self._lock:
            taken = [text for number, text in self._recent if number > mark]
            self._recent = deque(((n, t) for n, t in self._recent if n <= mark), maxlen=100)
            return taken


LOGGER = logging.getLogger("linkis_magic.local")
#: Every gateway of this process reports its handlers' crashes here (tests/conftest.py fails a
#: test during which one happened, as pytest-httpserver's ``check()`` does).
HANDLER_ERRORS = HandlerErrors()


@dataclass(frozen=True)
class RequestRecord:
    """One request as the gateway saw it (for tests to assert on)."""

    method: str
    path: str
    query: dict
    user: str | None
    at: float = 0.0  # time.monotonic() when it arrived
    seq: int = 0  # its number among the gateway's requests, from 1


#: Query parameters that carry secrets (login accepts them in the query, §2.1): never recorded.
_SECRET_PARAMS = {"password", "passwdencrypt"}


def _recordable(query: Mapping[str, str]) -> dict:
    return {k: "***" if k.lower() in _SECRET_PARAMS else v for k, v in query.items()}


class GatewayError(Exception):
    """A refusal rendered as an envelope; with ``err_code`` it takes Linkis's
    ``"error code(错误码): N, error message(错误信息): desc."`` form (§1, ``catchMsg``)."""

    def __init__(self, message: str, status: MessageStatus = MessageStatus.ERROR, err_code: int | None = None,
                 service: str = ENTRANCE_SERVICE) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.err_code = err_code
        self.service = service

    def response(self, method: str | None, port: int) -> JSONResponse:
        if self.err_code is None:
            return envelope(method, {}, self.message, self.status)
        error = {"level": 2, "errCode": self.err_code, "desc": self.message, "ip": "127.0.0.1", "port": port,
                 "serviceKind": self.service}
        text = f"error code(错误码): {self.err_code}, error message(错误信息): {self.message}."
        return envelope(None, {"errorMsg": error}, text, self.status)


class Faults(Protocol):
    """Fault injection hook: answer a request instead of the gateway, or return None.

    A hook may also define ``async after(request, user, response) -> Response`` to replace the
    gateway's answer once it has handled the request, and the entrance asks it
    ``history_update_lost()`` when a job ends and ``log_close_delay()`` (seconds, or None for the
    usual delay) before closing it (see :mod:`linkis_magic.local.faults`).
    """

    async def intercept(self, request: Request, user: str | None) -> Response | None: ...


class NoFaults:
    """The default: never interferes."""

    async def intercept(self, request: Request, user: str | None) -> Response | None:
        return None

    def history_update_lost(self) -> bool:
        return False

    def log_close_delay(self) -> float | None:
        return None


def envelope(method: str | None, data: Mapping[str, Any] | None = None, message: str = "OK",
             status: MessageStatus = MessageStatus.SUCCESS) -> JSONResponse:
    """The Linkis message with its derived HTTP code (§1)."""
    body = {"method": method, "status": int(status), "message": message, "data": dict(data or {})}
    return JSONResponse(body, status_code=HTTP_STATUS[status])


def envelope_with_raw(method: str, data: dict, raw_key: str) -> Response:
    """An OK envelope whose ``data[raw_key]`` is already-encoded JSON bytes (result pages), embedded
    without decoding and re-encoding them."""
    raw = data[raw_key]
    if not isinstance(raw, bytes):
        return envelope(method, data)
    marker = f"raw-{uuid.uuid4().hex}"
    body = json.dumps({"method": method, "status": 0, "message": "OK", "data": {**data, raw_key: marker}},
                      ensure_ascii=False, separators=(",", ":")).encode()
    return Response(body.replace(f'"{marker}"'.encode(), raw, 1), media_type="application/json")


def api_method(request: Request) -> str:
    """``method`` as backend services set it: ``/api`` + the path after the REST prefix (§1)."""
    return "/api" + request.url.path.removeprefix(API_PREFIX)


Handler = Callable[[Request, str], Awaitable[Response]]


@dataclass
class Gateway:
    """Everything the routes share."""

    auth: Authenticator
    entrance: Entrance
    supported: Mapping[str, set[str]]
    port: int
    settings: LinkisSettings = field(default_factory=LinkisSettings)
    faults: Faults = field(default_factory=NoFaults)
    requests: deque = field(default_factory=lambda: deque(maxlen=100_000))
    _numbers: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    def endpoint(self, handler: Handler, *, public: bool = False, session_only: bool = False):
        """Wrap ``handler(request, user)`` with auth, request recording, faults and error envelopes.

        ``public`` routes run without a user; ``session_only`` routes (the gateway's own
        ``/user/*`` restful, §2) look at the session cookie only, never at token headers.
        """
        async def run(request: Request) -> Response:
            user, refusal = self._identify(request, session_only)
            record = RequestRecord(request.method, request.url.path, _recordable(request.query_params), user,
                                   time.monotonic(), next(self._numbers))
            self.requests.append(record)
            injected = await self.faults.intercept(request, user)
            if injected is not None:
                return injected
            response = await self._answer(handler, request, user, refusal, public)
            after = getattr(self.faults, "after", None)
            return response if after is None else await after(request, user, response)
        return run

    async def _answer(self, handler: Handler, request: Request, user: str | None,
                      refusal: GatewayError | None, public: bool) -> Response:
        """The handler's response, or the refusal or error envelope."""
        try:
            if user is None and not public:
                raise refusal or GatewayError(NOT_LOGGED_IN, MessageStatus.NOT_LOGGED_IN)
            return await handler(request, user)
        except results.FileError as error:
            return GatewayError(error.desc, err_code=error.err_code, service=PUBLIC_SERVICE).response(
                None, self.port)
        except GatewayError as error:
            method = request.url.path if error.status == MessageStatus.NOT_LOGGED_IN else api_method(request)
            return error.response(method, self.port)
        except ClientDisconnect:  # the caller went away (a timed-out client): nobody reads an answer
            return Response(status_code=499)
        except Exception as error:  # noqa: BLE001 - Linkis answers any other failure as status 1 (§1)
            # A bug of this gateway, not a refusal: answered as Linkis's catchIt does, and kept,
            # so that no test passes on a crash that looked like an ordinary error.
            HANDLER_ERRORS.add(f"{request.method} {request.url.path}: {traceback.format_exc()}")
            return envelope(None, {"errorMsg": {"level": 2, "errCode": None, "desc": str(error)}},
                            f"operation failed(操作失败)s！the reason(原因)：{type(error).__name__}: {error}",
                            MessageStatus.ERROR)

    def _identify(self, request: Request, session_only: bool) -> tuple[str | None, GatewayError | None]:
        """The caller, by token headers (or cookies) first, then the session cookie (§2)."""
        if not session_only:
            code = request.headers.get(TOKEN_CODE_HEADER) or request.cookies.get(TOKEN_CODE_HEADER)
            user = request.headers.get(TOKEN_USER_HEADER) or request.cookies.get(TOKEN_USER_HEADER)
            if code or user:
                if not (code and user):
                    return None, GatewayError(TOKEN_PAIR_REQUIRED, MessageStatus.NOT_LOGGED_IN)
                if not self.auth.check_token(user, code):
                    return None, GatewayError(f"未授权的token{code}，无法将请求绑定给tokenUser{user}!",
                                              MessageStatus.NOT_LOGGED_IN)
                return user.lower(), None
        try:
            return self.auth.session_user(request.cookies.get(SESSION_COOKIE)), None
        except SessionExpired:
            # Public routes (login, logout) treat an expired ticket as none at all.
            return None, GatewayError(SESSION_EXPIRED, MessageStatus.NOT_LOGGED_IN)


async def read_json(request: Request) -> dict:
    """The request body as a JSON object (empty body → ``{}``)."""
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except ValueError as error:
        raise GatewayError(f"The request body is not valid JSON: {error}") from None
    if not isinstance(body, dict):
        raise GatewayError("The request body must be a JSON object")
    return body


def int_param(request: Request, name: str, default: int) -> int:
    """A Long query parameter (Spring refuses what does not parse as one)."""
    value = request.query_params.get(name)
    if value is None or value == "":
        return default
    number = java_long(value.removeprefix("-"))
    if number is None:
        raise GatewayError(f"Parameter {name} must be an integer, got {value!r}")
    return -number if value.startswith("-") else number


def task_number(text: str) -> int | None:
    """``text`` as a taskID: a non-negative Java Long, or None."""
    return java_long(text)


def java_long(text: str) -> int | None:
    """Plain ASCII digits that fit a Java Long, as a number; None for anything else."""
    if not (text.isascii() and text.isdigit()):
        return None
    number = int(text)
    return number if number <= JAVA_LONG_MAX else None
