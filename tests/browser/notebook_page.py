"""A notebook open in JupyterLab, seen through Playwright: the few actions the tests need.

Selectors are the ones in ``docs/browser-tests.md`` (measured on JupyterLab 4.6).
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
from playwright.sync_api import Locator, Page, expect

#: The toolbar's kernel indicator; its ``data-status`` is reliable where the status bar text is not.
KERNEL_INDICATOR = ".jp-NotebookPanel-toolbar .jp-Notebook-ExecutionIndicator"
KERNEL_NAME = ".jp-NotebookPanel-toolbar .jp-KernelName"
STOP_BUTTON = '.jp-NotebookPanel-toolbar [data-command="notebook:interrupt-kernel"]'
#: Lumino hides background tabs with this class; a restored workspace may hold other notebooks.
SHOWN_PANEL = ".jp-NotebookPanel:not(.lm-mod-hidden)"
STDERR = '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]'


PYTHON_KERNEL = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}


def write_notebook(path: Path, sources: list[str], kernel: dict = PYTHON_KERNEL) -> Path:
    """Write a notebook of code cells that opens on ``kernel`` (a kernelspec's name, display name
    and language) without asking."""
    nb = nbformat.v4.new_notebook()
    # Without a kernelspec JupyterLab opens a "Select Kernel" dialog over the notebook.
    nb.metadata["kernelspec"] = dict(kernel)
    nb.cells = [nbformat.v4.new_code_cell(source) for source in sources]
    nbformat.write(nb, path)
    return path


class NotebookPage:
    """One notebook tab: open it, run cells one at a time, press stop, read outputs."""

    def __init__(self, page: Page, url: str) -> None:
        self.page = page
        self.url = url
        self.panel = page.locator(SHOWN_PANEL)

    def open(self, kernel_name: str = "Python 3") -> NotebookPage:
        """Load the notebook and wait until its kernel is idle."""
        self.page.goto(self.url)
        expect(self.panel).to_be_visible()
        # The indicator says "idle" before any kernel exists, so first wait for the kernel's name.
        expect(self.panel.locator(KERNEL_NAME)).to_have_text(re.compile(kernel_name))
        self.expect_kernel("idle")
        return self

    def cell(self, index: int) -> Locator:
        """The ``index``-th cell (from 0) of this notebook."""
        return self.panel.locator(".jp-Notebook .jp-Cell").nth(index)

    def run(self, index: int) -> Locator:
        """Run one cell (Ctrl+Enter, so no new cell is added) and return it."""
        cell = self.cell(index)
        cell.locator(".jp-InputArea-editor").click()
        self.page.keyboard.press("Control+Enter")
        # "[*]:" once queued or running, "[N]:" once done; "[ ]:" means the press was lost.
        expect(cell.locator(".jp-InputArea-prompt")).not_to_have_text("[ ]:")
        return cell

    def save(self) -> None:
        """Save the notebook (Ctrl+S, focus in the notebook, not in an editor)."""
        self.panel.locator(".jp-Notebook").first.click(position={"x": 5, "y": 5})
        self.page.keyboard.press("Control+s")

    def stop(self) -> None:
        """Click the toolbar's "Interrupt the kernel" button."""
        self.panel.locator(STOP_BUTTON).click()

    def expect_kernel(self, status: str) -> None:
        """Wait until the toolbar shows the kernel as ``status`` (``idle``, ``busy``)."""
        expect(self.panel.locator(f'{KERNEL_INDICATOR}[data-status="{status}"]')).to_be_visible()

    def screenshot(self, path: Path) -> None:
        """Save the notebook panel (not the whole window) as a PNG."""
        path.parent.mkdir(parents=True, exist_ok=True)
        self.panel.screenshot(path=str(path))
