"""Fixtures for the browser tests: a local Linkis, JupyterLab on loopback, headless chromium.

One of each per session, because JupyterLab and chromium take seconds to start. Each test gets
a fresh page on a notebook of its own. Playwright is imported at module level and chromium is
required, so a machine without them fails these tests instead of skipping them: CI installs both.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from lab_server import JupyterLab
from linkis_magic.local.server import LocalLinkis

#: Debian's chromium: Playwright cannot download its own browsers on this network.
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",  # the tests run as root
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-dev-shm-usage",
]
#: Where the README finds its pictures.
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


@pytest.fixture(scope="session")
def linkis() -> Iterator[LocalLinkis]:
    """The embedded Linkis gateway, in a thread of the test process."""
    with LocalLinkis() as server:
        yield server


@pytest.fixture(scope="session")
def lab(linkis: LocalLinkis, tmp_path_factory: pytest.TempPathFactory) -> Iterator[JupyterLab]:
    """JupyterLab whose kernels find the local Linkis through the ``LINKIS_*`` environment."""
    env = {"LINKIS_URL": linkis.url, "LINKIS_USER": linkis.user, "LINKIS_PASSWORD": linkis.password}
    server = JupyterLab(
        root_dir=tmp_path_factory.mktemp("notebooks"),
        state_dir=tmp_path_factory.mktemp("jupyter"),
        env=env,
    )
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} not found: install Debian's chromium (`make chromium`)")
    # expect() waits 5 s by default, too short for a kernel start on two busy cores.
    expect.set_options(timeout=60_000)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Browser, lab: JupyterLab) -> Iterator[Page]:
    """A fresh browser tab; at the end the test's kernels are shut down through the REST API."""
    context = browser.new_context(viewport={"width": 1200, "height": 800})
    tab = context.new_page()
    try:
        yield tab
    finally:
        context.close()
        for session in lab.api("GET", "/api/sessions").json():
            lab.api("DELETE", f"/api/sessions/{session['id']}")


@pytest.fixture
def screenshots() -> Path:
    return SCREENSHOTS
