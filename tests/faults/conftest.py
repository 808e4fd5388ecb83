"""A local Linkis with scripted faults (``linkis_magic.local.faults``) and clients of it.

Faults are a server setting; each test scripts the ones it needs (``faults``, from the root
conftest, which drops whatever a test left behind). Here the gateway's user is alice.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from linkis_magic.client import LinkisClient
from linkis_magic.local.faults import Faults
from linkis_magic.local.server import LocalLinkis


@pytest.fixture(scope="module")
def faulty_linkis(faults: Faults, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalLinkis]:
    with LocalLinkis(data_dir=tmp_path_factory.mktemp("faults"), users={"alice": {}}, faults=faults) as started:
        yield started


@pytest.fixture
def faulty_client(faulty_linkis: LocalLinkis) -> Iterator[LinkisClient]:
    """A password client (so expired sessions matter) with short timeouts."""
    with LinkisClient(faulty_linkis.url, user=faulty_linkis.user, password=faulty_linkis.password,
                      timeout=(2.0, 5.0)) as made:
        yield made

