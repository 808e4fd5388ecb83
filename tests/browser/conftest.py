"""Fixtures for the browser tests: JupyterLab on loopback and headless chromium.

One of each per session, because they take seconds to start; the local Linkis is the session's
shared ``local_linkis`` (tests/conftest.py). Each test gets a fresh tab on a notebook of its own.
Playwright is imported at module level and chromium is required, so a machine without them fails
these tests instead of skipping them: CI installs both.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from lab_server import JupyterLab, Notebook7
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright

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
# Fresh screenshots go to build/ (not tracked); docs/screenshots/ holds the committed ones the README
# shows, refreshed by copying from here after a passing run. LINKIS_SCREENSHOT_DIR overrides.
SCREENSHOTS = Path(os.environ.get("LINKIS_SCREENSHOT_DIR")
                   or Path(__file__).resolve().parents[2] / "build" / "screenshots")


def serve(server_class: type[JupyterLab], local_linkis: LocalLinkis,
          tmp_path_factory: pytest.TempPathFactory) -> Iterator[JupyterLab]:
    """A Jupyter frontend whose kernels find the local Linkis through the ``LINKIS_*``
    environment, with the Linkis kernels installed (``linkis-magic kernels install``) in a prefix
    it searches."""
    prefix = tmp_path_factory.mktemp("kernels-prefix")
    subprocess.run([sys.executable, "-m", "linkis_magic.cli", "kernels", "install", "--prefix", str(prefix)],
                   check=True, capture_output=True, timeout=60)
    env = {
        "LINKIS_URL": local_linkis.url,
        "LINKIS_USER": local_linkis.user,
        "LINKIS_PASSWORD": local_linkis.password,
        "JUPYTER_PATH": str(prefix / "share" / "jupyter"),
    }
    server = server_class(
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
def lab(local_linkis: LocalLinkis, tmp_path_factory: pytest.TempPathFactory) -> Iterator[JupyterLab]:
    """JupyterLab 4."""
    yield from serve(JupyterLab, local_linkis, tmp_path_factory)


@pytest.fixture(scope="session")
def notebook7(local_linkis: LocalLinkis, tmp_path_factory: pytest.TempPathFactory) -> Iterator[JupyterLab]:
    """Notebook 7 (``jupyter notebook``)."""
    yield from serve(Notebook7, local_linkis, tmp_path_factory)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Debian's chromium, headless, driven by Playwright's sync API."""
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} not found: install Debian's chromium (`make system-deps`)")
    # expect() waits 5 s by default, too short for a kernel start on two busy cores.
    expect.set_options(timeout=60_000)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def browser_context(browser: Browser) -> Iterator[BrowserContext]:
    """One context for the session, so JupyterLab's scripts load from its cache after the first tab."""
    context = browser.new_context(viewport={"width": 1200, "height": 800})
    yield context
    context.close()


def tab_on(browser_context: BrowserContext, server: JupyterLab) -> Iterator[Page]:
    """A fresh browser tab; at the end the test's kernels are shut down through the REST API."""
    tab = browser_context.new_page()
    try:
        yield tab
    finally:
        tab.close()
        for session in server.api("GET", "/api/sessions").json():
            server.api("DELETE", f"/api/sessions/{session['id']}")


@pytest.fixture
def page(browser_context: BrowserContext, lab: JupyterLab) -> Iterator[Page]:
    """A fresh tab for JupyterLab."""
    yield from tab_on(browser_context, lab)


@pytest.fixture
def notebook7_page(browser_context: BrowserContext, notebook7: JupyterLab) -> Iterator[Page]:
    """A fresh tab for Notebook 7."""
    yield from tab_on(browser_context, notebook7)


@pytest.fixture
def screenshots() -> Path:
    """Where this run's screenshots go (made if missing)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS
