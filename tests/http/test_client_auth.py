"""Password and token authentication against a real local gateway (docs/protocol.md §2)."""

from __future__ import annotations

import pytest

from linkis_magic.client import LinkisClient
from linkis_magic.errors import LinkisAuthError
from linkis_magic.local.server import LocalLinkis
from linkis_magic.protocol import API_PREFIX


def test_password_login_then_a_job(password_client: LinkisClient, local_linkis: LocalLinkis):
    start = local_linkis.mark()
    job = password_client.run("select 1 as one", engine="hive")
    seen = local_linkis.requests_since(start)
    # The public key first: it says whether the password must be encrypted (§2.1).
    assert [r.path for r in seen[:3]] == [f"{API_PREFIX}/user/publicKey", f"{API_PREFIX}/user/login",
                                          f"{API_PREFIX}/entrance/submit"]
    assert {r.user for r in seen[2:]} == {local_linkis.user}
    assert job.results[0].to_pandas()["one"].tolist() == [1]


def test_one_login_serves_many_requests(password_client: LinkisClient, local_linkis: LocalLinkis):
    start = local_linkis.mark()
    password_client.run("select 1", engine="hive")
    password_client.run("select 2", engine="hive")
    assert sum(r.path.endswith("/user/login") for r in local_linkis.requests_since(start)) == 1


def test_token_auth_sends_no_login(client: LinkisClient, local_linkis: LocalLinkis):
    start = local_linkis.mark()
    job = client.run("select 2 as two", engine="spark")
    seen = local_linkis.requests_since(start)
    assert not any("/user/" in r.path for r in seen)
    assert {r.user for r in seen} == {local_linkis.user}
    assert job.results[0].to_pandas()["two"].tolist() == [2]


def test_wrong_password_is_an_auth_error_with_the_server_message(local_linkis: LocalLinkis):
    with LinkisClient(local_linkis.url, user=local_linkis.user, password="wrong") as bad:
        with pytest.raises(LinkisAuthError, match="wrong user name or password"):
            bad.job_info(1)


def test_wrong_token_is_an_auth_error_with_the_server_message(local_linkis: LocalLinkis):
    with LinkisClient(local_linkis.url, user=local_linkis.user, token="not-the-token") as bad:
        with pytest.raises(LinkisAuthError, match="未授权的token") as info:
            bad.job_info(1)
    assert info.value.http_status == 401


def test_no_credentials_is_not_logged_in(local_linkis: LocalLinkis):
    with LinkisClient(local_linkis.url) as anonymous:
        with pytest.raises(LinkisAuthError, match="not logged in"):
            anonymous.job_info(1)


def test_repr_shows_no_secret(local_linkis: LocalLinkis):
    password_client = LinkisClient(local_linkis.url, user="u", password="s3cret-pw")
    token_client = LinkisClient(local_linkis.url, user="u", token="s3cret-token")
    assert "s3cret" not in repr(password_client) + repr(token_client)
    assert "auth='token'" in repr(token_client) and "auth='password'" in repr(password_client)


def test_url_may_include_the_api_prefix(local_linkis: LocalLinkis):
    with LinkisClient(local_linkis.url + API_PREFIX + "/", user=local_linkis.user,
                      token=local_linkis.token) as prefixed:
        assert prefixed.url == local_linkis.url
        assert prefixed.run("select 3 as three", engine="hive").status.value == "Succeed"


def test_relogin_after_the_gateway_forgot_the_session(tmp_path):
    """A restarted gateway forgets its tickets (§2.1): the client logs in again, once, and the
    refused submit is repeated; the job runs exactly once."""
    users = {"alice": {"password": "pw-alice", "token": "tok-alice"}}
    first = LocalLinkis(data_dir=tmp_path, users=users).start()
    try:
        alice = LinkisClient(first.url, user="alice", password="pw-alice")
        alice.run("select 1", engine="hive")
    finally:
        first.stop()
    second = LocalLinkis(port=first.port, data_dir=tmp_path, users=users).start()
    try:
        job = alice.run("select 42 as answer", engine="hive")
        submits = [r for r in second.requests if r.path.endswith("/entrance/submit")]
        assert [r.user for r in submits] == [None, "alice"]  # refused at the gateway, then run
        assert sum(r.path.endswith("/user/login") for r in second.requests) == 1
        tasks, total = alice.list_jobs(executeApplicationName="hive")
        assert total == 2 and job.results[0].to_pandas()["answer"].tolist() == [42]
    finally:
        alice.close()
        second.stop()


def test_a_token_client_does_not_retry_a_refusal(local_linkis: LocalLinkis):
    with LinkisClient(local_linkis.url, user=local_linkis.user, token="bad") as bad:
        start = local_linkis.mark()
        with pytest.raises(LinkisAuthError):
            bad.status("exec_id_unknown")
        assert len(local_linkis.requests_since(start)) == 1
