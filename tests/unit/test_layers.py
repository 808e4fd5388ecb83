"""The layers of docs/architecture.md hold: the HTTP client is the bottom one, and loading it
stays light (no job, no results, no pyarrow or pandas)."""

from __future__ import annotations

import json
import subprocess
import sys

LOADED = ("import json, sys, linkis_magic.client; roots = ('linkis_magic', 'pyarrow', 'pandas'); "
          "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in roots)))")


def test_the_client_loads_nothing_above_it():
    done = subprocess.run([sys.executable, "-c", LOADED], capture_output=True, text=True, check=True)
    loaded = json.loads(done.stdout)
    assert "linkis_magic.client" in loaded
    assert not {"linkis_magic.job", "linkis_magic.results", "linkis_magic.magic", "linkis_magic.view"} & set(loaded)
    assert not [name for name in loaded if name.split(".")[0] in ("pyarrow", "pandas")]
