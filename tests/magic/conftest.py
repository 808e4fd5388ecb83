"""An in-process IPython shell with the magics loaded, pointed at a real local gateway."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from IPython.testing import globalipapp

from linkis_magic.local.auth import default_user
from linkis_magic.local.faults import Faults
from linkis_magic.local.server import LocalLinkis
from linkis_magic.magic import LinkisMagics


def slow_submit_and_kill() -> Faults:
    faults = Faults()
    faults.delay(r"/(submit|kill)$", 1.0, times=None)
    return faults


@pytest.fixture(scope="module")
def slow_linkis(tmp_path_factory) -> Iterator[LocalLinkis]:
    """A gateway whose submit and kill take a second, so an interrupt can land inside them."""
    gateway = LocalLinkis(data_dir=tmp_path_factory.mktemp("slow-linkis"),
                          users={default_user(): {}}, faults=slow_submit_and_kill())
    gateway.start()
    yield gateway
    gateway.stop()


@pytest.fixture
def connect(monkeypatch, linkis_env) -> Iterator[Callable[..., object]]:
    """``connect(gateway)`` -> a shell whose magics talk to that gateway through the environment."""
    globalipapp.start_ipython()
    shell = globalipapp.get_ipython()  # the module attribute: replaced once started
    # A terminal shell formats text/plain only; a notebook frontend also gets HTML.
    monkeypatch.setattr(shell.display_formatter, "active_types", ["text/plain", "text/html"])
    made: list[LinkisMagics] = []

    def make(gateway: LocalLinkis, *, secret: str = "password") -> object:
        linkis_env(gateway.url, gateway.user, password=gateway.password if secret == "password" else None,
                   token=gateway.token if secret == "token" else None)
        magics = LinkisMagics(shell)
        shell.register_magics(magics)  # a fresh instance: default traits, no cached client
        made.append(magics)
        return shell

    yield make
    for magics in made:
        magics.close()
    for name in ("_linkis_last", "_linkis_jobs", "df", "out", "answer"):
        shell.user_ns.pop(name, None)


@pytest.fixture
def ip(connect, local_linkis):
    """The shell, on the session's local gateway."""
    return connect(local_linkis)

