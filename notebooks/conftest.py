"""nbval runs the example notebooks against one embedded local Linkis started for the run.

nbval's notebook items run no fixtures (docs/jupyter.md §3), so the gateway is started from a
hook once the notebooks are collected, and kernels inherit ``LINKIS_*`` from this process's
environment. The gateway gets a fresh data directory, so the notebooks see what a newcomer sees.
"""

from __future__ import annotations

import os
import tempfile

import pytest

from linkis_magic.config import ENV_VARS
from linkis_magic.local.server import LocalLinkis


def pytest_collection_finish(session: pytest.Session) -> None:
    if not any(str(item.fspath).endswith(".ipynb") for item in session.items):
        return
    data_dir = tempfile.TemporaryDirectory(prefix="linkis-nbval-")
    gateway = LocalLinkis(data_dir=data_dir.name).start()
    saved = {name: os.environ.pop(name, None) for name in ENV_VARS}
    os.environ.update(LINKIS_URL=gateway.url, LINKIS_USER=gateway.user,
                      LINKIS_PASSWORD=gateway.password)
    # An empty config file: a developer's own profiles must not leak into the comparison.
    empty_config = os.path.join(data_dir.name, "config.toml")
    open(empty_config, "w").close()
    os.environ["LINKIS_CONFIG"] = empty_config
    session.config._linkis_nbval = (gateway, data_dir, saved)


def pytest_unconfigure(config: pytest.Config) -> None:
    state = getattr(config, "_linkis_nbval", None)
    if state is None:
        return
    gateway, data_dir, saved = state
    gateway.stop()
    data_dir.cleanup()
    for name, value in saved.items():
        os.environ.pop(name, None)
        if value is not None:
            os.environ[name] = value
