"""A background cell in real JupyterLab: its panel keeps advancing while another cell runs, and
it ends in its own cell as a summary while that other cell still runs."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from lab_server import JupyterLab
from notebook_page import NotebookPage, write_notebook
from playwright.sync_api import Page, expect
from test_jupyterlab import server_task

from linkis_magic.local.server import LocalLinkis

pytestmark = pytest.mark.browser

BACKGROUND = '%%linkis shell --bg\nfor i in $(seq 1 16); do echo "step $i"; sleep 0.5; done'
#: Outlasts the background job (about 8 s), so the job ends while this cell holds the kernel.
OTHER = "import time\nfor i in range(30):\n    print(f'other cell {i}', flush=True)\n    time.sleep(0.5)"


def steps_shown(cell) -> int:
    """The last ``step N`` the cell's live panel shows (0 before the first)."""
    found = re.findall(r"step (\d+)", cell.locator(".linkis-panel .linkis-log").inner_text())
    return int(found[-1]) if found else 0


def test_a_background_panel_advances_while_another_cell_runs(
    page: Page, lab: JupyterLab, local_linkis: LocalLinkis, screenshots: Path
) -> None:
    write_notebook(lab.root_dir / "background.ipynb", ["%load_ext linkis_magic", BACKGROUND, OTHER])
    notebook = NotebookPage(page, lab.notebook_url("background.ipynb")).open()
    notebook.run(0)
    job_cell = notebook.run(1)
    expect(job_cell.locator(".linkis-panel .linkis-background")).to_contain_text(
        "runs in the background: the stop button leaves it running")
    expect(job_cell.locator(".jp-InputArea-prompt")).to_have_text(re.compile(r"\[\d+\]:"))  # returned
    expect(job_cell.locator(".linkis-panel .linkis-log")).to_contain_text("step 1")
    task_id = int(job_cell.locator(".linkis-task").inner_text().split()[-1])

    other = notebook.run(2)
    expect(other.locator(".jp-OutputArea-output")).to_contain_text("other cell 1")
    notebook.expect_kernel("busy")
    seen = steps_shown(job_cell)
    expect(other.locator(".jp-OutputArea-output")).to_contain_text("other cell 4")
    later = steps_shown(job_cell)
    assert later > seen, (seen, later)  # the panel moved on while the other cell held the kernel
    assert server_task(local_linkis, task_id)["status"] == "Running"
    notebook.screenshot(screenshots / "background-cell.png")

    summary = job_cell.locator(".linkis-summary")
    expect(summary).to_contain_text(f"Linkis task {task_id} · Succeed")  # in its own cell, in place
    assert "other cell 29" not in other.inner_text()  # ... while the other cell still runs
    notebook.expect_kernel("busy")
    expect(job_cell.locator(".linkis-panel")).to_have_count(0)
    expect(other.locator(".jp-OutputArea-output")).to_contain_text("other cell 29")
    assert "step" not in other.inner_text() and "Linkis task" not in other.inner_text()
