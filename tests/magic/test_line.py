"""%linkis line commands, %linkis connect, the embedded gateway on first use, the password prompt."""

from __future__ import annotations

import getpass

import pytest
from IPython.core.error import UsageError
from IPython.utils.capture import capture_output

from linkis_magic import magic
from linkis_magic.config import ENV_VARS
from linkis_magic.magic import parse_cell
from linkis_magic.view import make_view
from tests.support import kills


def line(ip, text):
    with capture_output() as out:
        value = ip.run_line_magic("linkis", text)
    return value, out.stdout


def cell(ip, options, code):
    with capture_output():
        return ip.run_cell_magic("linkis", options, code)


def test_help_lists_every_command(ip):
    for text in ("", "help"):
        _, shown = line(ip, text)
        for name in ("jobs", "status TASK", "log TASK", "kill TASK", "result", "connect"):
            assert f"%linkis {name}" in shown


def test_unknown_command_and_bad_task_are_usage_errors(ip):
    with pytest.raises(UsageError, match="unknown command 'bogus'"):
        line(ip, "bogus")
    with pytest.raises(UsageError, match="usage: %linkis log TASK"):
        line(ip, "log abc")


def test_jobs_status_log_and_result_of_a_finished_task(ip):
    cell(ip, "shell", "echo from-the-log")
    task = ip.user_ns["_linkis_last"].task_id
    jobs, _ = line(ip, "jobs 5")
    assert jobs.iloc[0]["taskID"] == task and jobs.iloc[0]["status"] == "Succeed"
    assert len(jobs) <= 5 and str(jobs["createdTime"].dtype).startswith("datetime64")
    assert line(ip, f"status {task}")[1].strip() == f"task {task}: Succeed (100%)"
    assert "INFO from-the-log" in line(ip, f"log {task}")[1]
    results, _ = line(ip, f"result {task}")
    assert results[0].text().strip() == "from-the-log"


def test_kill_stops_a_running_task(ip, local_linkis, client):
    from linkis_magic.job import Job

    job = Job.submit(client, "sleep 20", engine="shell")
    before = local_linkis.mark()
    _, shown = line(ip, f"kill {job.task_id}")
    assert shown.startswith(f"killed task {job.task_id} after it ran ")
    assert kills(local_linkis, before) == [{"taskID": str(job.task_id)}]


def test_connect_url_profile_and_back(ip, local_linkis, tmp_path, monkeypatch):
    config = tmp_path / "profiles.toml"
    config.write_text(f'[profiles.here]\nurl = "{local_linkis.url}"\nuser = "{local_linkis.user}"\n'
                      f'token = "{local_linkis.token}"\n')
    monkeypatch.setenv("LINKIS_CONFIG", str(config))
    monkeypatch.setenv("LINKIS_URL", "http://127.0.0.1:9")  # the profile must outrank this
    _, shown = line(ip, "connect here")
    assert shown.strip() == f"linkis-magic: cells now run on {local_linkis.url} as {local_linkis.user}"
    assert cell(ip, "hive", "select 7 as n").iloc[0, 0] == 7
    with pytest.raises(UsageError, match="unknown profile 'elsewhere'.*here, local"):
        line(ip, "connect elsewhere")
    _, shown = line(ip, f"connect {local_linkis.url}")
    assert local_linkis.url in shown and local_linkis.token not in shown


def test_connect_refuses_a_url_that_is_not_http_and_keeps_the_old_one(ip, local_linkis):
    with pytest.raises(UsageError, match="http:// or https://"):
        line(ip, "connect ftp://gateway")
    assert cell(ip, "hive --progress none", "select 1 as n")["n"].tolist() == [1]


@pytest.mark.parametrize("url, message", [
    ("http://", "name a host"),
    ("http://bob:S3CRETPW@127.0.0.1:9", "bad value for url: 'http://***@127.0.0.1:9' (it must not hold a user"),
])
def test_connect_refuses_a_url_it_cannot_use_without_printing_its_password(ip, local_linkis, url, message):
    with pytest.raises(UsageError) as info:
        line(ip, f"connect {url}")
    assert message in str(info.value) and "S3CRETPW" not in str(info.value) and "\n" not in str(info.value)
    assert cell(ip, "hive --progress none", "select 1 as n")["n"].tolist() == [1]  # the old one holds


def test_connect_to_a_profile_of_a_named_config_file_that_is_missing_says_so(ip, tmp_path, monkeypatch):
    missing = tmp_path / "absent.toml"
    monkeypatch.setenv("LINKIS_CONFIG", str(missing))
    with pytest.raises(UsageError, match=f"config file {missing} does not exist"):
        line(ip, "connect prod")


def test_nothing_configured_starts_the_embedded_gateway_once(connect, local_linkis, monkeypatch,
                                                             tmp_path):
    ip = connect(local_linkis)
    for var in ENV_VARS:
        monkeypatch.delenv(var, raising=False)
    (tmp_path / "empty.toml").touch()
    monkeypatch.setenv("LINKIS_CONFIG", str(tmp_path / "empty.toml"))
    ip.run_line_magic("config", f"LinkisMagics.local_data_dir = {str(tmp_path / 'local')!r}")
    try:
        with capture_output() as first:
            assert ip.run_cell_magic("linkis", "hive", "select 1 as n").shape == (1, 1)
        with capture_output() as second:
            ip.run_cell_magic("linkis", "hive", "select 2 as n")
        assert "started the embedded local Linkis at http://127.0.0.1:" in first.stdout
        assert "embedded" not in second.stdout
        assert (tmp_path / "local").is_dir()
    finally:
        magic.shutdown()
    assert magic._LOCAL_SERVERS == []


def test_a_missing_password_is_asked_once_with_a_hidden_prompt(connect, local_linkis,
                                                              monkeypatch):
    ip = connect(local_linkis, secret=None)
    prompts = []

    def answer(prompt):
        prompts.append(prompt)
        return local_linkis.password

    monkeypatch.setattr(getpass, "getpass", answer)
    cell(ip, "hive", "select 1 as n")
    cell(ip, "hive", "select 2 as n")
    assert prompts == [f"Linkis password for {local_linkis.user} at {local_linkis.url}: "]


def test_shutdown_kills_jobs_still_running_and_is_idempotent(local_linkis, client):
    from linkis_magic.job import Job

    job = magic.submit(Job, client, parse_cell("shell", "sleep 20"), make_view("quiet"), creator="LINKISMAGIC")
    before = local_linkis.mark()
    magic.shutdown()
    magic.shutdown()
    assert kills(local_linkis, before) == [{"taskID": str(job.task_id)}]
    assert client.job_info(job.task_id)["status"] == "Cancelled"
