"""Bad input ends in one clear line and sends nothing (or is refused by the gateway and nothing is
lost); awkward but valid input (huge log lines, wide results) goes through whole."""

from __future__ import annotations

import socket
import ssl
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import requests
from IPython.core.error import UsageError

from linkis_magic.client import LinkisClient
from linkis_magic.errors import (
    InvalidCodeError,
    JobFailed,
    LinkisAuthError,
    LinkisConnectionError,
    LinkisRequestError,
    UnknownEngineError,
)
from linkis_magic.job import Job
from linkis_magic.local.app import MAX_CODE_BYTES
from linkis_magic.local.server import LocalLinkis
from linkis_magic.protocol import API_PREFIX, TOKEN_CODE_HEADER, TOKEN_USER_HEADER
from linkis_magic.results import ResultSet
from tests.support import Recorder, count


def one_line(error: BaseException) -> str:
    """The headline a notebook shows for the error (details such as errCode may follow on
    their own lines); the message itself must be a single line."""
    render = getattr(error, "_render_traceback_", None)
    lines = render() if render else [f"{type(error).__name__}: {error}"]
    assert "\n" not in str(error) and all("\n" not in line for line in lines), lines
    return lines[0]


def test_an_unknown_engine_from_python_is_refused_before_sending(client: LinkisClient, local_linkis: LocalLinkis):
    before = count(local_linkis, "/entrance/submit")
    with pytest.raises(UnknownEngineError, match="unknown engine 'impala'") as info:
        Job.submit(client, "select 1", engine="impala")
    one_line(info.value)
    assert count(local_linkis, "/entrance/submit") == before


@pytest.mark.parametrize("code", ["select '\udcff' as s", "echo \ud800"])
def test_text_that_is_not_utf8_is_refused_before_sending(shell, local_linkis: LocalLinkis, code):
    before = count(local_linkis, "/entrance/submit")
    with pytest.raises(InvalidCodeError, match="not valid UTF-8 text .* at position") as info:
        shell.run_cell_magic("linkis", "hive", code)
    assert isinstance(info.value, ValueError)
    one_line(info.value)
    assert count(local_linkis, "/entrance/submit") == before


@pytest.mark.parametrize("options, message", [
    ({"timeout": None}, "timeout must be a positive number of seconds or a \\(connect, read\\) pair"),
    ({"timeout": (5, None)}, "timeout must be a positive number"),
    ({"timeout": -1}, "timeout must be a positive number"),
    ({"retries": None}, "retries must be a whole number from 0: None"),
    ({"retries": "3"}, "retries must be a whole number from 0: '3'"),
    ({"verify": "no"}, "verify must be True or False"),
    ({"ca_bundle": "/nonexistent.pem"}, "ca_bundle '/nonexistent.pem' does not exist"),
    ({"ca_bundle": "/etc/hosts", "verify": False}, "ca_bundle= and verify=False contradict each other"),
])
def test_client_arguments_that_cannot_work_are_refused_when_it_is_made(options, message):
    with pytest.raises(ValueError, match=message) as info:
        LinkisClient("http://127.0.0.1:9", user="alice", token="tk", **options)
    one_line(info.value)


def test_job_and_result_arguments_that_cannot_work_are_refused_before_sending(client: LinkisClient,
                                                                             local_linkis: LocalLinkis):
    result = client.run("select 1 as n", engine="hive").results[0]
    job = Job.submit(client, "sleep 1", engine="shell")
    since = local_linkis.mark()
    for call, error, message in [
        (lambda: Job.attach(client, 1.7), TypeError, "task_id must be an int .*not float"),
        (lambda: Job.attach(client, True), TypeError, "task_id must be an int .*not bool"),
        (lambda: Job.submit(client, b"select 1"), TypeError, "the code must be a str, not bytes"),
        (lambda: Job.submit(client, "select 1", engine=None), TypeError, "the engine must be a str"),
        (lambda: job.wait(timeout=0), ValueError, "timeout must be None or a positive number of seconds: 0"),
        (lambda: job.wait(timeout=float("nan")), ValueError, "timeout must be None or a positive number"),
        (lambda: ResultSet(client, result.path, page_size=True), ValueError, "page_size must be a whole number"),
        (lambda: result.to_pandas(limit=-1), ValueError, "limit must be None or a whole number of rows from 0"),
    ]:
        with pytest.raises(error, match=message) as info:
            call()
        one_line(info.value)
    assert local_linkis.requests_since(since) == []
    assert job.wait().status == "Succeed"  # a refused wait neither killed nor stopped following it


def test_a_10_mb_cell_is_refused_by_the_gateway_naming_its_limit(client: LinkisClient):
    code = "select 1 as n -- " + "x" * (10 * 2**20)
    jobs_before = client.list_jobs(pageSize=1)[1]
    with pytest.raises(LinkisRequestError, match=f"10.0 MiB; this gateway accepts at most "
                                                 f"{MAX_CODE_BYTES // 2**20} MiB of code per job") as info:
        Job.submit(client, code, engine="hive")
    assert info.value.err_code == 20007 and info.value.http_status == 400
    one_line(info.value)
    assert client.list_jobs(pageSize=1)[1] == jobs_before  # refused whole: no half-made job


def test_code_just_under_the_limit_runs(client: LinkisClient):
    code = "select 1 as n -- " + "x" * (MAX_CODE_BYTES - 100)
    assert client.run(code, engine="hive").results[0].to_pandas()["n"].tolist() == [1]


def test_a_100000_character_log_line_arrives_whole_and_once(client: LinkisClient):
    listener = Recorder(progress=False)
    job = client.run("head -c 100000 /dev/zero | tr '\\0' x; echo", engine="shell", listener=listener)
    long = [line for line in listener.lines if "x" * 1000 in line]
    assert len(long) == 1 and long[0].endswith("x" * 100_000) and "x" * 100_001 not in long[0]
    assert job.results[0].text().strip() == "x" * 100_000


def test_a_1000_column_result(client: LinkisClient):
    columns = ", ".join(f"{i} as c{i}" for i in range(1000))
    frame = client.run(f"select {columns}", engine="hive").results[0].to_pandas()
    assert frame.shape == (1, 1000)
    assert list(frame.columns[:3]) == ["c0", "c1", "c2"] and frame.iloc[0].tolist() == list(range(1000))


def test_a_wrong_password_is_one_line_without_the_password(local_linkis: LocalLinkis):
    wrong = "Wrong-Horse-Battery-9"
    with LinkisClient(local_linkis.url, user=local_linkis.user, password=wrong) as client:
        with pytest.raises(LinkisAuthError, match="login as .* failed: wrong user name or password") as info:
            client.job_info(1)
    text = one_line(info.value)
    assert wrong not in text and wrong not in repr(info.value) and wrong not in repr(client)


@pytest.mark.parametrize("wrong", ['quo"te-token-9', "p\u00e4ss\\w\u00f6rd-token"])
def test_a_wrong_token_with_quotes_or_accents_is_one_line_without_the_token(local_linkis: LocalLinkis, wrong):
    # Linkis quotes a refused token back inside a JSON string, escaped (§2.2).
    with LinkisClient(local_linkis.url, user=local_linkis.user, token=wrong) as client:
        with pytest.raises(LinkisAuthError) as info:
            client.job_info(1)
    text = one_line(info.value)
    assert "***" in text and wrong not in text and wrong.replace("\\", "\\\\").replace('"', '\\"') not in text


def test_an_unreachable_gateway_is_one_line():
    with socket.socket() as probe:  # bound, never listening: connections are refused
        probe.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{probe.getsockname()[1]}"
        with LinkisClient(url, user="alice", token="tk", retries=0) as client:
            with pytest.raises(LinkisConnectionError, match=f"cannot reach {url}: Connection refused$") as info:
                Job.submit(client, "select 1", engine="hive")
    one_line(info.value)


# -- TLS ----------------------------------------------------------------------------------

class _LinkisLike(BaseHTTPRequestHandler):
    """Answers every GET with a Linkis envelope holding a job-history task."""

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        body = b'{"method":"/api/jobhistory/1/get","status":0,"message":"OK","data":{"task":{"taskID":1}}}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def tls_server(tmp_path: Path):
    """An HTTPS server on loopback with a self-signed certificate made now; yields (url, cert)."""
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj",
                    "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key),
                    "-out", str(cert)], check=True, capture_output=True, timeout=60)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _LinkisLike)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"https://127.0.0.1:{server.server_address[1]}", str(cert)
    server.shutdown()
    server.server_close()
    thread.join()


def test_a_certificate_that_fails_verification_is_refused_by_default(tls_server):
    url, _cert = tls_server
    with LinkisClient(url, user="alice", token="tk", retries=0) as client:
        with pytest.raises(LinkisConnectionError, match="CERTIFICATE_VERIFY_FAILED") as info:
            client.job_info(1)
    one_line(info.value)


def test_a_ca_bundle_makes_the_certificate_trusted(tls_server):
    url, cert = tls_server
    with LinkisClient(url, user="alice", token="tk", ca_bundle=cert) as client:
        assert client.job_info(1) == {"taskID": 1}


def test_the_environment_ca_bundle_is_used_but_never_over_an_explicit_one(tls_server, tmp_path, monkeypatch):
    url, cert = tls_server
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", cert)
    with LinkisClient(url, user="alice", token="tk") as client:
        assert client.job_info(1) == {"taskID": 1}
    other = tmp_path / "other-ca.pem"  # a CA that did not sign the server's certificate
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=other",
                    "-keyout", str(tmp_path / "other.key"), "-out", str(other)], check=True, capture_output=True,
                   timeout=60)
    with LinkisClient(url, user="alice", token="tk", ca_bundle=str(other), retries=0) as client:
        with pytest.raises(LinkisConnectionError, match="CERTIFICATE_VERIFY_FAILED"):
            client.job_info(1)


def test_proxies_and_no_proxy_come_from_the_environment(local_linkis: LocalLinkis, monkeypatch):
    with socket.socket() as dead:  # a proxy that refuses every connection
        dead.bind(("127.0.0.1", 0))
        monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{dead.getsockname()[1]}")
        monkeypatch.delenv("NO_PROXY", raising=False)
        monkeypatch.delenv("no_proxy", raising=False)
        monkeypatch.delenv("http_proxy", raising=False)
        with LinkisClient(local_linkis.url, user=local_linkis.user, token=local_linkis.token, retries=0) as client:
            with pytest.raises(LinkisConnectionError, match="cannot reach"):
                client.job_info(1)
        monkeypatch.setenv("NO_PROXY", "127.0.0.1")
        with LinkisClient(local_linkis.url, user=local_linkis.user, token=local_linkis.token) as client:
            with pytest.raises(LinkisRequestError, match="job was not found"):  # the gateway answered
                client.job_info(987654321)


def test_the_gateway_itself_refuses_code_that_is_not_utf8(local_linkis: LocalLinkis):
    # Another client may send JSON escapes of lone surrogates; the gateway refuses before persisting.
    body = ('{"executionContent": {"code": "select \'\\udcff\'", "runType": "hql"}, '
            f'"labels": {{"engineType": "hive-3.1.3", "userCreator": "{local_linkis.user}-LINKISMAGIC"}}}}')
    answer = requests.post(local_linkis.url + API_PREFIX + "/entrance/submit", data=body, timeout=10,
                           headers={"Content-Type": "application/json", TOKEN_USER_HEADER: local_linkis.user,
                                    TOKEN_CODE_HEADER: local_linkis.token}).json()
    assert answer["status"] == 1 and "not valid UTF-8 text" in answer["message"]


@pytest.mark.parametrize("line, message", [
    ("describe", "usage: %linkis describe [DATABASE.]TABLE"),
    ("describe a.b.c", "not a table name: 'a.b.c' (use TABLE or DATABASE.TABLE); usage: %linkis describe"),
    ("preview", "usage: %linkis preview [DATABASE.]TABLE [N]"),
    ("preview default.t many", "usage: %linkis preview [DATABASE.]TABLE [N]"),
    ("tables a b", "usage: %linkis tables [DATABASE] [--like PATTERN]"),
    ("tables --like", "usage: %linkis tables [DATABASE] [--like PATTERN]"),
    ("databases now", "usage: %linkis databases"),
])
def test_catalog_commands_refuse_malformed_lines_before_sending(shell, local_linkis: LocalLinkis, line, message):
    refused = refused_before_sending(shell, local_linkis, line)
    assert refused.startswith(message) and "\n" not in refused


@pytest.mark.parametrize("line, message", [
    ("jobs 0", "usage: %linkis jobs [N | --running] (N: a whole number from 1)"),
    ("jobs 99999999999999999999", "usage: %linkis jobs [N | --running] (N: a whole number from 1)"),
    ("preview default.t 0", "usage: %linkis preview [DATABASE.]TABLE [N] (N: a whole number from 1)"),
    ("engines kill --idle -5", "usage: %linkis engines [kill ID | kill --idle MINUTES] (MINUTES: a number from 0)"),
    ("engines kill --idle nan", "usage: %linkis engines [kill ID | kill --idle MINUTES] (MINUTES: a number from 0)"),
    ("help me", "usage: %linkis help"),
])
def test_line_commands_refuse_bad_numbers_before_sending(shell, local_linkis: LocalLinkis, line, message):
    assert refused_before_sending(shell, local_linkis, line) == message


def refused_before_sending(shell, gateway: LocalLinkis, line: str) -> str:
    """The ``UsageError`` a ``%linkis`` line ends in; the gateway must have received nothing."""
    since = gateway.mark()
    with pytest.raises(UsageError) as info:
        shell.run_line_magic("linkis", line)
    assert gateway.requests_since(since) == []
    return str(info.value)


@pytest.mark.parametrize("line, message", [
    ("describe no_such_db_x.t", "no database 'no_such_db_x' (databases: default"),
    ("tables no_such_db_x", "no database 'no_such_db_x' (databases: default"),
    ("describe default.no_such_table_x", "no table default.no_such_table_x, or you may not read it"),
    ("preview no_such_table_x", "no table default.no_such_table_x, or you may not read it"),
])
def test_an_unknown_database_or_table_is_one_line_naming_it(shell, line, message):
    with pytest.raises(UsageError) as info:
        shell.run_line_magic("linkis", line)
    assert str(info.value).startswith(message) and "\n" not in str(info.value)


@pytest.fixture(scope="module")
def two_results(local_linkis: LocalLinkis) -> int:
    with LinkisClient(local_linkis.url, user=local_linkis.user, token=local_linkis.token) as made:
        return made.run("select 1 as a; select 2 as b", engine="hive").task_id


@pytest.mark.parametrize("target, force, message", [
    ("out.pdf", "", "cannot write 'out.pdf': the extension must be one of .csv, .tsv, .xlsx, .parquet, .jsonl"),
    ("exists.csv", "", "exists; use --force"),
    ("missing/out.csv", "", "cannot write .*: no directory"),
])
def test_a_download_target_that_cannot_be_written_is_one_line(shell, two_results, tmp_path, target, force, message):
    folder = tmp_path / "out"
    folder.mkdir()
    (folder / "exists.csv").write_text("mine")
    with pytest.raises(UsageError, match=message) as info:
        shell.run_line_magic("linkis", f"download {two_results} {folder / target} {force}")
    assert "\n" not in str(info.value)
    assert (folder / "exists.csv").read_text() == "mine"
    assert [p.name for p in folder.iterdir()] == ["exists.csv"]  # nothing half-written


def test_a_download_into_a_directory_that_refuses_leaves_nothing(shell, two_results):
    with pytest.raises(UsageError, match="/proc") as info:  # not writable, even as root
        shell.run_line_magic("linkis", f"download {two_results} /proc/linkis-out.csv")
    assert "\n" not in str(info.value)
    assert not [p for p in Path("/proc").iterdir() if p.name.startswith(".linkis-out")]


@pytest.mark.parametrize("line, message", [
    ("download {task} {dir}/out.csv --result 2", "task .* has 2 result set\\(s\\): --result 2 is out of range"),
    ("download {task} {dir}/out.csv --result all", "several result sets go to .xlsx only"),
    ("download {task}", "usage: %linkis download TASK PATH"),
    ("download x {dir}/out.csv", "usage: %linkis download TASK PATH"),
])
def test_download_refuses_a_bad_choice_of_result(shell, two_results, tmp_path, line, message):
    folder = tmp_path / "out"
    folder.mkdir()
    with pytest.raises(UsageError, match=message) as info:
        shell.run_line_magic("linkis", line.format(task=two_results, dir=folder))
    assert list(folder.iterdir()) == [] and "\n" not in str(info.value)


def test_a_failed_task_has_nothing_to_download(shell, client: LinkisClient, tmp_path):
    failed = Job.submit(client, "select * from no_such_table_for_download", engine="hive")
    with pytest.raises(JobFailed):
        failed.wait()
    with pytest.raises(UsageError, match=f"task {failed.task_id} is Failed: only a job that succeeded") as info:
        shell.run_line_magic("linkis", f"download {failed.task_id} {tmp_path}/out.csv")
    assert "\n" not in str(info.value) and not list(tmp_path.glob("*out.csv*"))


def test_a_cell_with_a_bad_target_sends_nothing(shell, local_linkis: LocalLinkis, tmp_path):
    (tmp_path / "taken.parquet").write_text("mine")
    since = local_linkis.mark()
    with pytest.raises(UsageError, match="exists; use --force"):
        shell.run_cell_magic("linkis", f"hive --to {tmp_path / 'taken.parquet'}", "select 1")
    assert count(local_linkis, "/entrance/submit", since) == 0


@pytest.mark.parametrize("setup, line, message", [
    ({"rows": [1, 2]}, "upload rows t", "only a pandas DataFrame can be uploaded, not a list"),
    ({}, "upload missing_frame t", "no variable 'missing_frame' in the notebook"),
    ({"df": "frame"}, "upload df", "usage: %linkis upload DF"),
    ({"df": "frame"}, "upload df a.b.c", "not a table name: 'a.b.c'"),
    ({"df": "frame"}, "upload df t --mode merge", "unknown mode 'merge'"),
])
def test_upload_refuses_what_it_cannot_load_before_sending(shell, local_linkis: LocalLinkis, setup, line, message):
    import pandas as pd

    shell.user_ns.update({key: pd.DataFrame({"a": [1]}) if value == "frame" else value for key, value in setup.items()})
    since = local_linkis.mark()
    with pytest.raises(UsageError) as info:
        shell.run_line_magic("linkis", line)
    assert message in str(info.value) and "\n" not in str(info.value)
    assert local_linkis.requests_since(since) == []


def test_upload_from_the_notebook_then_query(shell):
    import pandas as pd

    shell.user_ns["prices"] = pd.DataFrame({"item": ["tea", "cake"], "price": [4.5, 3.0]})
    shell.run_line_magic("linkis", "upload prices notebook_prices --mode overwrite")
    back = shell.run_cell_magic("linkis", "hive --quiet", "select * from notebook_prices order by item")
    assert back.to_dict("list") == {"item": ["cake", "tea"], "price": [3.0, 4.5]}
