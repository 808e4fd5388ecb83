"""Fixtures for the client tests: clients of the shared local Linkis, and gateways with faults.

Faults are a server setting (``LocalLinkis(faults=...)``): :class:`ScriptedFaults` answers chosen
requests itself (a 503, an HTML page, a slow reply) before the gateway sees them.
"""

from __future__ import annotations

import asyncio
import re
import threading
from dataclasses import dataclass
from typing import Iterator, Optional, Union

import pytest
from starlette.requests import Request
from starlette.responses import Response

from linkis_magic.client import LinkisClient
from linkis_magic.local.auth import default_user
from linkis_magic.local.server import LocalLinkis


@dataclass
class Rule:
    method: str
    path: re.Pattern
    answer: Union[Response, float]  # a response, or seconds to stall before the gateway answers
    times: int


class ScriptedFaults:
    """Answers the next ``times`` requests matching ``method`` and ``path`` (a regex) itself."""

    def __init__(self) -> None:
        self._rules: list[Rule] = []
        self._lock = threading.Lock()

    def add(self, method: str, path: str, answer: Union[Response, float], times: int = 1) -> None:
        with self._lock:
            self._rules.append(Rule(method, re.compile(path), answer, times))

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()

    def _take(self, request: Request) -> Optional[Rule]:
        with self._lock:
            for rule in self._rules:
                if rule.times > 0 and rule.method == request.method and rule.path.search(request.url.path):
                    rule.times -= 1
                    return rule
        return None

    async def intercept(self, request: Request, user: Optional[str]) -> Optional[Response]:
        rule = self._take(request)
        if rule is None:
            return None
        if isinstance(rule.answer, Response):
            return rule.answer
        await asyncio.sleep(rule.answer)
        return None


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
def faults() -> ScriptedFaults:
    return ScriptedFaults()


@pytest.fixture(scope="module")
def faulty_linkis(faults: ScriptedFaults, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalLinkis]:
    """A gateway with scripted faults whose entrance remembers one finished job only."""
    gateway = LocalLinkis(data_dir=tmp_path_factory.mktemp("faulty-linkis"), users={default_user(): {}},
                          faults=faults, entrance_capacity=1)
    gateway.start()
    yield gateway
    gateway.stop()


@pytest.fixture
def faulty_client(faulty_linkis: LocalLinkis, faults: ScriptedFaults) -> Iterator[LinkisClient]:
    """A token client of the faulty gateway; faults left over by a test are dropped."""
    with LinkisClient(faulty_linkis.url, user=faulty_linkis.user, token=faulty_linkis.token,
                      timeout=(2.0, 10.0)) as c:
        yield c
    faults.clear()

