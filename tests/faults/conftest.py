"""A local Linkis with scripted faults (``linkis_magic.local.faults``) and clients of it.

Faults are a server setting; each test scripts the ones it needs and an autouse fixture drops
whatever a test left behind.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from linkis_magic.client import LinkisClient
from linkis_magic.local.faults import Faults
from linkis_magic.local.server import LocalLinkis

USERS = {"alice": {"password": "alice-pw-faults", "token": "alice-token-faults"}}


class LogRecorder:
    """A job listener that keeps every log line and progress value it is given."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.progress: list[float] = []

    def on_log(self, job, lines: list[str]) -> None:
        self.lines.extend(lines)

    def on_progress(self, job) -> None:
        self.progress.append(job.progress)


@pytest.fixture(scope="module")
def faults() -> Faults:
    return Faults()


@pytest.fixture(scope="module")
def gateway(faults: Faults, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalLinkis]:
    with LocalLinkis(data_dir=tmp_path_factory.mktemp("faults"), users=USERS, faults=faults) as started:
        yield started


@pytest.fixture
def client(gateway: LocalLinkis) -> Iterator[LinkisClient]:
    """A password client (so expired sessions matter) with short timeouts."""
    with LinkisClient(gateway.url, user="alice", password=USERS["alice"]["password"],
                      timeout=(2.0, 5.0)) as made:
        yield made


@pytest.fixture(autouse=True)
def _no_fault_outlives_its_test(faults: Faults) -> Iterator[None]:
    """Faults are a server setting: whatever a test scripted (even if it failed) is dropped."""
    yield
    faults.clear()


def logged_lines(job) -> list[str]:
    """The job's whole log from the log file, blank lines dropped (as listeners get it)."""
    return [line for line in job.log_text().splitlines() if line.strip()]
