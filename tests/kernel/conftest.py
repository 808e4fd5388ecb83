"""A real ipykernel, started through jupyter_client as JupyterLab starts it."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from jupyter_client.manager import start_new_kernel

TIMEOUT = 60


@pytest.fixture
def kernel(local_linkis, tmp_path) -> Iterator[tuple]:
    """A python3 kernel whose environment points the magics at the local gateway."""
    yield from _kernel(local_linkis, tmp_path)


@pytest.fixture
def faulty_kernel(faulty_linkis, tmp_path) -> Iterator[tuple]:
    """The same, against the module's gateway with scripted faults (the ``faults`` fixture)."""
    yield from _kernel(faulty_linkis, tmp_path)


def _kernel(gateway, tmp_path) -> Iterator[tuple]:
    config = tmp_path / "config.toml"
    config.touch()
    env = {**os.environ, "LINKIS_URL": gateway.url, "LINKIS_USER": gateway.user,
           "LINKIS_PASSWORD": gateway.password, "LINKIS_CONFIG": str(config),
           "IPYTHONDIR": str(tmp_path / "ipython")}
    km, kc = start_new_kernel(kernel_name="python3", env=env)
    try:
        reply = kc.execute_interactive("%load_ext linkis_magic", timeout=TIMEOUT)
        assert reply["content"]["status"] == "ok"
        yield km, kc
    finally:
        kc.stop_channels()
        if km.is_alive():
            km.shutdown_kernel(now=True)
