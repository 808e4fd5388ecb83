"""Completion and the Linkis HiveQL kernel in real JupyterLab: Tab in a ``%%linkis hive`` cell
opens the completer with the table names; a notebook on the HiveQL kernel highlights SQL, runs a
query, and its stop button kills the job. The screenshots are the ones the README shows."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from lab_server import JupyterLab
from notebook_page import STDERR, NotebookPage, write_notebook
from playwright.sync_api import Page, expect

from linkis_magic.client import LinkisClient
from linkis_magic.local.server import LocalLinkis

pytestmark = pytest.mark.browser

HIVE_KERNEL = {"name": "linkis-hive", "display_name": "Linkis HiveQL", "language": "sql"}
#: A DuckDB cross join that runs for minutes: something to stop.
LONG_QUERY = "select sum(a.range * b.range) as s\nfrom range(300000) a, range(300000) b"


def test_tab_in_a_linkis_cell_opens_the_completer_with_the_tables(page: Page, lab: JupyterLab, screenshots: Path):
    name = "completion.ipynb"
    write_notebook(lab.root_dir / name, [
        "%load_ext linkis_magic",
        "%%linkis hive --quiet\ncreate table if not exists lab_orders (order_id int, item string);\n"
        "create table if not exists lab_order_lines (order_id int, line int)",
        "%%linkis hive\nselect * from lab_ord",
    ])
    notebook = NotebookPage(page, lab.notebook_url(name)).open()
    notebook.run(0)
    notebook.run(1)
    notebook.expect_kernel("idle")
    editor = notebook.cell(2).locator(".jp-InputArea-editor")
    editor.click()
    page.keyboard.press("Control+End")
    page.keyboard.press("Tab")
    completer = page.locator(".jp-Completer")
    expect(completer).to_be_visible()
    expect(completer.locator(".jp-Completer-item", has_text="lab_orders")).to_be_visible()
    expect(completer.locator(".jp-Completer-item", has_text="lab_order_lines")).to_be_visible()
    page.screenshot(path=str(screenshots / "completion.png"), clip=_around(notebook))


def test_a_hiveql_notebook_highlights_runs_and_stops(page: Page, lab: JupyterLab, local_linkis: LocalLinkis,
                                                     client: LinkisClient, screenshots: Path):
    name = "hiveql.ipynb"
    write_notebook(lab.root_dir / name, ["select 'tea' as item, 4.5 as price", LONG_QUERY], kernel=HIVE_KERNEL)
    notebook = NotebookPage(page, lab.notebook_url(name)).open(kernel_name="Linkis HiveQL")
    # SQL highlighting: the editor wraps keywords in styled spans (plain text has none).
    keyword = notebook.cell(0).locator(".cm-line span", has_text=re.compile(r"^select$", re.IGNORECASE))
    expect(keyword.first).to_be_visible()
    assert keyword.first.evaluate("e => getComputedStyle(e).color") != \
        notebook.cell(0).locator(".cm-line").first.evaluate("e => getComputedStyle(e).color")
    done = notebook.run(0)
    expect(done.locator(".jp-OutputArea-output table")).to_contain_text("tea")
    started = time.time() * 1000
    running = notebook.run(1)
    expect(running.locator(".jp-OutputArea-output").first).to_be_visible()  # the live panel
    task = _wait_running(client, started)
    notebook.screenshot(screenshots / "hiveql-kernel.png")
    notebook.stop()
    expect(running.locator(STDERR)).to_contain_text("JobInterrupted")
    assert client.job_info(task)["status"] == "Cancelled"


def _wait_running(client: LinkisClient, since_ms: float) -> int:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        tasks, _ = client.list_jobs(pageSize=10)
        for task in tasks:
            if task["status"] == "Running" and task["createdTime"] >= since_ms - 1000 \
                    and "range(300000)" in (task.get("executionCode") or ""):
                return task["taskID"]
        time.sleep(0.2)
    raise AssertionError("the query never ran")


def _around(notebook: NotebookPage) -> dict:
    box = notebook.panel.bounding_box()
    return {"x": box["x"], "y": box["y"], "width": box["width"], "height": min(box["height"], 520)}
