"""An in-process IPython shell whose magics talk to the session's local Linkis, and a counter of
what that gateway received (so a test can show that nothing was sent)."""

from __future__ import annotations

import pytest

from linkis_magic.local.server import LocalLinkis


@pytest.fixture
def shell(local_linkis: LocalLinkis, linkis_env, magic_shell) -> object:
    """A shell with fresh magics pointed at ``local_linkis`` through the environment (token auth)."""
    linkis_env(local_linkis.url, local_linkis.user, token=local_linkis.token)
    return magic_shell

