"""linkis-magic: Jupyter magics and a Python client for Apache Linkis.

``%load_ext linkis_magic`` registers ``%%linkis`` and ``%linkis`` (see :mod:`linkis_magic.magic`).
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"


def load_ipython_extension(ipython: Any) -> None:
    """Register the magics; nothing slow: no network, no server, no pandas or ipywidgets."""
    from linkis_magic.magic import LinkisMagics

    ipython.register_magics(LinkisMagics)
