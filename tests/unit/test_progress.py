"""Progress, status and log-array parsing, and the poll schedule's request budget."""

import itertools

import pytest

from linkis_magic.errors import LinkisProtocolError
from linkis_magic.job import PollSchedule, build_payload, parse_progress, parse_status
from linkis_magic.logs import log_lines
from linkis_magic.engines import resolve_engine
from linkis_magic.protocol import LOG_ERROR, JobStatus


@pytest.mark.parametrize("value, expected", [
    (0.35, 0.35), ("0.35", 0.35), ("1.0f", 1.0), ("1.0", 1.0), (1, 1.0), (-0.5, 0.5),
    (None, 0.0), ("", 0.0), ("abc", 0.0), (float("nan"), 0.0), (7.0, 1.0),
])
def test_parse_progress(value, expected):
    assert parse_progress(value) == pytest.approx(expected)


def test_parse_status():
    assert parse_status("WaitForRetry") is JobStatus.WAIT_FOR_RETRY
    with pytest.raises(LinkisProtocolError, match="'Unknown'"):
        parse_status("Unknown")


def test_log_lines_tolerates_a_string_log():
    assert log_lines("") == []
    assert log_lines(None) == []
    log = ["2024-01-01 00:00:00.000 ERROR boom", "", "a\nb", "a\n2024-01-01 00:00:00.000 ERROR boom\nb"]
    assert log_lines(log) == ["a", "2024-01-01 00:00:00.000 ERROR boom", "b"]
    assert log_lines(log, LOG_ERROR) == ["2024-01-01 00:00:00.000 ERROR boom"]


def requests_for(duration, details=("log", "progress"), schedule=PollSchedule()):
    """Requests one job of ``duration`` seconds costs: submit, ticks (the last one finds the end
    in job history, which also names the log file), openLog."""
    elapsed, count = 0.0, 1
    for delay, kinds in schedule.plan(details):
        elapsed += delay
        if "status" in kinds and elapsed >= duration - 1e-9:
            return count + 1 + 1, elapsed
        count += len(kinds)
    raise AssertionError("unreachable")


def test_schedule_polls_fast_then_backs_off_to_the_cap():
    schedule = PollSchedule()
    delays = [delay for delay, _ in itertools.islice(schedule.plan(), 40)]
    fast_ticks = int(schedule.fast_for / schedule.fast)
    assert delays[:fast_ticks] == [pytest.approx(schedule.fast)] * fast_ticks
    assert delays == sorted(delays) and delays[-1] == schedule.cap


def test_short_job_budget():
    count, seen_at = requests_for(1.0)
    assert count <= 15
    assert seen_at < 1.0 + PollSchedule().fast + 1e-9  # the end is noticed on the next fast tick


def test_long_job_budget():
    count, seen_at = requests_for(60.0)
    assert count / seen_at <= 1.2


def test_details_take_turns_and_replace_status_reads_after_the_fast_phase():
    ticks = list(itertools.islice(PollSchedule().plan(), 200))
    steady = [kinds for kinds in (k for _, k in ticks[30:])]
    assert all(len(kinds) == 1 for kinds in steady)
    details = [kind for (kind,) in steady if kind != "status"]
    assert details[:4] in (["log", "progress"] * 2, ["progress", "log"] * 2)
    assert len(details) * 2 == pytest.approx(len(steady), abs=2)  # status and a detail alternate


def test_no_listener_means_status_only():
    assert {kind for _, kinds in itertools.islice(PollSchedule().plan(()), 40) for kind in kinds} == {"status"}


def test_payload_shape():
    payload = build_payload("select 1", resolve_engine("hive"), "alice-LINKISMAGIC", "rid",
                            variables={"d": "1"}, startup={"q": "x"}, labels={"tenant": "t"},
                            source={"scriptPath": "a.sql"})
    assert payload == {
        "executionContent": {"code": "select 1", "runType": "hql"},
        "params": {"variable": {"d": "1"}, "configuration": {"startup": {"q": "x"}, "runtime": {}}},
        "labels": {"engineType": "hive-3.1.3", "userCreator": "alice-LINKISMAGIC", "tenant": "t"},
        "source": {"linkisMagicRequestId": "rid", "scriptPath": "a.sql"},
    }
