"""What a waiting client gets from one status poll: job history's task object brings the state
and the progress together (§7.1), so the progress bar moves on every poll."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from linkis_magic.client import LinkisClient
from linkis_magic.job import Job
from linkis_magic.local.server import LocalLinkis
from tests.support import count


@pytest.fixture
def scripted_client(scripted_linkis: LocalLinkis) -> Iterator[LinkisClient]:
    """A token client of ``scripted_linkis``."""
    with LinkisClient(scripted_linkis.url, user=scripted_linkis.user, token=scripted_linkis.token) as c:
        yield c


class ProgressSeen:
    """Notes, at each progress report, how many /progress requests the gateway had answered."""

    def __init__(self, gateway: LocalLinkis) -> None:
        self.gateway = gateway
        self.reports: list[tuple[float, int]] = []

    def on_progress(self, job: Job) -> None:
        self.reports.append((job.progress, count(self.gateway, "/progress")))


def test_progress_arrives_with_the_status_poll(scripted_linkis: LocalLinkis, scripted_client: LinkisClient):
    before = count(scripted_linkis, "/progress")
    seen = ProgressSeen(scripted_linkis)
    Job.submit(scripted_client, "progress 0.5\npause 1.2", "hive").wait(listener=seen)
    first_half = next(asked for progress, asked in seen.reports if progress == 0.5)
    assert first_half == before  # seen before the first /progress read (due at 1.4 s, for the stages)
    assert seen.reports[-1][0] == 1.0


def test_the_bar_never_moves_back_between_history_and_the_entrance(scripted_linkis: LocalLinkis,
                                                                   scripted_client: LinkisClient):
    """History stores 0.337 as "0.34"; the entrance's /progress then says 0.337."""
    before = count(scripted_linkis, "/progress")
    seen = ProgressSeen(scripted_linkis)
    Job.submit(scripted_client, "progress 0.337\npause 2.0", "hive").wait(listener=seen)
    progress = [value for value, _ in seen.reports]
    assert progress == sorted(progress) and progress[0] == 0.34 and progress[-1] == 1.0
    assert seen.reports[-2][1] > before  # the entrance's /progress was read (its stages were reported)
