"""Fixtures shared by every test directory.

``local_linkis`` is one real local gateway for the whole session, with the real engines, and two
users: the OS user (the default) and ``bob``.
"""

from __future__ import annotations

from typing import Iterator

import pytest

from linkis_magic.local.auth import default_user
from linkis_magic.local.server import LocalLinkis


@pytest.fixture(scope="session")
def local_linkis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalLinkis]:
    """A started LocalLinkis (real EnginePool) with users ``default_user()`` and ``bob``."""
    gateway = LocalLinkis(data_dir=tmp_path_factory.mktemp("local-linkis"),
                          users={default_user(): {}, "bob": {}})
    gateway.start()
    yield gateway
    gateway.stop()
