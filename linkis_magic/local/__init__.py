"""The embedded local Linkis: a Linkis-compatible gateway that runs on one machine.

``LocalLinkis().start()`` serves the Linkis REST protocol on 127.0.0.1 from a background thread;
``linkis-magic local`` serves it in the foreground. See :mod:`linkis_magic.local.server`.
"""

from __future__ import annotations

from typing import Any

__all__ = ["LocalLinkis"]


def __getattr__(name: str) -> Any:
    # Imported on first use: importing the subpackage must not pull in uvicorn and duckdb.
    if name == "LocalLinkis":
        from linkis_magic.local.server import LocalLinkis

        return LocalLinkis
    raise AttributeError(f"module 'linkis_magic.local' has no attribute {name!r}")
