"""Fixtures for the client tests: clients of the shared local Linkis, and gateways with faults.

Faults are a server setting (``LocalLinkis(faults=Faults())``, ``linkis_magic.local.faults``): a
test scripts the ones it needs (a 503, an HTML page, a slow reply).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from linkis_magic.client import LinkisClient
from linkis_magic.local.auth import default_user
from linkis_magic.local.faults import Faults
from linkis_magic.local.server import LocalLinkis


@pytest.fixture
def client(local_linkis: LocalLinkis) -> Iterator[LinkisClient]:
    """A password client of the shared gateway."""
    with LinkisClient(local_linkis.url, user=local_linkis.user, password=local_linkis.password) as c:
        yield c


@pytest.fixture
def token_client(local_linkis: LocalLinkis) -> Iterator[LinkisClient]:
    """A token client of the shared gateway."""
    with LinkisClient(local_linkis.url, user=local_linkis.user, token=local_linkis.token) as c:
        yield c


@pytest.fixture(scope="module")
def faults() -> Faults:
    return Faults()


@pytest.fixture(scope="module")
def faulty_linkis(faults: Faults, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalLinkis]:
    """A gateway with scripted faults whose entrance remembers one finished job only."""
    gateway = LocalLinkis(data_dir=tmp_path_factory.mktemp("faulty-linkis"), users={default_user(): {}},
                          faults=faults, entrance_capacity=1)
    gateway.start()
    yield gateway
    gateway.stop()


@pytest.fixture
def faulty_client(faulty_linkis: LocalLinkis, faults: Faults) -> Iterator[LinkisClient]:
    """A token client of the faulty gateway; faults left over by a test are dropped."""
    with LinkisClient(faulty_linkis.url, user=faulty_linkis.user, token=faulty_linkis.token,
                      timeout=(2.0, 10.0)) as c:
        yield c
    faults.clear()

