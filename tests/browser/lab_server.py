"""JupyterLab 4 (and Notebook 7) as a child process on loopback, for the browser tests.

Facts this relies on are in ``docs/browser-tests.md``: the token flag, the
news toast and how to silence it, readiness through ``/api/status``, and that SIGTERM to the
server shuts its kernels down (each kernel has its own process group, so the server must do it).
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path

import requests

#: The server prints its first requests within about 4 s on two cores; a cold disk is slower.
START_TIMEOUT = 90.0
STOP_TIMEOUT = 15.0

#: Without this setting a fresh profile shows the "get notified about Jupyter news?" toast even
#: with ``--LabApp.news_url=None``, and the toast covers the output of the lowest cells.
_NOTIFICATION_SETTINGS = Path("lab/user-settings/@jupyterlab/apputils-extension")


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class JupyterLab:
    """One ``jupyter lab`` process serving ``root_dir`` with a random token.

    ``env`` is added to the server's environment, so every kernel it starts inherits it; other
    ``LINKIS_*`` variables of the test process are dropped, so kernels see only those given.
    Configuration and runtime files go to ``state_dir``; kernelspecs and labextensions are still
    found under ``sys.prefix``, which Jupyter searches whatever ``JUPYTER_DATA_DIR`` says.
    """

    def __init__(self, root_dir: Path, state_dir: Path, env: Mapping[str, str]) -> None:
        self.root_dir = root_dir
        self.state_dir = state_dir
        self.extra_env = dict(env)
        self.port = free_port()
        self.token = secrets.token_hex(16)
        self.process: subprocess.Popen[bytes] | None = None
        self.log_path = state_dir / "jupyter-lab.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def notebook_url(self, name: str) -> str:
        """The address that opens ``name`` (relative to the root dir) already logged in.

        ``reset`` drops the saved workspace, so tabs of earlier tests do not open again.
        """
        return f"{self.url}/lab/tree/{name}?reset&token={self.token}"

    def start(self) -> JupyterLab:
        """Start the server and return once its REST API answers."""
        self._write_settings()
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                self._command(),
                env=self._environment(),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                # Its own session: a Ctrl-C meant for pytest must not reach the server first.
                start_new_session=True,
            )
        self._wait_ready()
        return self

    def stop(self) -> None:
        """SIGTERM (the server then shuts its kernels down), SIGKILL if it does not exit."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(STOP_TIMEOUT)

    def api(self, method: str, path: str) -> requests.Response:
        """Call the server's REST API (``path`` starts with ``/api/``)."""
        return requests.request(
            method, self.url + path, headers=self._auth(), timeout=(5.0, 30.0)
        )

    def log_tail(self, lines: int = 40) -> str:
        """The end of the server's own log, for failure messages."""
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    #: The ``jupyter`` subcommand that serves the frontend.
    app = "lab"

    def _command(self) -> list[str]:
        return [
            sys.executable, "-m", "jupyter", self.app,
            "--no-browser",
            "--allow-root",
            "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.port={self.port}",
            "--ServerApp.port_retries=0",
            f"--IdentityProvider.token={self.token}",
            f"--ServerApp.root_dir={self.root_dir}",
            "--LabApp.news_url=None",
            "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        ]

    def _environment(self) -> dict[str, str]:
        env = {name: value for name, value in os.environ.items() if not name.startswith("LINKIS_")}
        env.update(self.extra_env)
        for name in ("CONFIG", "RUNTIME", "DATA"):
            env[f"JUPYTER_{name}_DIR"] = str(self.state_dir / name.lower())
        # Kernels write their IPython profile and history here instead of ~/.ipython.
        env["IPYTHONDIR"] = str(self.state_dir / "ipython")
        return env

    def _write_settings(self) -> None:
        settings = self.state_dir / "config" / _NOTIFICATION_SETTINGS
        settings.mkdir(parents=True, exist_ok=True)
        path = settings / "notification.jupyterlab-settings"
        path.write_text(json.dumps({"fetchNews": "false", "checkForUpdates": False}))

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"jupyter lab exited early:\n{self.log_tail()}")
            try:
                if self.api("GET", "/api/status").status_code == 200:
                    return
            except requests.ConnectionError:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"jupyter lab not ready after {START_TIMEOUT:.0f} s:\n{self.log_tail()}")

    def _auth(self) -> dict[str, str]:
        return {"Authorization": f"token {self.token}"}


class Notebook7(JupyterLab):
    """``jupyter notebook`` (Notebook 7): the same server and toolbar, one notebook a page."""

    app = "notebook"

    def notebook_url(self, name: str) -> str:
        """The notebook's own page (``/notebooks/<path>``), logged in by the token."""
        return f"{self.url}/notebooks/{name}?token={self.token}"
