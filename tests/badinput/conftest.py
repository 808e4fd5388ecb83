"""An in-process IPython shell whose magics talk to the session's local Linkis, and a counter of
what that gateway received (so a test can show that nothing was sent)."""

from __future__ import annotations

from typing import Iterator

import pytest
from IPython.testing import globalipapp

from linkis_magic.client import LinkisClient
from linkis_magic.config import ENV_VARS
from linkis_magic.local.server import LocalLinkis
from linkis_magic.magic import LinkisMagics


@pytest.fixture
def shell(local_linkis: LocalLinkis, monkeypatch, tmp_path) -> Iterator[object]:
    """A shell with fresh magics pointed at ``local_linkis`` through the environment (token auth)."""
    for name in ENV_VARS:
        monkeypatch.delenv(name, raising=False)
    config = tmp_path / "config.toml"
    config.touch()
    monkeypatch.setenv("LINKIS_CONFIG", str(config))
    monkeypatch.setenv("LINKIS_URL", local_linkis.url)
    monkeypatch.setenv("LINKIS_USER", local_linkis.user)
    monkeypatch.setenv("LINKIS_TOKEN", local_linkis.token)
    globalipapp.start_ipython()
    ip = globalipapp.get_ipython()
    magics = LinkisMagics(ip)
    ip.register_magics(magics)
    yield ip
    magics.close()
    ip.user_ns.pop("_linkis_last", None)


@pytest.fixture
def client(local_linkis: LocalLinkis) -> Iterator[LinkisClient]:
    with LinkisClient(local_linkis.url, user=local_linkis.user, token=local_linkis.token) as made:
        yield made


def submits(gateway: LocalLinkis) -> int:
    """How many submits the gateway has received so far."""
    return sum(1 for record in gateway.requests if record.path.endswith("/entrance/submit"))
