"""Fixtures for the gateway tests: a gateway with the scripted engine, and raw HTTP clients."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from linkis_magic.local.auth import default_user
from linkis_magic.local.server import LocalLinkis
from tests.local.gateway_api import Api
from tests.local.scripted_engine import SUPPORTED, ScriptedPool


@pytest.fixture(scope="session")
def scripted_linkis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalLinkis]:
    """A gateway whose engines are the scripted test engine; users: the OS user and bob."""
    gateway = LocalLinkis(data_dir=tmp_path_factory.mktemp("scripted-linkis"), users={default_user(): {}, "bob": {}},
                          engine_pool=ScriptedPool(), supported_engines=SUPPORTED)
    gateway.start()
    yield gateway
    gateway.stop()


@pytest.fixture
def api(scripted_linkis: LocalLinkis) -> Api:
    return Api(scripted_linkis)


@pytest.fixture
def bob(scripted_linkis: LocalLinkis) -> Api:
    return Api(scripted_linkis, "bob")
