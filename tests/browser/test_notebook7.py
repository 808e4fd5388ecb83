"""``%%linkis`` in Notebook 7 (``jupyter notebook``): the live panel renders, the stop button
kills the job, and the summary and table stay in the notebook after a reload."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from lab_server import JupyterLab
from notebook_page import STDERR
from playwright.sync_api import Page, expect
from test_jupyterlab import KILL_DEADLINE, LONG_SHELL_JOB, final_status, kill_requests, open_notebook, server_task

from linkis_magic.local.server import LocalLinkis
from tests.support import wait_for

pytestmark = pytest.mark.browser


def test_the_live_panel_renders_and_the_stop_button_kills_the_job(
    notebook7_page: Page, notebook7: JupyterLab, local_linkis: LocalLinkis
) -> None:
    notebook = open_notebook(notebook7_page, notebook7, "stop.ipynb", ["%load_ext linkis_magic", LONG_SHELL_JOB])
    notebook.run(0)
    job_cell = notebook.run(1)
    expect(job_cell.locator(".linkis-panel .linkis-state")).to_have_text("Running")
    expect(job_cell.locator(".linkis-panel .linkis-log")).to_contain_text("step 2")
    task_id = int(job_cell.locator(".linkis-task").inner_text().split()[-1])

    notebook.stop()

    assert final_status(local_linkis, task_id, KILL_DEADLINE) == "Cancelled"
    assert kill_requests(local_linkis, task_id)
    expect(job_cell.locator(STDERR)).to_have_text(re.compile(rf"JobInterrupted: killed task {task_id} after it ran"))
    notebook.expect_kernel("idle")


def test_the_summary_and_table_stay_after_a_reload(
    notebook7_page: Page, notebook7: JupyterLab, local_linkis: LocalLinkis, screenshots: Path
) -> None:
    query = "%%linkis hive\nselect 1 as a, 'x' as b"
    notebook = open_notebook(notebook7_page, notebook7, "reload.ipynb", ["%load_ext linkis_magic", query])
    notebook.run(0)
    cell = notebook.run(1)
    expect(cell.locator(".linkis-summary")).to_contain_text("1 row × 2 columns")
    task_id = int(re.search(r"Linkis task (\d+)", cell.locator(".linkis-summary").inner_text()).group(1))
    assert server_task(local_linkis, task_id)["status"] == "Succeed"
    notebook.save()
    saved = notebook7.root_dir / "reload.ipynb"
    wait_for(lambda: "linkis-summary" in saved.read_text(), 30, what="the notebook to be saved with its outputs")

    notebook.open()  # the page again, from what was saved
    cell = notebook.cell(1)
    expect(cell.locator(".linkis-summary")).to_contain_text(f"Linkis task {task_id} · Succeed")
    expect(cell.locator("table.dataframe tbody td")).to_have_text(["1", "x"])
    expect(cell.locator(".linkis-log summary")).to_contain_text("Log (")
    shown = cell.inner_text()  # the finished panel left nothing behind
    assert "Loading widget" not in shown and "Error displaying widget" not in shown
    notebook.screenshot(screenshots / "notebook7-reloaded.png")
