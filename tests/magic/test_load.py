"""`%load_ext linkis_magic` must be quick: no network, no server, no pandas or ipywidgets."""

from __future__ import annotations

import json
import subprocess
import sys

PROBE = r"""
import json, sys, threading
from IPython.core.interactiveshell import InteractiveShell
shell = InteractiveShell.instance()
before = set(sys.modules)
threads = threading.active_count()
shell.run_line_magic("load_ext", "linkis_magic")
print(json.dumps({
    "imported": sorted(set(sys.modules) - before),
    "threads": threading.active_count() - threads,
    "cell": "linkis" in shell.magics_manager.magics["cell"],
    "line": "linkis" in shell.magics_manager.magics["line"],
}))
"""


def test_load_ext_registers_the_magics_and_imports_nothing_heavy():
    out = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True,
                         timeout=60, check=True).stdout
    report = json.loads(out.strip().splitlines()[-1])
    assert report["cell"] and report["line"]
    heavy = {"pandas", "ipywidgets", "requests", "linkis_magic.client",
             "linkis_magic.job", "linkis_magic.local.server", "uvicorn", "duckdb"}
    assert heavy.isdisjoint(report["imported"]), heavy & set(report["imported"])
    assert "linkis_magic.magic" in report["imported"]
    assert report["threads"] == 0
