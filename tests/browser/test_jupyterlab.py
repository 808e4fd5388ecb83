"""``%%linkis`` in real JupyterLab: the stop button kills the job, a query ends in a table.

What is asserted is what the user sees in the page and what the local Linkis recorded, read over
HTTP with the user's token (§2.2, §7.1). The screenshots are the ones the README shows.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
import requests
from lab_server import JupyterLab
from notebook_page import STDERR, NotebookPage, write_notebook
from playwright.sync_api import Page, expect

from linkis_magic.local.server import LocalLinkis
from linkis_magic.protocol import API_PREFIX, TOKEN_CODE_HEADER, TOKEN_USER_HEADER, JobStatus

pytestmark = pytest.mark.browser

LONG_SHELL_JOB = '%%linkis shell\nfor i in $(seq 1 600); do echo "step $i"; sleep 1; done'
#: Generous: the kill itself takes well under a second; this only bounds a hung test.
KILL_DEADLINE = 20.0


def server_task(linkis: LocalLinkis, task_id: int) -> dict:
    """The job history entry the gateway keeps for ``task_id`` (§7.1)."""
    response = requests.get(
        f"{linkis.url}{API_PREFIX}/jobhistory/{task_id}/get",
        headers={TOKEN_CODE_HEADER: linkis.token, TOKEN_USER_HEADER: linkis.user},
        timeout=(5.0, 10.0),
    )
    response.raise_for_status()
    return response.json()["data"]["task"]


def kill_requests(linkis: LocalLinkis, task_id: int) -> list:
    """The ``/entrance/{execID}/kill?taskID=`` calls the gateway received for ``task_id`` (§4.6)."""
    return [r for r in linkis.requests
            if r.path.endswith("/kill") and r.query.get("taskID") == str(task_id)]


def final_status(linkis: LocalLinkis, task_id: int, deadline: float) -> str:
    """The task's status once terminal, or whatever it is when the deadline passes."""
    end = time.monotonic() + deadline
    status = server_task(linkis, task_id)["status"]
    while not JobStatus(status).is_terminal and time.monotonic() < end:
        time.sleep(0.2)
        status = server_task(linkis, task_id)["status"]
    return status


def open_notebook(page: Page, lab: JupyterLab, name: str, sources: list[str]) -> NotebookPage:
    write_notebook(lab.root_dir / name, sources)
    return NotebookPage(page, lab.notebook_url(name)).open()


def test_stop_button_kills_the_job_and_the_kernel_lives_on(
    page: Page, lab: JupyterLab, local_linkis: LocalLinkis, screenshots: Path
) -> None:
    notebook = open_notebook(page, lab, "stop.ipynb", ["%load_ext linkis_magic", LONG_SHELL_JOB, "1+1"])
    notebook.run(0)
    job_cell = notebook.run(1)
    expect(job_cell.locator(".linkis-panel .linkis-state")).to_have_text("Running")
    expect(job_cell.locator(".linkis-panel .linkis-log")).to_contain_text("step 2")
    task_id = int(job_cell.locator(".linkis-task").inner_text().split()[-1])
    assert server_task(local_linkis, task_id)["status"] == "Running"
    notebook.screenshot(screenshots / "live-panel.png")

    notebook.stop()

    assert final_status(local_linkis, task_id, KILL_DEADLINE) == "Cancelled"
    assert kill_requests(local_linkis, task_id), "the job ended without the magic's kill request"
    killed = re.compile(rf"JobInterrupted: killed task {task_id} after it ran [\d.]+ s "
                        r"\(Cancelled [\d.]+ s after the kill was sent\)")
    expect(job_cell.locator(STDERR)).to_have_text(killed)
    notebook.expect_kernel("idle")
    after = notebook.run(2)
    expect(after.locator('.jp-OutputArea-output[data-mime-type="text/plain"]')).to_have_text("2")
    notebook.screenshot(screenshots / "interrupted.png")


def test_query_ends_in_a_summary_and_a_dataframe(
    page: Page, lab: JupyterLab, local_linkis: LocalLinkis, screenshots: Path
) -> None:
    query = "%%linkis hive\nselect 1 as a, 'x' as b"
    notebook = open_notebook(page, lab, "query.ipynb", ["%load_ext linkis_magic", query])
    notebook.run(0)
    cell = notebook.run(1)

    summary = cell.locator(".linkis-summary")
    expect(summary).to_contain_text("Succeed")
    expect(summary).to_contain_text("1 row × 2 columns")
    expect(cell.locator(".linkis-panel")).to_have_count(0)
    table = cell.locator("table.dataframe")
    expect(table.locator("thead")).to_contain_text("a")
    expect(table.locator("tbody tr")).to_have_count(1)
    expect(table.locator("tbody td")).to_have_text(["1", "x"])
    task_id = int(re.search(r"Linkis task (\d+)", summary.inner_text()).group(1))
    assert server_task(local_linkis, task_id)["status"] == "Succeed"
    notebook.screenshot(screenshots / "final-summary.png")
