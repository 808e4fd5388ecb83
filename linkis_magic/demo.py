"""Run a notebook headless against a fresh embedded Linkis and print what it shows.

``make demo`` runs::

    python -m linkis_magic.demo notebooks/quickstart.ipynb

It starts a :class:`~linkis_magic.local.server.LocalLinkis` with a temporary data directory,
executes the notebook in a new ``python3`` kernel whose ``LINKIS_*`` environment points at that
gateway, and prints each code cell (its first lines) followed by its text output: printed
streams, the ``text/plain`` of results and displays, errors. Collapsed blocks (the job log) show
their title only, as they do in the notebook. The notebook file is read, never written, unless
``--write`` asks for the executed notebooks to be saved in place (``make notebooks``).

The exit status is 0 when every cell ran, 1 when a cell failed, timed out or killed the kernel
(the rest are not run), 2 for a notebook that cannot be read. The gateway and the kernel are stopped either way.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, TextIO

try:
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

    from linkis_magic.local.server import LocalLinkis
except ImportError as missing:  # a plain install has neither nbclient nor the embedded gateway
    sys.exit(f"python -m linkis_magic.demo needs what pip install 'linkis-magic[demo]' installs "
             f"({missing.name} is missing)")

#: Cell source lines printed before the rest is summarised as "… (N more lines)".
SOURCE_LINES = 6
_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def main(argv: Sequence[str] | None = None, out: TextIO = sys.stdout) -> int:
    """Run the notebooks named in ``argv``; return the exit status."""
    parser = argparse.ArgumentParser(prog="python -m linkis_magic.demo", description=__doc__.split("\n")[0])
    parser.add_argument("notebooks", type=Path, nargs="+", metavar="notebook",
                        help="the .ipynb file(s) to run, in order, against one gateway")
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds allowed per cell (default 600)")
    parser.add_argument("--write", action="store_true",
                        help="save each executed notebook in place (how notebooks/ is refreshed)")
    args = parser.parse_args(argv)
    try:
        notebooks = [nbformat.read(path, as_version=4) for path in args.notebooks]
    except (OSError, ValueError) as error:
        print(f"cannot read a notebook: {error}", file=sys.stderr)
        return 2
    with LocalLinkis() as gateway:
        for path, notebook in zip(args.notebooks, notebooks):
            print(f"Running {path} against a local Linkis at {gateway.url}\n", file=out)
            status = run_notebook(notebook, path.resolve().parent, kernel_env(gateway),
                                  timeout=args.timeout, out=out)
            if status:
                return status
            if args.write:
                # Widget state would only add noise to git: the saved outputs carry the summary.
                notebook.metadata.pop("widgets", None)
                nbformat.write(notebook, path)
                print(f"wrote {path}\n", file=out)
    return 0


def kernel_env(gateway: LocalLinkis, environ: Mapping[str, str] = os.environ) -> dict[str, str]:
    """This process's environment with every ``LINKIS_*`` setting replaced by ``gateway``'s.

    Inherited ``LINKIS_*`` variables (a profile, a token for a real cluster) are dropped: any of
    them could send the demo's jobs elsewhere or sign them with the wrong credentials.
    """
    env = {name: value for name, value in environ.items() if not name.startswith("LINKIS_")}
    env.update(LINKIS_URL=gateway.url, LINKIS_USER=gateway.user,
               LINKIS_PASSWORD=gateway.password, LINKIS_TOKEN=gateway.token)
    return env


def run_notebook(notebook: nbformat.NotebookNode, cwd: Path, env: Mapping[str, str], *,
                 timeout: float, out: TextIO) -> int:
    """Execute ``notebook`` in a new kernel, printing each cell as it finishes; 0 or 1."""
    reporter = CellReporter(out)
    client = NotebookClient(
        notebook,
        timeout=timeout,
        # The venv's own kernel: jupyter_client runs the "python" of a python3 spec as
        # sys.executable, so the kernel imports this very linkis_magic.
        kernel_name="python3",
        resources={"metadata": {"path": str(cwd)}},
        # ipykernel warns on stderr that loopback TCP is unencrypted; errors still show.
        extra_arguments=["--log-level=ERROR"],
        on_cell_executed=reporter.cell_executed,
    )
    try:
        client.execute(env=dict(env))
    except CellExecutionError:
        print(f"\nFAILED: cell {reporter.cells} raised an error; the run stopped there.", file=out)
        return 1
    except CellTimeoutError:
        print(f"\nFAILED: cell {reporter.cells + 1} did not finish within {timeout:g} s.", file=out)
        return 1
    except DeadKernelError as error:
        print(f"\nFAILED: the kernel died during cell {reporter.cells + 1}: {error}", file=out)
        return 1
    print(f"\nOK: {reporter.cells} code cells ran.", file=out)
    return 0


class CellReporter:
    """Prints a code cell's first lines and its text outputs once the kernel has run it."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.cells = 0

    def cell_executed(self, cell: nbformat.NotebookNode, **_: Any) -> None:
        """nbclient's ``on_cell_executed`` hook (it also passes ``cell_index`` and the reply)."""
        self.cells += 1
        self._write(f"[{self.cells}] ", source_excerpt(cell.source))
        for output in cell.get("outputs", []):
            text = output_text(output)
            if text:
                self._write("  → ", text)
        self.out.flush()

    def _write(self, first: str, text: str) -> None:
        lines = text.splitlines() or [""]
        print(first + lines[0], file=self.out)
        for line in lines[1:]:
            print(" " * len(first) + line, file=self.out)


def source_excerpt(source: str, limit: int = SOURCE_LINES) -> str:
    """The first ``limit`` lines of a cell, and how many more there are."""
    lines = source.rstrip().splitlines()
    if len(lines) <= limit:
        return "\n".join(lines)
    return "\n".join([*lines[:limit], f"… ({len(lines) - limit} more lines)"])


def output_text(output: Mapping[str, Any]) -> str:
    """What a reader of the cell's output would read, as plain text ("" for nothing)."""
    kind = output.get("output_type")
    if kind == "stream":
        return output.get("text", "").rstrip("\n")
    if kind == "error":
        return _ANSI.sub("", "\n".join(output.get("traceback") or [f"{output['ename']}: {output['evalue']}"]))
    data = output.get("data", {})
    # A widget's text/plain is a placeholder; its state lives in the kernel that is gone.
    if _WIDGET_VIEW in data:
        return ""
    text = str(data.get("text/plain", "")).rstrip("\n")
    if str(data.get("text/html", "")).lstrip().startswith("<details"):
        return text.split("\n", 1)[0]
    return text


if __name__ == "__main__":
    sys.exit(main())
