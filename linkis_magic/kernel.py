"""Linkis kernels: notebooks whose every cell runs on one Linkis engine, as sparkmagic's kernels do.

``linkis-magic kernels install`` installs four kernelspecs: "Linkis HiveQL", "Linkis Spark SQL",
"Linkis Python" and "Linkis Shell". Each is an ipykernel whose cells are ``%%linkis ENGINE`` cells
without the magic line: the same live panel, typed DataFrame results, interrupt-to-kill (the stop
button) and completion. A cell whose first line starts with ``%`` is IPython's (``%linkis tables``,
``%%time``...). The kernel's ``language_info`` names the engine's language, so JupyterLab
highlights SQL in the SQL kernels.

    python -m linkis_magic.kernel -f CONNECTION_FILE --LinkisKernel.engine=hive
"""

from __future__ import annotations

import json
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ipykernel.ipkernel import IPythonKernel
from traitlets import Unicode


@dataclass(frozen=True)
class KernelKind:
    name: str  # the kernelspec's directory name
    display_name: str
    engine: str  # as %%linkis takes it
    language_info: dict


_SQL = {"name": "sql", "mimetype": "text/x-sql", "codemirror_mode": "sql", "file_extension": ".sql",
        "pygments_lexer": "sql"}
KINDS = (
    KernelKind("linkis-hive", "Linkis HiveQL", "hive", _SQL),
    KernelKind("linkis-spark-sql", "Linkis Spark SQL", "spark", _SQL),
    KernelKind("linkis-python", "Linkis Python", "python",
               {"name": "python", "mimetype": "text/x-python", "codemirror_mode": {"name": "python", "version": 3},
                "file_extension": ".py", "pygments_lexer": "python3"}),
    KernelKind("linkis-shell", "Linkis Shell", "shell",
               {"name": "bash", "mimetype": "text/x-sh", "codemirror_mode": "shell", "file_extension": ".sh",
                "pygments_lexer": "bash"}),
)


class LinkisKernel(IPythonKernel):
    """An IPython kernel whose cells run on ``engine`` through ``%%linkis``."""

    implementation = "linkis_magic"
    engine = Unicode("hive", help="The Linkis engine every cell runs on, as %%linkis takes it.").tag(config=True)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        kind = next((k for k in KINDS if k.engine == self.engine), None)
        self.language_info = dict(kind.language_info if kind else _SQL)
        self.shell.extension_manager.load_extension("linkis_magic")
        self.shell.input_transformers_cleanup.append(self._as_linkis_cell)

    @property
    def banner(self) -> str:
        return f"linkis-magic: every cell runs on Linkis engine {self.engine}; a cell starting with % is IPython's"

    def _magic_line(self) -> str:
        return f"%%linkis {self.engine}\n"

    def _as_linkis_cell(self, lines: list[str]) -> list[str]:
        """IPython's first input transform: a cell that is not a magic becomes a ``%%linkis`` cell."""
        if not is_engine_code("".join(lines)):
            return lines
        return [self._magic_line(), *lines]

    def do_complete(self, code: str, cursor_pos: int | None) -> dict:
        """Complete as in a ``%%linkis`` cell: the magic line is added, then taken off the reply."""
        if not is_engine_code(code):
            return super().do_complete(code, cursor_pos)
        prefix = self._magic_line()
        reply = super().do_complete(prefix + code, (len(code) if cursor_pos is None else cursor_pos) + len(prefix))
        reply["cursor_start"] -= len(prefix)
        reply["cursor_end"] -= len(prefix)
        for item in reply.get("metadata", {}).get("_jupyter_types_experimental", []):
            item["start"] -= len(prefix)
            item["end"] -= len(prefix)
        return reply


def is_engine_code(code: str) -> bool:
    """Whether a cell is for the engine: anything but an empty cell or one starting with ``%``."""
    stripped = code.lstrip()
    return bool(stripped) and not stripped.startswith("%")


def install(*, user: bool = False, prefix: str | None = None) -> list[str]:
    """Install the four kernelspecs (for this Python); returns where each went."""
    from jupyter_client.kernelspec import KernelSpecManager

    manager = KernelSpecManager()
    installed = []
    for kind in KINDS:
        with tempfile.TemporaryDirectory() as folder:
            spec = {"argv": [sys.executable, "-m", "linkis_magic.kernel", "-f", "{connection_file}",
                             f"--LinkisKernel.engine={kind.engine}"],
                    "display_name": kind.display_name, "language": kind.language_info["name"],
                    "metadata": {"linkis_magic": {"engine": kind.engine}}}
            (Path(folder) / "kernel.json").write_text(json.dumps(spec, indent=1))
            installed.append(manager.install_kernel_spec(folder, kind.name, user=user, prefix=prefix, replace=True))
    return installed


def uninstall() -> list[str]:
    """Remove the kernelspecs :func:`install` made, every copy Jupyter finds (a user install
    and a prefix one may both be there)."""
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    manager = KernelSpecManager()
    removed: list[str] = []
    for kind in KINDS:
        while True:
            try:
                path = manager.remove_kernel_spec(kind.name)
            except (NoSuchKernel, KeyError):  # jupyter_client 8 raises KeyError for a missing one
                break
            if path in removed:  # not removed after all: do not loop on it
                break
            removed.append(path)
    return removed


def main() -> None:
    from ipykernel.kernelapp import IPKernelApp

    IPKernelApp.launch_instance(kernel_class=LinkisKernel)


if __name__ == "__main__":
    main()
