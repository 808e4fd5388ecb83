"""Authentication and the /user endpoints (§2), over real HTTP."""

from __future__ import annotations

import time

import requests

from linkis_magic.local.server import LocalLinkis
from linkis_magic.protocol import API_PREFIX, SESSION_COOKIE
from tests.local.gateway_api import Api
from tests.local.scripted_engine import SUPPORTED, ScriptedPool


def test_every_endpoint_but_login_answers_401_without_credentials(scripted_linkis):
    anonymous = Api(scripted_linkis, token=False)
    for path in ["/entrance/x/status", "/jobhistory/1/get", "/jobhistory/list", "/filesystem/openFile",
                 "/user/heartbeat", "/user/userInfo"]:
        response = anonymous.get(path)
        assert response.status_code == 401, path
        assert response.json() == {"method": API_PREFIX + path, "status": -1, "data": {},
                                   "message": "You are not logged in, please login first(您尚未登录，请先登录)!"}
    assert anonymous.post("/entrance/submit", {}).status_code == 401


def test_password_login_sets_the_session_cookie(scripted_linkis):
    session = Api(scripted_linkis, token=False)
    response = session.post("/user/login", {"userName": scripted_linkis.user.upper(),
                                            "password": scripted_linkis.password})
    assert response.status_code == 200
    body = response.json()
    assert body["message"] == "login successful(登录成功)！"
    assert body["data"] == {"userName": scripted_linkis.user, "isAdmin": False, "sessionTimeOut": 3600000,
                            "enableWatermark": True}
    assert session.session.cookies.get(SESSION_COOKIE)
    assert session.get("/user/userInfo").json()["data"] == {"userName": scripted_linkis.user}
    assert session.get("/user/heartbeat").json()["message"] == "Maintain heartbeat success(维系心跳成功)"
    again = session.post("/user/login", {"userName": "x", "password": "y"}).json()
    assert again["message"].startswith(f"{scripted_linkis.user} already logged in")

    logout = session.post("/user/logout")
    assert logout.json()["message"] == "Logout successful(退出登录成功)！"
    assert session.get("/user/heartbeat").status_code == 401


def test_login_accepts_query_parameters(scripted_linkis):
    session = Api(scripted_linkis, token=False)
    response = session.post("/user/login", None, userName=scripted_linkis.user, password=scripted_linkis.password)
    assert response.json()["status"] == 0


def test_login_refusals(scripted_linkis):
    session = Api(scripted_linkis, token=False)
    cases = [({"password": "p"}, "Username can not be empty(用户名不能为空)！"),
             ({"userName": "bob"}, "Password can not be blank(密码不能为空)！"),
             ({"userName": "bob", "password": "wrong"}, "wrong user name or password(用户名或密码错误)！"),
             ({"userName": "mallory", "password": "x"}, "wrong user name or password(用户名或密码错误)！")]
    for body, message in cases:
        response = session.post("/user/login", body)
        assert (response.status_code, response.json()["status"], response.json()["message"]) == (400, 1, message)
    assert SESSION_COOKIE not in session.session.cookies


def test_token_headers_authenticate_each_request(scripted_linkis, api):
    assert api.get("/jobhistory/list").json()["status"] == 0
    # The gateway's own /user restful reads the session only, never token headers (§2).
    assert api.get("/user/userInfo").status_code == 401
    assert SESSION_COOKIE not in api.session.cookies


def test_bad_or_partial_tokens_are_refused(scripted_linkis):
    url = scripted_linkis.url + API_PREFIX + "/jobhistory/list"
    wrong = requests.get(url, headers={"Token-User": "bob", "Token-Code": "nope"}, timeout=10)
    assert wrong.status_code == 401
    assert wrong.json()["message"] == "未授权的token nope，无法将请求绑定给tokenUser bob!".replace(" ", "")
    half = requests.get(url, headers={"Token-Code": scripted_linkis.token}, timeout=10)
    assert half.status_code == 401 and half.json()["message"].startswith("请在Header或Cookie中同时指定")
    # Another user's token does not work for this user.
    _, bob_token = scripted_linkis.credentials("bob")
    crossed = requests.get(url, headers={"Token-User": scripted_linkis.user, "Token-Code": bob_token}, timeout=10)
    assert crossed.status_code == 401


def test_token_login_opens_a_session(scripted_linkis, api):
    assert api.get("/user/token-login").json()["message"] == "Only support method POST"
    response = api.post("/user/token-login")
    assert response.json()["data"] == {"userName": scripted_linkis.user, "isAdmin": False}
    cookie = response.cookies[SESSION_COOKIE]
    plain = requests.get(scripted_linkis.url + API_PREFIX + "/user/heartbeat", cookies={SESSION_COOKIE: cookie},
                         timeout=10)
    assert plain.json()["status"] == 0


def test_other_user_endpoints(scripted_linkis, api):
    session = Api(scripted_linkis, token=False)
    session.post("/user/login", {"userName": scripted_linkis.user, "password": scripted_linkis.password})
    assert session.get("/user/baseinfo").json()["data"]["linkisClusterName"] == "local"
    unknown = session.get("/user/nothing")
    assert (unknown.status_code, unknown.json()["message"]) == (400, f"unknown request URI {API_PREFIX}/user/nothing")


def test_requests_are_recorded_with_their_user(scripted_linkis, api):
    api.get("/jobhistory/list", pageSize=3)
    record = scripted_linkis.requests[-1]
    assert (record.method, record.path, record.query, record.user) == (
        "GET", API_PREFIX + "/jobhistory/list", {"pageSize": "3"}, scripted_linkis.user)


def test_secrets_stay_out_of_reprs_and_the_request_log(local_linkis):
    requests.post(local_linkis.url + "/api/rest_j/v1/user/login",
              params={"userName": local_linkis.user, "password": local_linkis.password}, timeout=10)
    shown = repr(local_linkis.gateway.auth.users) + repr(local_linkis.requests[-50:])
    assert local_linkis.password not in shown and local_linkis.token not in shown


def test_unknown_routes_are_spring_404s_once_authenticated(scripted_linkis, api):
    """Unmapped paths never reach the envelope AOP (§1): Spring's own 404 JSON; the gateway's
    login check still comes first (§2.4)."""
    for method in (api.get, api.post):
        response = method("/entrance/no/such/route")
        assert response.status_code == 404
        body = response.json()
        assert {key: body[key] for key in ("status", "error", "path")} == {
            "status": 404, "error": "Not Found", "path": API_PREFIX + "/entrance/no/such/route"}
        assert isinstance(body["timestamp"], int) and "data" not in body
    anonymous = Api(scripted_linkis, token=False).get("/nosuchservice/x")
    assert (anonymous.status_code, anonymous.json()["status"]) == (401, -1)


def test_an_unused_session_expires(tmp_path):
    """A ticket unused for ``session_timeout`` seconds is refused with Linkis's expiry message,
    then forgotten; login ignores the stale cookie (§2.1)."""
    with LocalLinkis(data_dir=tmp_path, users={"alice": {"password": "pw"}}, engine_pool=ScriptedPool(),
                     supported_engines=SUPPORTED, session_timeout=0.2) as gateway:
        alice = Api(gateway, "alice", token=False)
        login = alice.post("/user/login", {"userName": "alice", "password": "pw"}).json()
        assert login["data"]["sessionTimeOut"] == 200
        assert alice.get("/user/userInfo").status_code == 200
        time.sleep(0.3)
        expired = alice.get("/jobhistory/list")
        assert expired.status_code == 401
        assert expired.json() == {"method": API_PREFIX + "/jobhistory/list", "status": -1, "data": {},
                                  "message": "Login has expired, please log in again!(登录已过期，请重新登录！)"}
        assert alice.get("/user/heartbeat").json()["message"].startswith("You are not logged in")
        again = alice.post("/user/login", {"userName": "alice", "password": "pw"}).json()
        assert again["message"] == "login successful(登录成功)！"
        assert alice.get("/jobhistory/list").status_code == 200
