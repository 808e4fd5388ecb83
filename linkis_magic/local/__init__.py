"""The embedded local Linkis: a Linkis-compatible gateway that runs on one machine.

``LocalLinkis().start()`` serves the Linkis REST protocol on 127.0.0.1 from a background thread;
``linkis-magic local`` serves it in the foreground. See :mod:`linkis_magic.local.server`.
"""

from __future__ import annotations

from typing import Any

__all__ = ["LocalLinkis", "not_installed"]

#: The extra that installs what the embedded gateway runs on (duckdb, sqlglot, starlette, uvicorn...).
EXTRA = "pip install 'linkis-magic[local]'"


def not_installed(error: ImportError) -> str:
    """What to say when the embedded gateway cannot be imported: which extra to install."""
    return f"the embedded local Linkis needs what {EXTRA} installs ({error.name or error} is missing)"


def __getattr__(name: str) -> Any:
    # Imported on first use: importing the subpackage must not pull in uvicorn and duckdb.
    if name == "LocalLinkis":
        from linkis_magic.local.server import LocalLinkis

        return LocalLinkis
    raise AttributeError(f"module 'linkis_magic.local' has no attribute {name!r}")
