"""The README's tables cite tests by node id: every id must name a test that pytest collects, so a
row cannot point at a test that was renamed, moved or never written (IPython checks its table of
magics the same way)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CITED = re.compile(r"`((?:tests|notebooks)/[\w/.-]+\.py::[\w\[\]-]+)`")


def cited_ids() -> list[str]:
    return sorted(set(CITED.findall((ROOT / "README.md").read_text())))


def test_every_test_the_readme_cites_is_collected():
    ids = cited_ids()
    assert len(ids) > 60  # the Reliability tables cite this many; fewer means the pattern broke
    collected = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider",
                                *ids], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert collected.returncode == 0, collected.stdout[-3000:] + collected.stderr[-3000:]
    found = {line.split("[")[0] for line in collected.stdout.splitlines() if "::" in line}
    assert set(ids) <= found, sorted(set(ids) - found)


def test_abbreviated_ids_are_not_used():
    assert "…::" not in (ROOT / "README.md").read_text()
