"""LinkisClient: the only module that speaks HTTP to a Linkis gateway.

One method per endpoint (docs/protocol.md §3), each returning the envelope's ``data`` or
raising a typed error from :mod:`linkis_magic.errors`::

    client = LinkisClient("http://gateway:9001", user="alice", password="...")
    job = client.run("select 1", engine="hive")
    df = job.results[0].to_pandas()
"""

from __future__ import annotations

import base64
import json
import math
import os
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import orjson
import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import ConnectTimeoutError, ReadTimeoutError
from urllib3.util.retry import Retry

from .engines import DEFAULT_CREATOR
from .errors import (
    LinkisAuthError,
    LinkisConnectionError,
    LinkisError,
    LinkisPermissionError,
    LinkisProtocolError,
    LinkisRequestError,
    LinkisTimeoutError,
    ResultNotDisplayable,
)
from .protocol import (
    API_PREFIX,
    KEEP_NULL,
    OWNER_CHECK_ERR_CODE,
    REQUEST_MARKER,
    TOKEN_CODE_HEADER,
    TOKEN_USER_HEADER,
    MessageStatus,
    gateway_root,
    is_result_file,
    result_index,
)

if TYPE_CHECKING:
    from .job import Job

Timeout = float | tuple[float, float]

#: Seconds between searches of job history for a job whose submit lost its answer on the way
#: back (reset, timeout): the gateway may still be persisting it (§4.1 persists, then answers).
RECOVERY_WAITS = (0.0, 0.5, 1.0)
DAY_MS = 86_400_000


def _decode(content: bytes) -> Any:
    """A JSON body: orjson first (a result page parses 2-3x faster), then the standard library for
    what orjson refuses and Java's JSON writers can still send (lone surrogates in a log, NaN)."""
    try:
        return orjson.loads(content)
    except orjson.JSONDecodeError:
        return json.loads(content)


@dataclass(frozen=True)
class Envelope:
    """A Linkis response: ``{method, status, message, data}`` (§1)."""

    method: str | None
    status: int
    message: str
    data: dict
    http_status: int | None = None


def parse_envelope(http_status: int, body: Any, where: str = "") -> Envelope:
    """Recognise a decoded body as a Linkis envelope, or raise :class:`LinkisProtocolError`.

    Linkis sets the HTTP status from the envelope's (§1), so errors arrive as HTTP 400/401/412
    with a normal envelope; a gateway's own error JSON (``status`` = the HTTP code, no ``data``)
    is not one. ``where`` (``"GET /path: "``) prefixes the error message.
    """
    statuses = {s.value for s in MessageStatus}
    if not (
        isinstance(body, dict)
        and isinstance(body.get("status"), int)
        and body["status"] in statuses
        and "message" in body
    ):
        raise LinkisProtocolError(
            f"{where}HTTP {http_status}: not a Linkis response: {_excerpt(body)}", http_status=http_status
        )
    data = body.get("data")
    data = data if isinstance(data, dict) else {}
    return Envelope(body.get("method"), body["status"], str(body["message"]), data, http_status)


def raise_for_envelope(envelope: Envelope) -> dict:
    """Return ``data`` of a success/warning envelope; raise the matching error otherwise."""
    if envelope.status in (MessageStatus.SUCCESS, MessageStatus.WARNING):
        return envelope.data
    error_msg = envelope.data.get("errorMsg")
    err_code = error_msg.get("errCode") if isinstance(error_msg, dict) else None
    cls = LinkisAuthError if envelope.status == MessageStatus.NOT_LOGGED_IN else LinkisRequestError
    message = envelope.message or f"Linkis status {envelope.status}"
    if err_code == OWNER_CHECK_ERR_CODE:
        cls, message = LinkisPermissionError, f"{message} {OWNER_CHECK_HINT}"
    raise cls(
        message,
        err_code=err_code,
        method=envelope.method,
        stack=envelope.data.get("stack"),
        http_status=envelope.http_status,
    )


#: What a user needs to know when Linkis's owner check refuses a job's own files (§8.1).
OWNER_CHECK_HINT = ("(The gateway's owner check, wds.linkis.workspace.filesystem.owner.check, shows job result "
                    "and log files to Linkis admins only; ask its operators to turn it off or make you an admin.)")


def _check_timeout(timeout: Any) -> Timeout:
    """A positive number of seconds, or a ``(connect, read)`` pair of them. Not None: a request
    that may wait for ever would also hang an interrupted cell waiting for its answer."""
    numbers = timeout if isinstance(timeout, tuple) and len(timeout) == 2 else (timeout,)
    if not all(isinstance(n, (int, float)) and not isinstance(n, bool) and 0 < n < math.inf for n in numbers):
        raise ValueError(f"timeout must be a positive number of seconds or a (connect, read) pair of them: "
                         f"{timeout!r}")
    return timeout


def _is_read_timeout(error: requests.exceptions.RequestException) -> bool:
    # After retries urllib3 wraps a read timeout in MaxRetryError, which requests reports as a
    # ConnectionError; look at the reason to tell "slow" from "unreachable".
    if isinstance(error, requests.exceptions.ReadTimeout):
        return True
    reason = getattr(error.args[0], "reason", None) if error.args else None
    return isinstance(reason, ReadTimeoutError)


def _why_unreachable(error: requests.exceptions.RequestException) -> str:
    """The operating system's reason ("Connection refused", "Name or service not known") when
    there is one, without urllib3's wrapping of it (pool, retries, connection object)."""
    reason = getattr(error.args[0], "reason", None) if error.args else None
    cause: BaseException | None = reason
    found: OSError | None = None
    while cause is not None:
        if isinstance(cause, OSError) and type(cause).__module__ in ("builtins", "socket"):
            found = cause
        cause = cause.__cause__ or cause.__context__
    return (found.strerror or str(found)) if found is not None else str(error)


def _connect_failed(error: BaseException | None) -> bool:
    # Refused, unresolvable, timed out while connecting, or a TLS handshake that failed: the
    # request never left this machine. urllib3 reports these as a (wrapped) ConnectTimeoutError.
    if isinstance(error, (requests.exceptions.ConnectTimeout, requests.exceptions.SSLError)):
        return True
    reason = getattr(error.args[0], "reason", None) if error is not None and error.args else None
    return isinstance(reason, ConnectTimeoutError)


def _may_have_arrived(error: LinkisError) -> bool:
    """Whether a failed request may have reached the gateway, which may then have acted on it."""
    if isinstance(error, LinkisProtocolError):
        return (error.http_status or 0) >= 500  # a 5xx may come from behind the entrance
    return isinstance(error, (LinkisConnectionError, LinkisTimeoutError)) and not _connect_failed(error.__cause__)


def _request_marker(task: Mapping[str, Any]) -> str | None:
    """The request marker a job-history task's ``sourceJson`` carries (a JSON string, §7.1)."""
    try:
        source = json.loads(task.get("sourceJson") or "{}")
    except (TypeError, ValueError):
        return None
    return source.get(REQUEST_MARKER) if isinstance(source, dict) else None


_DOWNLOAD_ERROR = "error(错误):".encode()


def _stream(response: requests.Response, first: bytes, rest: Iterator[bytes]) -> Iterator[bytes]:
    try:
        if first:
            yield first
        yield from rest
    finally:
        response.close()


def _displayable(data: dict, path: str) -> dict:
    """A result page, or :class:`ResultNotDisplayable` for one Linkis refused to show (§8.2):
    such a page has no rows at all, and must not read as an empty result."""
    if data.get("display_prohibited"):
        name = path.rsplit("/", 1)[-1]
        reason = str(data.get("en_msg") or data.get("zh_msg") or "no reason given").strip()
        raise ResultNotDisplayable(f"Linkis will not show result set {name} (display_prohibited): {reason} "
                                   "Export it instead (the web console's result export, or "
                                   "/filesystem/resultsetToExcel with limit set to the row count).")
    return data


def _excerpt(body: Any) -> str:
    text = body if isinstance(body, str) else json.dumps(body, default=str)
    text = " ".join(text.split())
    return repr(text[:200]) if text else "(empty body)"


class LinkisClient:
    """A connection to one Linkis gateway.

    Authentication is a password login (session cookie, §2.1) or a token sent as headers on every
    request (§2.2); given both, the token is used. Every call has a ``(connect, read)`` timeout.
    GETs are retried on connection errors and 5xx with capped backoff; a POST never is (a submit
    must not run twice).
    A request refused as not logged in (HTTP 401, status -1) is repeated once after logging in
    again: the gateway refused it before it reached the entrance, so repeating it is harmless.
    """

    def __init__(
        self,
        url: str | None = None,
        user: str | None = None,
        password: str | None = None,
        token: str | None = None,
        *,
        timeout: Timeout = (5.0, 60.0),
        verify: bool = True,
        ca_bundle: str | None = None,
        creator: str = DEFAULT_CREATOR,
        versions: Mapping[str, str] | None = None,
        retries: int = 3,
    ) -> None:
        if not url:
            raise ValueError("a Linkis gateway URL is required, e.g. http://gateway:9001")
        if (password or token) and not user:
            raise ValueError("a user name is required with a password or token")
        if isinstance(retries, bool) or not isinstance(retries, int) or retries < 0:
            raise ValueError(f"retries must be a whole number from 0: {retries!r}")
        if not isinstance(verify, bool):
            raise ValueError(f"verify must be True or False (a CA file goes to ca_bundle=): {verify!r}")
        if ca_bundle is not None:
            if not verify:
                raise ValueError("ca_bundle= and verify=False contradict each other: give one")
            if not os.path.exists(ca_bundle):
                raise ValueError(f"ca_bundle {ca_bundle!r} does not exist (a CA file or directory)")
        self.url = gateway_root(url)
        self.user = user
        self.creator = creator
        self.versions = dict(versions or {})
        self.timeout = _check_timeout(timeout)
        self._password = None if token else password  # a token, when given, is what authenticates
        self._token = token
        self._logged_in = False
        self._logins = 0  # how many times this client has logged in
        self._login_lock = threading.Lock()
        self._session = self._make_session(retries, ca_bundle or verify)

    def _make_session(self, retries: int, verify: bool | str) -> requests.Session:
        session = requests.Session()
        # The environment is read here, once: with trust_env requests re-reads every *_proxy
        # variable and looks for ~/.netrc on each request, a third of a status call's CPU on a
        # machine with 75 variables, and it lets REQUESTS_CA_BUNDLE override an explicit
        # ca_bundle or verify=False (psf/requests#3829). Proxies and the CA bundle still come from
        # the environment, as requests would take them; .netrc is not read (Linkis has its own auth).
        session.trust_env = False
        session.proxies = requests.utils.get_environ_proxies(self.url)
        if verify is True:
            verify = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or True
        session.verify = verify
        retry = Retry(
            total=retries,
            connect=retries,
            read=retries,
            status=retries,
            other=0,
            allowed_methods=frozenset({"GET"}),
            # 500 too: a GET is harmless to repeat, and gateways answer 500 for passing trouble (§1).
            status_forcelist=(500, 502, 503, 504),
            backoff_factor=0.2,
            backoff_max=2.0,
            raise_on_status=False,
        )
        adapter = HTTPAdapter(max_retries=retry)
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        if self._token:
            session.headers[TOKEN_CODE_HEADER] = self._token
            session.headers[TOKEN_USER_HEADER] = self.user or ""
        return session

    def __repr__(self) -> str:
        auth = "token" if self._token else "password" if self._password else "none"
        return f"LinkisClient({self.url!r}, user={self.user!r}, auth={auth!r})"

    def close(self) -> None:
        """Close the pooled connections."""
        self._session.close()

    def __enter__(self) -> LinkisClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- transport ---------------------------------------------------------------------------

    def _send(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        url = f"{self.url}{API_PREFIX}{path}"
        try:
            return self._session.request(method, url, timeout=self.timeout, **kwargs)
        except requests.exceptions.RequestException as e:
            if _is_read_timeout(e):
                raise LinkisTimeoutError(f"{method} {path}: no answer from {self.url} within "
                                         f"the read timeout: {e}") from e
            raise LinkisConnectionError(f"{method} {path}: cannot reach {self.url}: {_why_unreachable(e)}") from e

    def _envelope(self, method: str, path: str, decode: Callable[[bytes], Any] = _decode, **kwargs: Any) -> Envelope:
        resp = self._send(method, path, **kwargs)
        content = self._redact(resp.content) if resp.status_code != 200 else resp.content
        try:
            body = decode(content)
        except ValueError:
            raise LinkisProtocolError(
                f"{method} {path}: HTTP {resp.status_code}, not a Linkis response: "
                f"{_excerpt(content.decode('utf-8', 'replace'))}",
                http_status=resp.status_code,
            ) from None
        return parse_envelope(resp.status_code, body, where=f"{method} {path}: ")

    def _redact(self, content: bytes) -> bytes:
        """An error body with our token masked: Linkis quotes a refused token back in its message
        (§2.2), and error texts end up in notebook outputs. Masked in the raw body, so the message,
        a stack and a non-Linkis excerpt are all covered. (No Linkis message quotes a password.)"""
        if not self._token:
            return content
        # As sent, and as a JSON string escapes it (a token holding '"' or '\\').
        for form in {self._token, json.dumps(self._token, ensure_ascii=False)[1:-1],
                     json.dumps(self._token)[1:-1]}:
            content = content.replace(form.encode(), b"***")
        return content

    def _call(self, method: str, path: str, decode: Callable[[bytes], Any] = _decode, **kwargs: Any) -> dict:
        """Send one request, log in first or again if needed, and unwrap the envelope."""
        seen = self._logins
        if self._password and not self._logged_in:
            self._log_in_once(seen)
            seen = self._logins
        envelope = self._envelope(method, path, decode, **kwargs)
        if envelope.status == MessageStatus.NOT_LOGGED_IN and self._password:
            # The session expired or the gateway restarted and forgot the ticket (§2.1).
            self._log_in_once(seen)
            envelope = self._envelope(method, path, decode, **kwargs)
        return raise_for_envelope(envelope)

    def _log_in_once(self, seen: int) -> None:
        """Log in, unless another thread has since the caller's request went out (``seen``
        logins then). Requests running side by side (a result listing and a log read, a poll and
        a kill) that all find the session gone log in once between them, and none clears the
        cookie another has just received."""
        with self._login_lock:
            if self._logins == seen:
                self.login()

    # -- user endpoints (§2) -----------------------------------------------------------------

    def login(self) -> dict:
        """Log in with the password (§2.1); the gateway answers with a session cookie."""
        if not self._password:
            raise LinkisAuthError("login needs a password (token auth needs no login)")
        self._session.cookies.clear()
        body = {"userName": self.user, "password": self._encrypted(self._password)}
        envelope = self._envelope("POST", "/user/login", json=body)
        if envelope.status != MessageStatus.SUCCESS:
            raise LinkisAuthError(f"login as {self.user!r} failed: {envelope.message}")
        self._logged_in = True
        self._logins += 1
        return envelope.data

    def _encrypted(self, password: str) -> str:
        """The password as this gateway wants it: RSA-encrypted with the key ``/user/publicKey``
        hands out when login encryption is on (§2.1), else as it is. The key is asked for before
        every login: it changes whenever the gateway restarts."""
        data = self.public_key()
        key = data.get("publicKey")
        if not (data.get("enableLoginEncrypt") and key):
            return password
        from cryptography.hazmat.primitives.asymmetric import padding
        from cryptography.hazmat.primitives.serialization import load_der_public_key

        public_key = load_der_public_key(base64.b64decode(key))
        return base64.b64encode(public_key.encrypt(password.encode("utf-8"), padding.PKCS1v15())).decode("ascii")

    def public_key(self) -> dict:
        """``GET /user/publicKey`` (§2.1): ``enableLoginEncrypt`` and, when on, ``publicKey``.
        A gateway without the endpoint answers as one without encryption."""
        try:
            envelope = self._envelope("GET", "/user/publicKey")
        except LinkisProtocolError:
            return {}
        return envelope.data if envelope.status == MessageStatus.SUCCESS else {}

    def logout(self) -> dict:
        """End the session (§2.3)."""
        data = raise_for_envelope(self._envelope("POST", "/user/logout"))
        self._logged_in = False
        return data

    # -- entrance (§4) -----------------------------------------------------------------------

    def submit(self, payload: Mapping[str, Any]) -> dict:
        """``POST /entrance/submit`` (§4.1) -> ``{"execID", "taskID"}``. Never retried blindly.

        If the answer is lost after the request may have reached the gateway (a reset, a read
        timeout, a 5xx), the job is looked up in job history by the request marker in
        ``payload["source"]`` (:meth:`Job.submit` sets one) and returned if it exists. If it does
        not, the original error is raised, saying so: sending the job again could run it twice
        (a slow gateway may still create it), so that is left to the caller.
        """
        sent_at = int(time.time() * 1000)
        try:
            return self._call("POST", "/entrance/submit", json=payload)
        except (LinkisConnectionError, LinkisTimeoutError, LinkisProtocolError) as error:
            request_id = (payload.get("source") or {}).get(REQUEST_MARKER)
            if not request_id or not _may_have_arrived(error):
                raise
            return self._recover_submit(error, str(request_id), payload, sent_at)

    def _recover_submit(self, error: LinkisError, request_id: str, payload: Mapping[str, Any],
                        sent_at: int) -> dict:
        creator = str((payload.get("labels") or {}).get("userCreator") or "").partition("-")[2] or None
        # A 5xx means the gateway is done with the request: one look settles it.
        waits = RECOVERY_WAITS[:1] if isinstance(error, LinkisProtocolError) else RECOVERY_WAITS
        for wait in waits:
            time.sleep(wait)
            try:
                task = self.find_job(request_id, creator=creator, since=sent_at - DAY_MS)
            except LinkisError as lookup:
                raise type(error)(f"{error.message}; the job may exist, but job history could not be searched "
                                  f"for request id {request_id}: {lookup.message}",
                                  http_status=error.http_status) from error
            if task is not None:
                return {"execID": task.get("strongerExecId"), "taskID": int(task["taskID"])}
        raise type(error)(f"{error.message}; job history shows no job with request id {request_id}, so it was "
                          "not sent again (see %linkis jobs before running it again)",
                          http_status=error.http_status) from error

    def find_job(self, request_id: str, *, creator: str | None = None, since: int = 0,
                 page_size: int = 100, max_pages: int = 50) -> dict | None:
        """The job-history task of this user whose ``source`` carries ``request_id``, or None.

        Searches every job of the user (and ``creator``) created from ``since`` (epoch ms) on,
        newest first, a page at a time (``/jobhistory/list``, §7.2), at most ``max_pages`` pages.
        """
        # endDate defaults to the job-history host's clock, which may lag the entrance that
        # stamped the job: look a day ahead (§7.2).
        filters: dict[str, Any] = {"pageSize": page_size, "startDate": since,
                                   "endDate": int(time.time() * 1000) + DAY_MS}
        if creator:
            filters["creator"] = creator
        for page in range(1, max_pages + 1):
            tasks, total = self.list_jobs(pageNow=page, **filters)
            found = next((task for task in tasks if _request_marker(task) == request_id), None)
            # totalPage is the row count; a page past the last is the last again (§7.2).
            if found is not None or page * page_size >= total or len(tasks) < page_size:
                return found
        return None

    def execute(self, payload: Mapping[str, Any]) -> dict:
        """``POST /entrance/execute``, the 0.x format (§4.2) -> ``{"execID", "taskID"}``."""
        return self._call("POST", "/entrance/execute", json=payload)

    def status(self, exec_id: str, task_id: int | None = None) -> str:
        """The entrance's cached state; with ``task_id`` it falls back to job history (§4.3)."""
        params = {"taskID": task_id} if task_id is not None else None
        return self._call("GET", f"/entrance/{exec_id}/status", params=params)["status"]

    def progress(self, exec_id: str) -> dict:
        """``{"progress": float or str, "progressInfo": [stage, ...]}`` (§4.5)."""
        return self._call("GET", f"/entrance/{exec_id}/progress")

    def log(self, exec_id: str, from_line: int = 1, size: int = 10_000) -> dict:
        """``{"log": [error, warn, info, all] or "", "fromLine": next}`` (§4.4).

        Lines are 1-based; pass the returned ``fromLine`` to the next call.
        """
        params = {"fromLine": from_line, "size": size}
        return self._call("GET", f"/entrance/{exec_id}/log", params=params)

    def kill(self, exec_id: str, task_id: int | None = None) -> dict:
        """``GET /entrance/{execID}/kill`` (§4.6); ``task_id`` lets an evicted job be killed."""
        params = {"taskID": task_id} if task_id is not None else None
        return self._call("GET", f"/entrance/{exec_id}/kill", params=params)

    def kill_jobs(self, exec_id: str, exec_ids: list[str], task_ids: list[int]) -> dict:
        """Kill several jobs of the entrance that ``exec_id`` lives on (§4.6)."""
        body = {"idList": list(exec_ids), "taskIDList": list(task_ids)}
        return self._call("POST", f"/entrance/{exec_id}/killJobs", json=body)

    # -- job history (§7) --------------------------------------------------------------------

    def job_info(self, task_id: int, brief: bool = False) -> dict:
        """The job-history task object (§7.1), the authority on a job's state.

        ``brief`` leaves out ``executionCode``: a poll need not fetch the job's code each time.
        """
        params = {"brief": "true"} if brief else None
        return self._call("GET", f"/jobhistory/{int(task_id)}/get", params=params)["task"]

    def list_jobs(self, **filters: Any) -> tuple[list[dict], int]:
        """``(tasks, total)`` from ``/jobhistory/list`` (§7.2); filters use Linkis names."""
        data = self._call("GET", "/jobhistory/list", params=filters)
        return list(data.get("tasks") or []), int(data.get("totalPage") or 0)

    # -- engines (§15.4) -----------------------------------------------------------------------

    def engines(self) -> list[dict]:
        """The caller's EngineConns from ``/linkisManager/listUserEngines`` (``AMEngineNode``s)."""
        return list(self._call("GET", "/linkisManager/listUserEngines").get("engines") or [])

    def kill_engine(self, instance: str, application: str = "linkis-cg-engineconn") -> dict:
        """Stop one EngineConn through ``/linkisManager/killEngineConn``, which checks the owner
        (never ``rm/enginekill``, which lets anyone kill any engine)."""
        return self._call("POST", "/linkisManager/killEngineConn",
                          json={"applicationName": application, "instance": instance})

    # -- Hive metadata (§15.1) ----------------------------------------------------------------

    def databases(self) -> list[str]:
        """Database names from ``/datasource/dbs``: those the metastore shows this user."""
        data = self._call("GET", "/datasource/dbs")
        return [db["dbName"] for db in data.get("dbs") or []]

    def tables(self, database: str) -> list[dict]:
        """``/datasource/tables``: ``{tableName, isView, databaseName, ...}`` per table."""
        return list(self._call("GET", "/datasource/tables", params={"database": database}).get("tables") or [])

    def columns(self, database: str, table: str) -> list[dict] | None:
        """``/datasource/columns``: ``{columnName, columnType, columnComment, partitioned}`` per
        column, partition keys last; None when the user may not read the table."""
        data = self._call("GET", "/datasource/columns", params={"database": database, "table": table})
        columns = data.get("columns")
        return None if columns is None else list(columns)

    # -- filesystem (§8) ---------------------------------------------------------------------

    def list_results(self, result_location: str) -> list[str]:
        """Result file paths, sorted by their number N (``_10`` after ``_2``, §8.1)."""
        data = self._call("GET", "/filesystem/getDirFileTrees", params={"path": result_location})
        tree = data.get("dirFileTrees") or {}
        paths = [c["path"] for c in tree.get("children") or [] if is_result_file(c.get("path", ""))]
        return sorted(paths, key=result_index)

    def open_result(self, path: str, page: int = 1, page_size: int = 5000, *,
                    decode: Callable[[bytes, Callable[[bytes], Any]], Any] | None = None) -> dict:
        """One page of a result file (§8.2): ``metadata``, ``fileContent``, ``type``, ``totalLine``.

        ``decode(body, plain)`` parses the body instead of JSON (``plain`` is the JSON decoder,
        for what it does not take): :class:`~linkis_magic.results.ResultSet` passes Arrow's.
        """
        # LINKIS_NULL: SQL NULL comes as JSON null and the text "NULL" stays text (§8.2).
        params = {"path": path, "page": page, "pageSize": page_size, "nullValue": KEEP_NULL}
        parse = _decode if decode is None else (lambda content: decode(content, _decode))
        return _displayable(self._call("GET", "/filesystem/openFile", params=params, decode=parse), path)

    def user_root(self, path_type: str = "hdfs") -> str:
        """The caller's workspace root from ``/filesystem/getUserRootPath`` (§15.3): ``hdfs`` (where
        Hive's ``LOAD DATA`` reads) or ``file``."""
        data = self._call("GET", "/filesystem/getUserRootPath", params={"pathType": path_type})
        root = data.get("userHDFSRootPath" if path_type == "hdfs" else "userLocalRootPath")
        if not root:
            raise LinkisProtocolError(f"getUserRootPath gave no {path_type} root: {_excerpt(data)}")
        return str(root)

    def upload(self, directory: str, name: str, content: Any) -> None:
        """``/filesystem/upload`` (§15.3): ``content`` (bytes or a binary file) as ``<directory>/<name>``,
        replacing a file of that name."""
        self._call("POST", "/filesystem/upload", data={"path": directory},
                   files={"file": (name, content, "application/octet-stream")})

    def delete_path(self, path: str) -> None:
        """``/filesystem/deleteDirOrFile`` (§15.3): a file, or a directory with all it holds."""
        self._call("POST", "/filesystem/deleteDirOrFile", json={"path": path})

    def download(self, endpoint: str, params: Mapping[str, Any]) -> Iterator[bytes]:
        """The body of a download, ``/filesystem/resultsetToExcel`` or ``resultsetsToExcel``
        (§8.3), streamed in chunks. Linkis answers its errors with HTTP 200 ``text/plain``
        ``error(错误):<message>`` instead of an envelope: that is a :class:`LinkisRequestError`,
        raised before the first chunk."""
        path = f"/filesystem/{endpoint}"
        if self._password and not self._logged_in:
            self._log_in_once(self._logins)
        response = self._send("GET", path, params=params, stream=True)
        if response.status_code == 401 and self._password:  # the session expired (§2.1)
            response.close()
            self._log_in_once(self._logins)
            response = self._send("GET", path, params=params, stream=True)
        if response.status_code != 200:
            content = self._redact(response.content)
            try:
                body = _decode(content)
            except ValueError:
                raise LinkisProtocolError(f"GET {path}: HTTP {response.status_code}, not a download: "
                                          f"{_excerpt(content.decode('utf-8', 'replace'))}",
                                          http_status=response.status_code) from None
            raise_for_envelope(parse_envelope(response.status_code, body, where=f"GET {path}: "))
        chunks = response.iter_content(chunk_size=1 << 16)
        first = next(chunks, b"")
        if first.startswith(_DOWNLOAD_ERROR):
            message = (first + b"".join(chunks)).decode("utf-8", "replace")[len("error(错误):"):]
            response.close()
            raise LinkisRequestError(f"GET {path}: the gateway refused the download: {_excerpt(message)}")
        return _stream(response, first, chunks)

    def open_log(self, log_path: str) -> list[str]:
        """A finished job's whole log as ``[error, warn, info, all]`` (§8.4)."""
        log = self._call("GET", "/filesystem/openLog", params={"path": log_path}).get("log")
        if not isinstance(log, list) or len(log) < 4:
            raise LinkisProtocolError(f"openLog returned no log array for {log_path!r}")
        return [str(part or "") for part in log[:4]]

    # -- convenience -------------------------------------------------------------------------

    def run(
        self,
        code: str,
        engine: str = "hive",
        *,
        timeout: float | None = None,
        listener: Any = None,
        **submit_options: Any,
    ) -> Job:
        """Submit ``code`` and wait for it; returns the finished :class:`Job`.

        Raises :class:`~linkis_magic.errors.JobFailed` if the job does not succeed.
        ``submit_options`` are those of :meth:`Job.submit`. (The one convenience above this
        module's layer: it imports :mod:`linkis_magic.job` when called, not when loaded.)
        """
        from .job import Job

        job = Job.submit(self, code, engine, **submit_options)
        return job.wait(timeout=timeout, listener=listener)

