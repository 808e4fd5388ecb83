"""linkis-magic: Jupyter magics and a Python client for Apache Linkis.

``%load_ext linkis_magic`` registers ``%%linkis`` and ``%linkis`` (see :mod:`linkis_magic.magic`).
Scripts use the Python API directly::

    from linkis_magic import LinkisClient
    client = LinkisClient("http://gateway:9001", user="alice", token="...")
    job = client.run("select 1", engine="hive")
    df = job.results[0].to_pandas()
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

#: Public names, imported on first use so that ``%load_ext`` stays light (no requests, no pandas).
_EXPORTS = {
    "LinkisClient": "linkis_magic.client",
    "Job": "linkis_magic.job",
    "ResultSet": "linkis_magic.results",
    "JobStatus": "linkis_magic.protocol",
    "LinkisError": "linkis_magic.errors",
}

__all__ = [*_EXPORTS, "load_ipython_extension"]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'linkis_magic' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


def load_ipython_extension(ipython: Any) -> None:
    """Register the magics; nothing slow: no network, no server, no pandas or ipywidgets."""
    from linkis_magic.magic import LinkisMagics

    ipython.register_magics(LinkisMagics)
