"""The local Linkis refuses callers without valid credentials on every route, keeps users out of
each other's jobs and results, and listens on loopback unless told otherwise.

Path confinement (``..``, symlinks, other schemes) is tested in tests/local/test_local_filesystem.py.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import requests
from starlette.routing import Route

from linkis_magic.cli import build_parser
from linkis_magic.client import LinkisClient
from linkis_magic.errors import LinkisRequestError
from linkis_magic.job import Job
from linkis_magic.local.app import build_app
from linkis_magic.local.server import LocalLinkis
from linkis_magic.protocol import API_PREFIX, SESSION_COOKIE, TOKEN_CODE_HEADER, TOKEN_USER_HEADER

#: Routes any caller may use, as on Linkis: logging in and out, the login key, the console's base
#: info and OAuth redirect (the gateway answers /user/* before any login check), and the catch-all
#: that answers "unknown URI".
PUBLIC = {"/user/login", "/user/logout", "/user/publicKey", "/user/baseinfo", "/user/oauth-redirect",
          "/user/{rest:path}"}


def protected_routes(gateway: LocalLinkis) -> list[tuple[str, str]]:
    """(method, path) of every protected route of the real app, placeholders filled in."""
    routes = []
    for route in build_app(gateway.gateway).routes:
        assert isinstance(route, Route)
        path = route.path.removeprefix(API_PREFIX)
        if path in PUBLIC:
            continue
        filled = re.sub(r"\{exec_id\}", "exec_id018015linkis-cg-entrance127.0.0.1:1LINKISMAGIC_x_hive_1",
                        path).replace("{task_id}", "1")
        routes.append(("POST" if "POST" in route.methods and "GET" not in route.methods else "GET", filled))
    return routes


@pytest.mark.parametrize("credentials", ["none", "wrong token", "someone else's token", "forged cookie"])
def test_every_protected_route_refuses_bad_credentials(local_linkis: LocalLinkis, credentials: str):
    _password, bob_token = local_linkis.credentials("bob")
    headers, cookies = {}, {}
    if credentials == "wrong token":
        headers = {TOKEN_USER_HEADER: local_linkis.user, TOKEN_CODE_HEADER: "not-the-token"}
    elif credentials == "someone else's token":
        headers = {TOKEN_USER_HEADER: local_linkis.user, TOKEN_CODE_HEADER: bob_token}
    elif credentials == "forged cookie":
        cookies = {SESSION_COOKIE: "forged-ticket"}
    routes = protected_routes(local_linkis)
    assert len(routes) >= 18
    for method, path in routes:
        answer = requests.request(method, local_linkis.url + API_PREFIX + path, headers=headers, cookies=cookies,
                                  json={}, timeout=10)
        assert answer.status_code == 401 and answer.json()["status"] == -1, (credentials, method, path)


@pytest.fixture
def running_job(local_linkis: LocalLinkis):
    """A job of the default user that runs for a while; killed afterwards."""
    with LinkisClient(local_linkis.url, user=local_linkis.user, token=local_linkis.token) as owner:
        job = Job.submit(owner, "sleep 3; echo mine", engine="shell")
        yield owner, job
        if owner.job_info(job.task_id)["status"] not in ("Succeed", "Failed", "Cancelled", "Timeout"):
            owner.kill(job.exec_id, job.task_id)


def test_another_user_can_neither_see_nor_stop_a_job(local_linkis: LocalLinkis, running_job):
    owner, job = running_job
    with LinkisClient(local_linkis.url, user="bob", token=local_linkis.credentials("bob")[1]) as bob:
        # Each refusal by its own message: an error of any other kind (a crash) is no refusal.
        status, unknown = "cannot obtain the corresponding task status", "job was not found, or there may be no"
        for attempt, refusal in [(lambda: bob.status(job.exec_id), status),
                                 (lambda: bob.status(job.exec_id, job.task_id), status),
                                 (lambda: bob.log(job.exec_id), "Can't find execID"),
                                 (lambda: bob.progress(job.exec_id), "the corresponding task progress cannot"),
                                 (lambda: bob.job_info(job.task_id), unknown),
                                 (lambda: Job.attach(bob, job.task_id), unknown)]:
            with pytest.raises(LinkisRequestError, match=refusal):
                attempt()
        with pytest.raises(LinkisRequestError, match="no permission to kill this job"):
            bob.kill(job.exec_id, job.task_id)
        refused = bob.kill_jobs(job.exec_id, [job.exec_id], [job.task_id])["messages"]
        assert [message["status"] for message in refused] == [1]
        assert job.task_id not in [task["taskID"] for task in bob.list_jobs(pageSize=500)[0]]
    assert job.wait().results[0].text().strip() == "mine"  # untouched by bob


def test_another_user_cannot_read_results_or_logs(local_linkis: LocalLinkis):
    with LinkisClient(local_linkis.url, user=local_linkis.user, token=local_linkis.token) as owner:
        job = owner.run("select 'secret-data' as s", engine="hive")
        result, log_path = job.results[0].path, job.task["logPath"]
    with LinkisClient(local_linkis.url, user="bob", token=local_linkis.credentials("bob")[1]) as bob:
        for attempt in [lambda: bob.list_results(job.task["resultLocation"]), lambda: bob.open_result(result),
                        lambda: bob.open_log(log_path)]:
            with pytest.raises(LinkisRequestError, match="workspace") as info:
                attempt()
            assert info.value.err_code == 80027


def listening_addresses(port: int) -> set[str]:
    """Local addresses of the IPv4 sockets listening on ``port`` (from /proc/net/tcp)."""
    found = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        local, state = line.split()[1], line.split()[3]
        address, hex_port = local.split(":")
        if state == "0A" and int(hex_port, 16) == port:  # 0A: LISTEN
            found.add(".".join(str(int(address[i:i + 2], 16)) for i in (6, 4, 2, 0)))
    return found


def test_the_gateway_listens_on_loopback_unless_told_otherwise(tmp_path):
    with LocalLinkis(data_dir=tmp_path / "default") as default:
        assert listening_addresses(default.port) == {"127.0.0.1"}
    with LocalLinkis(host="127.0.0.2", data_dir=tmp_path / "told") as told:  # still loopback, but chosen
        assert listening_addresses(told.port) == {"127.0.0.2"}
    assert build_parser().parse_args(["local"]).host == "127.0.0.1"
