"""LocalLinkis itself: life cycle, signal hygiene, the temporary data dir, the fault hook."""

from __future__ import annotations

import asyncio
import json
import signal
import socket
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from linkis_magic.local.auth import default_user
from linkis_magic.local.gateway import HANDLER_ERRORS
from linkis_magic.local.server import GatewayStartError, LocalLinkis
from tests.local.gateway_api import Api
from tests.local.scripted_engine import SUPPORTED, ScriptedPool


def make(**options) -> LocalLinkis:
    return LocalLinkis(engine_pool=ScriptedPool(), supported_engines=SUPPORTED, **options)


def test_thread_mode_leaves_signal_handlers_alone_and_stops_cleanly():
    before = signal.getsignal(signal.SIGINT)
    with make() as gateway:
        assert signal.getsignal(signal.SIGINT) is before
        assert gateway.url == f"http://127.0.0.1:{gateway.port}" and gateway.port > 0
        assert gateway.user == default_user()
        assert gateway.credentials(gateway.user) == (gateway.password, gateway.token)
        data_dir = gateway.data_dir
        assert Api(gateway).run("text hi")[1]["status"] == "Succeed"
    assert signal.getsignal(signal.SIGINT) is before
    assert not data_dir.exists()  # a temporary data dir goes with the gateway
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", gateway.port)) != 0


def test_a_given_data_dir_is_kept(tmp_path):
    with make(data_dir=tmp_path):
        pass
    assert (tmp_path / "linkis.db").exists()


def assert_start_refused(gateway: LocalLinkis, reason: str) -> None:
    """``gateway.start()`` fails with a GatewayStartError naming ``reason`` (stopped if it did not)."""
    try:
        gateway.start()
    except GatewayStartError as error:
        assert reason in str(error)
    else:
        gateway.stop()
        raise AssertionError(f"start() succeeded; expected a refusal: {reason}")


def test_a_taken_port_is_a_clear_error(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        assert_start_refused(make(port=taken.getsockname()[1], data_dir=tmp_path), "cannot listen")


def test_a_data_dir_serves_one_gateway_at_a_time(tmp_path):
    # A second gateway would share the DuckDB files and mark the first one's jobs as lost.
    with make(data_dir=tmp_path):
        assert_start_refused(make(data_dir=tmp_path), "another local Linkis")
    with make(data_dir=tmp_path):  # free again once the first has stopped
        pass


class RefuseStatus:
    """A fault that answers entrance status calls with the gateway's bare 500 (§1)."""

    async def intercept(self, request: Request, user: str | None) -> Response | None:
        if request.url.path.endswith("/status"):
            return JSONResponse({"status": 500, "error": "Internal Server Error", "path": request.url.path},
                                status_code=500)
        return None


def test_the_fault_hook_can_answer_instead_of_the_gateway(tmp_path):
    with make(data_dir=tmp_path, faults=RefuseStatus()) as gateway:
        client = Api(gateway)
        data, _ = client.run("text x")
        assert client.get(f"/entrance/{data['execID']}/status").status_code == 500
        assert client.get(f"/jobhistory/{data['taskID']}/get").status_code == 200
        # The request still reaches the record, with its user.
        assert gateway.requests[-2].path.endswith("/status") and gateway.requests[-2].user == gateway.user


def test_configured_users(tmp_path):
    users = {"Alice": {"password": "a-pass", "token": "a-token"}, "bob": {}}
    with make(data_dir=tmp_path, users=users) as gateway:
        assert gateway.user == "alice" and gateway.credentials("alice") == ("a-pass", "a-token")
        bob_password, bob_token = gateway.credentials("bob")
        assert bob_password and bob_token and bob_token != "a-token"
        login = requests.post(gateway.url + "/api/rest_j/v1/user/login",
                              json={"userName": "bob", "password": bob_password}, timeout=10)
        assert login.json()["data"]["userName"] == "bob"


def test_a_failed_start_releases_the_data_dir(tmp_path):
    (tmp_path / "linkis.db").mkdir()  # the history database cannot be opened
    with pytest.raises(GatewayStartError, match="cannot open the job history .*linkis.db: unable to open"):
        make(data_dir=tmp_path).start()
    (tmp_path / "linkis.db").rmdir()
    with make(data_dir=tmp_path):  # neither the lock nor the port is still held
        pass


def test_a_handler_that_crashes_is_answered_as_linkis_does_and_recorded(scripted_linkis: LocalLinkis):
    # Answered as Linkis's catchIt answers any other exception (§1), and kept for the test run
    # to fail on (tests/conftest.py), so that no refusal test passes on a crash.
    async def broken(request, user):
        raise RuntimeError("a bug in a handler")

    mark = HANDLER_ERRORS.mark()
    request = Request({"type": "http", "method": "GET", "path": "/crash", "query_string": b"", "headers": []})
    answer = scripted_linkis.gateway.endpoint(broken, public=True)(request)
    with ThreadPoolExecutor(1) as own_loop:  # the test process may have an event loop running already
        body = json.loads(own_loop.submit(asyncio.run, answer).result().body)
    assert body["status"] == 1 and body["message"] == ("operation failed(操作失败)s！the reason(原因)："
                                                       "RuntimeError: a bug in a handler")
    crashed = HANDLER_ERRORS.take(mark)
    assert len(crashed) == 1 and "RuntimeError: a bug in a handler" in crashed[0]
