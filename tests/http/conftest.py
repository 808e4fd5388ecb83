"""Fixtures for the client tests: a gateway with faults and a client of it (``client`` and
``password_client``, of the shared gateway, are the root conftest's).

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


@pytest.fixture(scope="module")
def faulty_linkis(faults: Faults, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalLinkis]:
    """A gateway with scripted faults whose entrance remembers one finished job only."""
    gateway = LocalLinkis(data_dir=tmp_path_factory.mktemp("faulty-linkis"), users={default_user(): {}},
                          faults=faults, entrance_capacity=1)
    gateway.start()
    yield gateway
    gateway.stop()


@pytest.fixture
def faulty_client(faulty_linkis: LocalLinkis) -> Iterator[LinkisClient]:
    """A token client of the faulty gateway."""
    with LinkisClient(faulty_linkis.url, user=faulty_linkis.user, token=faulty_linkis.token,
                      timeout=(2.0, 10.0)) as c:
        yield c

