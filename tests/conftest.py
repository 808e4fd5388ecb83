"""Fixtures shared by every test directory.

``local_linkis`` is one real local gateway for the whole session, with the real engines, and two
users: the OS user (the default) and ``bob``; ``client`` and ``password_client`` are clients of it.
``faults`` and ``faulty_linkis`` are a module's gateway with scripted faults, dropped after each test.
``linkis_env`` points magics and kernels started by
a test at a gateway; ``magic_shell`` is an in-process IPython shell with fresh magics loaded.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from IPython.testing import globalipapp

from linkis_magic.client import LinkisClient
from linkis_magic.config import ENV_VARS
from linkis_magic.local.auth import default_user
from linkis_magic.local.faults import Faults
from linkis_magic.local.gateway import HANDLER_ERRORS
from linkis_magic.local.server import LocalLinkis
from linkis_magic.magic import LinkisMagics


@pytest.fixture(autouse=True)
def _no_gateway_handler_crashed() -> Iterator[None]:
    """Fail a test during which a route handler of a gateway in this process raised: the gateway
    answers that as an ordinary Linkis error, which a refusal test would otherwise accept."""
    mark = HANDLER_ERRORS.mark()
    yield
    crashed = HANDLER_ERRORS.since(mark)
    if crashed:
        pytest.fail(f"{len(crashed)} gateway handler(s) raised during the test:\n" + "\n".join(crashed))


@pytest.fixture(scope="session")
def local_linkis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalLinkis]:
    """A started LocalLinkis (real EnginePool) with users ``default_user()`` and ``bob``."""
    gateway = LocalLinkis(data_dir=tmp_path_factory.mktemp("local-linkis"),
                          users={default_user(): {}, "bob": {}})
    gateway.start()
    yield gateway
    gateway.stop()


@pytest.fixture(scope="module")
def faults() -> Faults:
    """The faults a module scripts on its gateways (``linkis_magic.local.faults``); whatever a
    test scripted is dropped after it."""
    return Faults()


@pytest.fixture(scope="module")
def faulty_linkis(faults: Faults, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalLinkis]:
    """A gateway of the module's own with ``faults``, the OS user its one user."""
    with LocalLinkis(data_dir=tmp_path_factory.mktemp("faulty-linkis"), users={default_user(): {}},
                     faults=faults) as started:
        yield started


@pytest.fixture(autouse=True)
def _no_fault_outlives_its_test(request: pytest.FixtureRequest) -> Iterator[None]:
    """Faults are a server setting: what a test scripted (even if it failed) is dropped after it."""
    faults = request.getfixturevalue("faults") if "faults" in request.fixturenames else None
    yield
    if faults is not None:
        faults.clear()


@pytest.fixture
def client(local_linkis: LocalLinkis) -> Iterator[LinkisClient]:
    """A token client of ``local_linkis`` (no login requests to count)."""
    with LinkisClient(local_linkis.url, user=local_linkis.user, token=local_linkis.token) as made:
        yield made


@pytest.fixture
def password_client(local_linkis: LocalLinkis) -> Iterator[LinkisClient]:
    """A password client of ``local_linkis`` (it logs in, and again when its session expires)."""
    with LinkisClient(local_linkis.url, user=local_linkis.user, password=local_linkis.password) as made:
        yield made


@pytest.fixture
def linkis_env(monkeypatch, tmp_path) -> Callable[..., None]:
    """``linkis_env(url, user, password=..., token=...)``: the ``LINKIS_*`` environment the magics
    (and kernels this test starts) read, with an empty config file so that no developer's own
    profiles leak in. Undone after the test."""

    def point(url: str, user: str, *, password: str | None = None, token: str | None = None) -> None:
        for name in ENV_VARS:
            monkeypatch.delenv(name, raising=False)
        config = tmp_path / "config.toml"
        config.touch()
        monkeypatch.setenv("LINKIS_CONFIG", str(config))
        monkeypatch.setenv("LINKIS_URL", url)
        monkeypatch.setenv("LINKIS_USER", user)
        if password:
            monkeypatch.setenv("LINKIS_PASSWORD", password)
        if token:
            monkeypatch.setenv("LINKIS_TOKEN", token)

    return point


@pytest.fixture
def magic_shell() -> Iterator[object]:
    """The in-process IPython shell with a fresh ``LinkisMagics`` (default traits, no cached
    client); its client is closed and ``_linkis_last`` dropped afterwards."""
    globalipapp.start_ipython()
    shell = globalipapp.get_ipython()  # the module attribute: replaced once started
    magics = LinkisMagics(shell)
    shell.register_magics(magics)
    yield shell
    magics.close()
    shell.user_ns.pop("_linkis_last", None)
