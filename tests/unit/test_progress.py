"""Progress, status and log-array parsing, and the poll schedule's request budget."""

import pytest

from linkis_magic.engines import resolve_engine
from linkis_magic.errors import LinkisProtocolError
from linkis_magic.job import build_payload, parse_progress, parse_status
from linkis_magic.logs import log_lines
from linkis_magic.protocol import LOG_ERROR, JobStatus
from linkis_magic.schedule import Poller, PollSchedule, Read


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


class SimulatedJob:
    """A job for the poller to follow, with answers that take no time: it ends ``duration``
    seconds after submit, writing a line every ``1 / lines_per_second`` seconds, and its closing
    line as it ends (§4.4.1)."""

    def __init__(self, duration: float, lines_per_second: float = 0.0) -> None:
        self.duration, self.rate = duration, lines_per_second
        self.log_reads: list[tuple[float, int]] = []

    def lines_until(self, t: float) -> int:
        return int(min(t, self.duration) * self.rate) if self.rate else 0

    def follow(self, schedule=PollSchedule(), *, log=True, progress=True) -> tuple[int, float]:
        """``(requests, when the end was seen)``: submit, every read, and the rest of the log
        when the closing line was not among the lines read."""
        poller = Poller(schedule, log=log, progress=progress, now=0.0)
        requests, shown, closing = 1, 0, False
        while True:
            t, kind = poller.next()
            requests += 1
            ended = t >= self.duration
            if kind is Read.STATUS:
                if ended:
                    return requests + (1 if log and not closing else 0), t
                poller.after_status(t)
            elif kind is Read.LOG:
                new = self.lines_until(t) - shown
                shown += new
                closing = ended
                self.log_reads.append((t, new))
                poller.after_log(t, lines=new, closing=closing)
            elif kind is Read.PROGRESS:
                poller.after_progress(t, 1.0 if ended else min(t / self.duration, 0.99))
            else:
                poller.after_entrance(t, ended)


def test_without_a_log_reader_history_is_read_fast_then_less_and_less_often():
    poller = Poller(PollSchedule(), log=False, progress=False, now=0.0)
    times = []
    for _ in range(40):
        t, kind = poller.next()
        if kind is Read.STATUS:
            times.append(t)
            poller.after_status(t)
        else:
            poller.after_entrance(t, False)
    gaps = [b - a for a, b in zip(times, times[1:])]
    fast_ticks = int(PollSchedule().fast_for / PollSchedule().fast)
    assert gaps[:fast_ticks - 1] == pytest.approx([PollSchedule().fast] * (fast_ticks - 1))
    rounded = [round(gap, 9) for gap in gaps]
    assert rounded == sorted(rounded) and gaps[-1] == PollSchedule().cap


@pytest.mark.parametrize("log", [True, False])
def test_a_quiet_one_second_job_costs_at_most_15_requests_and_its_end_is_seen_at_once(log):
    requests, seen_at = SimulatedJob(1.0).follow(log=log, progress=log)
    assert requests <= 15
    assert seen_at < 1.0 + PollSchedule().fast + 1e-9  # the next fast tick sees the end


def test_a_quiet_sixty_second_job_costs_at_most_1_2_requests_a_second():
    requests, seen_at = SimulatedJob(60.0).follow()
    assert requests / seen_at <= 1.2
    assert seen_at - 60.0 < PollSchedule().log_quiet  # the end is still seen within a few seconds


def test_a_job_writing_two_lines_a_second_is_read_often_and_within_budget():
    job = SimulatedJob(30.0, lines_per_second=2.0)
    requests, _ = job.follow()
    assert requests / 30.0 <= 2.5
    # After the first seconds a line waits at most one busy interval, and a read that found
    # nothing is followed by one that does.
    steady = [t for t, _ in job.log_reads if t > 2.0]
    assert max(b - a for a, b in zip(steady, steady[1:])) <= 2 * PollSchedule().log_busy + 1e-9


def test_the_log_is_read_less_often_when_it_stops_and_more_when_it_starts_again():
    poller = Poller(PollSchedule(), log=True, progress=False, now=0.0)
    t, answers, gaps = 2.0, [3, 0, 0, 0, 0, 0, 2, 1], []
    for new in answers:
        poller.after_log(t, lines=new, closing=False)
        gaps.append(poller.due[Read.LOG] - t)
        t = poller.due[Read.LOG]
    busy, quiet = PollSchedule().log_busy, PollSchedule().log_quiet
    # Lines came lately for one more interval; then each empty read doubles the wait.
    assert gaps == pytest.approx([busy, busy, 2 * busy, 4 * busy, quiet, quiet, busy, busy])


def test_the_first_history_read_takes_a_log_read_turn():
    poller = Poller(PollSchedule(), log=True, progress=False, now=0.0)
    fast = PollSchedule().fast
    t, kinds = 0.0, []
    while t < 1.0:
        t, kind = poller.next()
        kinds.append(kind)
        poller.after_status(t) if kind is Read.STATUS else poller.after_log(t, lines=0, closing=False)
    assert kinds.count(Read.STATUS) == 1 and len(kinds) == int(1.0 / fast) + 1


def test_the_closing_line_or_a_full_progress_sends_for_history_at_once():
    poller = Poller(PollSchedule(), log=True, progress=False, now=0.0)
    poller.after_log(3.0, lines=2, closing=True)
    assert poller.next() == (3.0, Read.STATUS) and Read.LOG not in poller.due
    poller.after_status(3.01)  # history has not caught up yet: asked again a tick later
    assert poller.next() == (pytest.approx(3.01 + PollSchedule().fast), Read.STATUS)
    other = Poller(PollSchedule(), log=False, progress=True, now=0.0)
    other.after_progress(7.0, 1.0)
    assert other.next() == (7.0, Read.STATUS)


def test_the_entrance_is_asked_every_10_s_and_a_second_after_a_hint_of_the_end():
    # History can lose a job's end (§4.3): the entrance is the check, at the default numbers.
    poller = Poller(PollSchedule(), log=False, progress=False, now=0.0)
    asked, t = [], 0.0
    while t < 35.0:
        t, kind = poller.next()
        if kind is Read.ENTRANCE:
            asked.append(t)
            poller.after_entrance(t, ended=False)
        else:
            poller.after_status(t)
    assert asked == pytest.approx([10.0, 20.0, 30.0])
    hinted = Poller(PollSchedule(), log=True, progress=False, now=0.0)
    hinted.after_log(3.0, lines=1, closing=True)
    assert hinted.due[Read.ENTRANCE] == pytest.approx(4.0)


def test_without_the_entrance_log_history_alone_decides():
    poller = Poller(PollSchedule(), log=True, progress=False, now=0.0)
    poller.after_status(0.3)  # the first history read, at 0.3 s
    poller.log_gone(0.5)
    assert Read.LOG not in poller.due and not poller.reads_log
    assert poller.next() == (pytest.approx(0.5 + PollSchedule().fast), Read.STATUS)  # fast while young
    poller.after_status(0.58)
    assert poller.next() == (pytest.approx(0.58 + PollSchedule().fast), Read.STATUS)
    poller.after_status(2.0)  # then backing off towards the cap, as without a reader
    assert poller.next()[0] == pytest.approx(2.0 + PollSchedule().fast * PollSchedule().factor)


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
