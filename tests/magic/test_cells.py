"""%%linkis in an in-process shell against a real local gateway: options, results, failures."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from IPython.core.error import UsageError
from IPython.utils.capture import capture_output

from linkis_magic.errors import JobFailed, JobTimeout
from linkis_magic.local.auth import default_user
from linkis_magic.local.faults import Faults
from linkis_magic.local.server import LocalLinkis
from tests.support import count, kills, open_descriptors, our_threads


def run(ip, line, cell):
    """Run one %%linkis cell; return (value, captured output)."""
    with capture_output() as out:
        value = ip.run_cell_magic("linkis", line, cell)
    return value, out


def plain(out) -> list[str]:
    """The text/plain of every rich display in a capture."""
    return [o.data.get("text/plain", "") for o in out.outputs]


def test_table_result_is_a_typed_frame_returned_and_stored(ip):
    value, out = run(ip, "hive -o df", "select 1 as n, 'x' as s, cast(2.5 as double) as d, "
                     "cast('2024-01-02' as date) as day, true as ok")
    assert value is ip.user_ns["df"]
    assert value.to_dict("records") == [{"n": 1, "s": "x", "d": 2.5,
                                         "day": pd.Timestamp("2024-01-02"), "ok": True}]
    assert str(value.dtypes["n"]) == "Int64" and value.dtypes["d"] == "float64"
    assert pd.api.types.is_datetime64_any_dtype(value["day"])
    job = ip.user_ns["_linkis_last"]
    assert [rs.kind for rs in job.results] == ["table"]
    assert any(text.startswith(f"Linkis task {job.task_id} · Succeed") and "1 row × 5 columns"
               in text for text in plain(out))


def test_last_table_is_the_value_and_every_result_set_stays_reachable(ip):
    value, _ = run(ip, "hive", "select 1 as a;\nselect 2 as b, 3 as c")
    assert list(value.columns) == ["b", "c"]
    results = ip.user_ns["_linkis_last"].results
    assert len(results) == 2 and list(results[0].to_pandas().columns) == ["a"]
    assert ip.run_line_magic("linkis", "result")[1].path == results[1].path


def test_limit_caps_the_rows_fetched(ip):
    value, _ = run(ip, "hive --limit 7", "select * from range(100) t(i)")
    assert len(value) == 7


def test_variables_are_substituted_by_the_server(ip):
    value, _ = run(ip, "hive --var n=41 --var word=hi", "select ${n} + 1 as n, '${word}' as w")
    assert value.to_dict("records") == [{"n": 42, "w": "hi"}]


def test_configuration_run_type_and_creator_reach_the_job_history(ip, client):
    run(ip, "spark --conf spark.executor.instances=2 --runtime-conf wds.x=1 --run-type py "
        "--creator NOTEBOOK", "print('from python')")
    task = client.job_info(ip.user_ns["_linkis_last"].task_id)
    params = json.loads(task["paramsJson"])
    assert params["configuration"]["startup"] == {"spark.executor.instances": "2"}
    assert params["configuration"]["runtime"]["wds.x"] == "1"
    assert task["runType"] == "py" and task["requestApplicationName"] == "NOTEBOOK"


def test_text_results_are_printed_and_the_cell_has_no_value(ip):
    value, out = run(ip, "shell", "echo hello; echo world")
    assert value is None
    assert "hello\nworld" in out.stdout


def test_text_mode_reports_states_and_the_log(ip):
    _, out = run(ip, "shell --progress text", "echo one")
    task = ip.user_ns["_linkis_last"].task_id
    assert f"[linkis] task {task} submitted" in out.stdout
    assert f"[linkis] task {task} Succeed" in out.stdout
    assert "INFO one" in out.stdout
    assert not any(text.startswith("Log (") for text in plain(out))  # already printed


def test_progress_none_shows_only_the_summary_and_the_log_tail(ip):
    _, out = run(ip, "shell --progress none", "echo one")
    assert "[linkis]" not in out.stdout
    [text] = plain(out)  # one output: the summary, then the log tail
    summary, title = text.splitlines()[:2]
    assert summary.startswith("Linkis task") and title.startswith("Log (")
    assert "INFO one" in text


def test_quiet_shows_nothing_but_the_results(ip):
    value, out = run(ip, "hive --quiet", "select 1 as a")
    assert value.shape == (1, 1)
    assert out.stdout == "" and out.outputs == []


def test_widget_mode_displays_a_panel_then_blanks_it_for_a_summary_and_a_bounded_log(ip):
    _, out = run(ip, "shell --progress widget", "for i in $(seq 1 300); do echo line $i; done")
    panel, blanked, outcome = out.outputs[:3]
    assert panel.data["text/plain"] == "Linkis job (live panel)"
    assert "application/vnd.jupyter.widget-view+json" in panel.data
    assert blanked.data == {"text/plain": ""}  # the panel's place, updated (not "Loading widget..." once saved)
    summary, title = outcome.data["text/plain"].splitlines()[:2]
    assert summary.startswith("Linkis task") and "last 200 of" in title
    assert "line 300\n" in outcome.data["text/plain"]
    assert outcome.data["text/html"].startswith("<div class='linkis-summary'>")
    assert "<details class='linkis-log'>" in outcome.data["text/html"]


def test_failure_raises_with_task_error_code_and_how_to_read_the_log(ip):
    with pytest.raises(JobFailed) as info:
        run(ip, "hive", "select * from no_such_table")
    rendered = "\n".join(info.value._render_traceback_())
    assert f"%linkis log {info.value.task_id}" in rendered and "errCode" in rendered
    assert info.value.status == "Failed"
    assert ip.user_ns["_linkis_last"].task_id == info.value.task_id  # its log stays reachable


def test_failure_ends_the_cell_in_error_with_a_short_message(ip, capsys):
    result = ip.run_cell("%%linkis shell\necho bad >&2; exit 3")
    assert isinstance(result.error_in_exec, JobFailed)
    shown = capsys.readouterr().out
    assert "JobFailed: task" in shown and "Traceback" not in shown and "magic.py" not in shown


def test_timeout_kills_the_job_and_says_so(ip, local_linkis, client):
    before = local_linkis.mark()
    with pytest.raises(JobTimeout, match="did not finish in time") as info:
        run(ip, "shell --timeout 1", "sleep 20")
    assert [k.get("taskID") for k in kills(local_linkis, before)] == [str(info.value.task_id)]
    assert client.job_info(info.value.task_id)["status"] == "Cancelled"


def test_a_timeout_set_with_config_kills_the_job_too(ip, local_linkis, client):
    magics = ip.magics_manager.registry["LinkisMagics"]
    before = local_linkis.mark()
    magics.timeout = 1.0
    try:
        with pytest.raises(JobTimeout) as info:
            run(ip, "shell --progress none", "sleep 20")
    finally:
        magics.timeout = None
    assert [k.get("taskID") for k in kills(local_linkis, before)] == [str(info.value.task_id)]
    assert client.job_info(info.value.task_id)["status"] == "Cancelled"


def test_a_user_name_linkis_cannot_carry_is_a_usage_error(ip, local_linkis, monkeypatch):
    monkeypatch.setenv("LINKIS_USER", "john-doe")
    submits = count(local_linkis, "/entrance/submit")
    with pytest.raises(UsageError, match="cannot contain '-'"):
        run(ip, "hive", "select 1")
    assert count(local_linkis, "/entrance/submit") == submits


@pytest.mark.parametrize(
    ("line", "cell", "message"),
    [
        ("hive --bogus", "select 1", "unrecognized arguments"),
        ("pig", "a = load 'x';", "unknown engine 'pig'"),
        ("hive", "   ", "the cell is empty"),
        ("hive -o 2df", "select 1", "-o needs"),
        ("hive --creator my-app", "select 1", "bad value for creator"),
        ("hive --creator LINKISCLI", "select 1", "creator LINKISCLI is watched by Linkis's client heartbeat"),
        ("flink", "select 1", "unknown engine 'flink'; known engines: hive, spark"),
        ("hive", "   \n\t\n", "the cell is empty"),
        ("hive --limit many", "select 1", "argument --limit: invalid int value: 'many'"),
        ("hive --limit 0", "select 1", "--limit must be a positive number of rows"),
        ("hive --var novalue", "select 1", "--var needs NAME=VALUE, not 'novalue'"),
        ("hive --conf =1", "select 1", "--conf needs NAME=VALUE"),
        ("hive --timeout -3", "select 1", "--timeout must be a positive number of seconds"),
        ("hive -o 1df", "select 1", "-o needs a Python variable name"),
        ("hive --progress loud", "select 1", "invalid choice: 'loud'"),
        ("hive 'unclosed", "select 1", "cannot parse the options"),
        ("", "select 1", "the following arguments are required: engine"),
    ],
)
def test_usage_errors_are_one_line_and_submit_nothing(ip, local_linkis, line, cell, message):
    submits = count(local_linkis, "/entrance/submit")
    with pytest.raises(UsageError, match=message) as info:
        run(ip, line, cell)
    assert type(info.value) is UsageError and "\n" not in str(info.value)
    assert count(local_linkis, "/entrance/submit") == submits


def test_secrets_never_reach_the_output(ip, local_linkis):
    _, out = run(ip, "shell --progress widget", "echo hi")
    _, text = run(ip, "shell --progress text", "echo hi")
    settings = ip.magics_manager.registry["LinkisMagics"].settings()
    shown = out.stdout + text.stdout + repr(settings) + json.dumps([o.data for o in out.outputs])
    assert local_linkis.password not in shown and local_linkis.token not in shown


def test_threads_and_sockets_do_not_grow_across_cells(ip):
    for _ in range(2):  # warm up: the client's connection pool and the job worker threads
        run(ip, "hive --progress widget", "select 1 as n")
    threads, sockets = our_threads(), open_descriptors()[1]
    for _ in range(5):
        run(ip, "hive --progress widget", "select 1 as n")
        run(ip, "shell --progress text", "echo hi")
    assert our_threads() <= threads
    assert open_descriptors()[1] <= sockets


@pytest.fixture(scope="module")
def forgetful_linkis(tmp_path_factory):
    """A gateway whose entrance forgot every job and whose log files are completed 30 s late."""
    faults = Faults()
    with LocalLinkis(data_dir=tmp_path_factory.mktemp("forgetful"), users={default_user(): {}},
                     faults=faults) as gateway:
        faults.forget_jobs()
        faults.delay_log_close(30.0, times=None)
        yield gateway


def test_a_log_that_may_be_incomplete_says_so_under_the_summary(connect, forgetful_linkis):
    ip = connect(forgetful_linkis)
    _, out = run(ip, "shell --progress none", "echo hello")
    task_id = ip.user_ns["_linkis_last"].task_id
    summary, note = plain(out)[0].splitlines()[:2]
    assert summary.startswith(f"Linkis task {task_id} · Succeed")
    assert note == (f"linkis-magic: the log of task {task_id} may be incomplete: its file had no closing line yet; "
                    f"%linkis log {task_id} reads it again")


def test_a_cell_creator_does_not_make_a_new_client(connect, local_linkis, client):
    ip = connect(local_linkis)  # a password login: a new client would log in again
    run(ip, "hive --progress none", "select 1 as n")
    since = local_linkis.mark()
    run(ip, "hive --progress none --creator NOTEBOOK", "select 2 as n")
    run(ip, "hive --progress none", "select 3 as n")
    assert count(local_linkis, "/user/login", since) == 0
    assert client.job_info(ip.user_ns["_linkis_last"].task_id - 1)["requestApplicationName"] == "NOTEBOOK"
