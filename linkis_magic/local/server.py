"""``LocalLinkis``: the embedded Linkis gateway, served by uvicorn in a thread or the foreground.

In-process use (magics, tests)::

    with LocalLinkis() as gateway:
        requests.post(gateway.url + API_PREFIX + "/user/login",
                      json={"userName": gateway.user, "password": gateway.password})

The data directory holds ``linkis.db`` (job history) and ``users/<name>/`` (each user's logs,
results and engine files). Without one, a temporary directory is used and removed on ``stop()``.
"""

from __future__ import annotations

import contextlib
import fcntl
import shutil
import socket
import sqlite3
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import uvicorn

from linkis_magic.local.app import build_app
from linkis_magic.local.auth import DEFAULT_SESSION_TIMEOUT, Authenticator, make_users
from linkis_magic.local.entrance import Entrance
from linkis_magic.local.gateway import Faults, Gateway, NoFaults, RequestRecord
from linkis_magic.local.history import JobStore
from linkis_magic.local.settings import LinkisSettings

START_TIMEOUT = 10.0
STOP_TIMEOUT = 10.0


class GatewayStartError(RuntimeError):
    """The gateway did not come up (port taken, server thread died)."""


class _ThreadServer(uvicorn.Server):
    """uvicorn without signal handlers: in a kernel, SIGINT belongs to the kernel, never to us."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


class LocalLinkis:
    """A Linkis-compatible gateway on this machine (see docs/architecture.md)."""

    def __init__(self, port: int = 0, host: str = "127.0.0.1", data_dir: str | Path | None = None,
                 users: Mapping[str, Any] | None = None, *, engine_pool: Any = None,
                 supported_engines: Mapping[str, set[str]] | None = None, entrance_capacity: int = 1000,
                 workers: int = 64, faults: Faults | None = None,
                 session_timeout: float = DEFAULT_SESSION_TIMEOUT, settings: LinkisSettings | None = None) -> None:
        self.host = host
        #: How Linkis-like it is (``local/settings.py``): Linkis 1.8.0's behaviour by default.
        self.settings = settings or LinkisSettings()
        self._requested_port = port
        self._given_dir = Path(data_dir).resolve() if data_dir is not None else None
        self._users = make_users(users)
        self._engine_pool = engine_pool
        self._supported = supported_engines
        self._capacity = entrance_capacity
        self._workers = workers
        self._faults = faults or NoFaults()
        self._session_timeout = session_timeout  # seconds after a ticket's last use (§2.1)
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._socket: socket.socket | None = None
        self._lock: Any = None  # the open lock file on data_dir while serving
        self._owned_pool = False
        self.data_dir: Path | None = None
        self.gateway: Gateway | None = None
        self.port = 0

    # -- credentials -----------------------------------------------------------------------
    @property
    def user(self) -> str:
        """The default (first) user."""
        return next(iter(self._users))

    @property
    def password(self) -> str:
        return self._users[self.user].password

    @property
    def token(self) -> str:
        return self._users[self.user].token

    def credentials(self, user: str) -> tuple[str, str]:
        """``(password, token)`` of ``user``."""
        given = self._users[user.lower()]
        return given.password, given.token

    @property
    def url(self) -> str:
        """The gateway root; the API is ``url + API_PREFIX``."""
        return f"http://{self.host}:{self.port}"

    @property
    def requests(self) -> list[RequestRecord]:
        """The requests served so far, oldest first (the newest 100,000)."""
        return list(self.gateway.requests) if self.gateway else []

    def mark(self) -> int:
        """A mark for :meth:`requests_since`: the number the next request will get."""
        records = self.gateway.requests if self.gateway else ()
        return records[-1].seq + 1 if records else 1

    def requests_since(self, mark: int) -> list[RequestRecord]:
        """The requests served since ``mark`` was taken, oldest first (numbers, not list positions:
        the log keeps only the newest 100,000, and a restart begins a new one)."""
        return [record for record in self.requests if record.seq >= mark]

    # -- life cycle ------------------------------------------------------------------------
    def start(self) -> LocalLinkis:
        """Serve from a daemon thread; returns once the port accepts connections."""
        self._server = _ThreadServer(self._prepare())
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [self._socket]},
                                        name=f"linkis-gateway-{self.port}", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + START_TIMEOUT
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise GatewayStartError(f"the local Linkis gateway did not start on {self.url}")
            time.sleep(0.01)
        return self

    def restart(self) -> LocalLinkis:
        """Stop, then start again on the same port and data directory, as a redeployed gateway
        does: history, logs and results stay; sessions and the entrance's memory do not (§2.1, §4.3)."""
        given, self._given_dir = self._given_dir, self.data_dir  # keep a temporary dir across the gap
        self.stop()
        self._requested_port = self.port
        try:
            return self.start()
        finally:
            self._given_dir = given

    def serve_forever(self, on_ready: Callable[[], None] | None = None) -> None:
        """Serve in the foreground until Ctrl-C (uvicorn handles the signal), then clean up.

        ``on_ready`` runs once the port is bound (the CLI prints the URL and credentials there).
        """
        self._server = uvicorn.Server(self._prepare())
        if on_ready is not None:
            on_ready()
        try:
            self._server.run(sockets=[self._socket])
        finally:
            self._server = None
            self.stop()

    def _prepare(self) -> uvicorn.Config:
        self.data_dir = self._given_dir or Path(tempfile.mkdtemp(prefix="linkis-local-")).resolve()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        # Accepted connections inherit this; without it h11's separate header and body writes
        # meet the client's delayed ACK and every keep-alive request takes ~40 ms.
        self._socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            self._socket.bind((self.host, self._requested_port))
        except OSError as error:
            self._socket.close()
            if self._given_dir is None:  # the temporary data dir made above holds nothing yet
                shutil.rmtree(self.data_dir, ignore_errors=True)
            raise GatewayStartError(f"cannot listen on {self.host}:{self._requested_port}: {error}") from error
        # Listening now lets early clients queue instead of being refused, and the real port is
        # known before the app exists, so execIDs carry it (§5).
        self._socket.listen(2048)
        self.port = self._socket.getsockname()[1]
        try:
            self._lock_data_dir()
            store = self._open_history()
            store.fail_unfinished()
            entrance = Entrance(store, self._resolve_pool(), self.data_dir / "users", f"{self.host}:{self.port}",
                                capacity=self._capacity, workers=self._workers, settings=self.settings,
                                faults=self._faults)
            auth = Authenticator(self._users, self._session_timeout, encrypt=self.settings.login_encrypt)
            self.gateway = Gateway(auth, entrance, self._resolve_supported(), self.port, self.settings,
                                   faults=self._faults)
            return uvicorn.Config(build_app(self.gateway), log_level="warning", lifespan="off", access_log=False)
        except BaseException:
            self.stop()  # release the socket and the data-dir lock: a later start must not find them held
            raise

    def _open_history(self) -> JobStore:
        path = self.data_dir / "linkis.db"
        try:
            return JobStore(path)
        except sqlite3.Error as error:
            raise GatewayStartError(f"cannot open the job history {path}: {error}") from error

    def _lock_data_dir(self) -> None:
        """Own the data directory: a second gateway on it would share DuckDB files (DuckDB
        refuses) and, on start, mark this one's running jobs as lost by a restart."""
        self._lock = open(self.data_dir / "gateway.lock", "a+")
        try:
            fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:  # _prepare's stop() closes the lock file and the socket
            raise GatewayStartError(f"another local Linkis is using the data directory {self.data_dir}") from None

    def _resolve_pool(self) -> Any:
        if self._engine_pool is None:
            from linkis_magic.local.engines import EnginePool

            self._engine_pool = EnginePool(self.data_dir)
            self._owned_pool = True
        return self._engine_pool

    def _resolve_supported(self) -> Mapping[str, set[str]]:
        if self._supported is None:
            from linkis_magic.local.engines import SUPPORTED_ENGINES

            self._supported = SUPPORTED_ENGINES
        return self._supported

    def stop(self) -> None:
        """Stop serving, stop running jobs' engines, close history; remove a temporary data dir."""
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(STOP_TIMEOUT)
            self._thread = None
        if self._socket is not None:
            self._socket.close()
            self._socket = None
        if self.gateway is not None:
            self.gateway.entrance.close()
            self.gateway.entrance.store.close()
        if self._owned_pool:
            self._engine_pool.close()
            self._engine_pool, self._owned_pool = None, False
        if self._lock is not None:
            self._lock.close()  # closing releases the flock
            self._lock = None
        if self._given_dir is None and self.data_dir is not None:
            shutil.rmtree(self.data_dir, ignore_errors=True)

    def __enter__(self) -> LocalLinkis:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
