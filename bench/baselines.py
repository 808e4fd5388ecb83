"""Baselines: plain loops doing what Linkis's other clients do (docs/protocol.md §11).

- :func:`java_sdk_wait`: the Java SDK's documented loop: every 1 s job info, and while the job
  runs its progress and 100 log lines (§11.1).
- :func:`cli_wait`: linkis-cli: every 2 s job history and entrance status, the log while the job
  runs, one ``openLog`` at the end (§11.2).
- :func:`naive_frame`: 5,000-row pages parsed with ``json`` and handed to ``pandas.DataFrame``
  untyped (linkis-cli's page size, §11.2).
- :func:`install_sdk`: linkis-python-sdk 0.2.0 itself, installed outside the repository.

They speak HTTP through a bare ``requests.Session`` with token headers, never through our client.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import requests

from linkis_magic.engines import resolve_engine
from linkis_magic.protocol import API_PREFIX, TERMINAL_STATES, TOKEN_CODE_HEADER, TOKEN_USER_HEADER

JAVA_SDK_PERIOD = 1.0
CLI_PERIOD = 2.0
CLI_PAGE_SIZE = 5000
#: Where linkis-python-sdk 0.2.0 (and redis, which it imports) is installed: outside the repo.
SDK_DIR = Path(tempfile.gettempdir()) / "linkis-bench-sdk-0.2.0"


class PlainLinkis:
    """One user's bare HTTP session to the gateway."""

    def __init__(self, url: str, user: str, token: str) -> None:
        self.base = url + API_PREFIX
        self.session = requests.Session()
        # As our client does: the environment is not re-read on every request (proxies, .netrc),
        # which would charge the baselines a cost ours does not pay.
        self.session.trust_env = False
        self.session.headers.update({TOKEN_CODE_HEADER: token, TOKEN_USER_HEADER: user})
        self.user = user

    def close(self) -> None:
        self.session.close()

    def call(self, method: str, path: str, **kwargs: Any) -> dict:
        """The envelope's ``data``; a non-zero envelope status is an error (§1)."""
        body = self.session.request(method, self.base + path, timeout=60, **kwargs).json()
        if body.get("status") != 0:
            raise RuntimeError(f"{path}: {body.get('message')}")
        return body["data"]

    def submit(self, code: str, engine: str, creator: str = "BENCH") -> tuple[str, int]:
        spec = resolve_engine(engine)  # only the label names, so they match what our client sends
        payload = {"executionContent": {"code": code, "runType": spec.run_type},
                   "labels": {"engineType": spec.engine_type, "userCreator": f"{self.user}-{creator}"}}
        data = self.call("POST", "/entrance/submit", json=payload)
        return data["execID"], int(data["taskID"])

    def job_info(self, task_id: int) -> dict:
        return self.call("GET", f"/jobhistory/{task_id}/get")["task"]

    def status(self, exec_id: str) -> str:
        return self.call("GET", f"/entrance/{exec_id}/status")["status"]

    def progress(self, exec_id: str) -> dict:
        return self.call("GET", f"/entrance/{exec_id}/progress")

    def log(self, exec_id: str, from_line: int, size: int = 100) -> tuple[int, str]:
        """Read a log page; return the next ``fromLine`` (§4.4) and the page's lines (ALL)."""
        data = self.call("GET", f"/entrance/{exec_id}/log", params={"fromLine": from_line, "size": size})
        log = data.get("log")
        text = log[3] if isinstance(log, list) and len(log) == 4 else ""
        return int(data.get("fromLine") or from_line), text

    def kill(self, exec_id: str) -> None:
        self.call("GET", f"/entrance/{exec_id}/kill")

    def open_log(self, log_path: str) -> None:
        self.call("GET", "/filesystem/openLog", params={"path": log_path})


def java_sdk_wait(api: PlainLinkis, exec_id: str, task_id: int, period: float = JAVA_SDK_PERIOD,
                  on_log: Callable[[str], None] = lambda text: None) -> dict:
    """The Java SDK's documented loop (sdk-manual.md): job info every ``period``; while the job
    runs, progress and the next 100 log lines (handed to ``on_log``). Ctrl-C kills, then polls
    until history agrees."""
    from_line = 1
    try:
        info = api.job_info(task_id)
        while info["status"] not in TERMINAL_STATES:
            api.progress(exec_id)
            from_line, text = api.log(exec_id, from_line)
            on_log(text)
            time.sleep(period)
            info = api.job_info(task_id)
    except KeyboardInterrupt:
        return kill_and_confirm(api, exec_id, task_id, period)
    return info


def cli_wait(api: PlainLinkis, exec_id: str, task_id: int, period: float = CLI_PERIOD,
             on_log: Callable[[str], None] = lambda text: None) -> dict:
    """linkis-cli's loop: job history + entrance status every ``period``, the log while the job
    runs (handed to ``on_log``), then the whole log once from ``openLog``. Ctrl-C kills, then
    polls until confirmed."""
    from_line = 1
    try:
        while True:
            info = api.job_info(task_id)
            api.status(exec_id)
            if info["status"] in TERMINAL_STATES:
                break
            from_line, text = api.log(exec_id, from_line)
            on_log(text)
            time.sleep(period)
    except KeyboardInterrupt:
        return kill_and_confirm(api, exec_id, task_id, period)
    if info.get("logPath"):
        api.open_log(info["logPath"])
    return info


def kill_and_confirm(api: PlainLinkis, exec_id: str, task_id: int, period: float) -> dict:
    """Kill, then poll job history every ``period`` until it records a terminal state (§4.6)."""
    api.kill(exec_id)
    while True:
        info = api.job_info(task_id)
        if info["status"] in TERMINAL_STATES:
            return info
        time.sleep(period)


def naive_frame(api: PlainLinkis, path: str, page_size: int = CLI_PAGE_SIZE) -> Any:
    """Every page of ``page_size`` rows, parsed with ``json``, into one untyped DataFrame."""
    import pandas as pd

    rows: list[list[Any]] = []
    columns: list[str] = []
    page = 1
    while True:
        response = api.session.get(api.base + "/filesystem/openFile", timeout=60,
                                   params={"path": path, "page": page, "pageSize": page_size})
        data = json.loads(response.text)["data"]
        content = data.get("fileContent") or []
        columns = columns or [c["columnName"] for c in data.get("metadata") or []]
        rows.extend(content)
        if len(content) < page_size:
            return pd.DataFrame(rows, columns=columns)
        page += 1


def install_sdk(timeout: float = 180.0) -> tuple[Path | None, str]:
    """``(directory, "")`` holding linkis-python-sdk 0.2.0, or ``(None, why not)``.

    Installed with pip ``--target`` into a temporary directory outside the repository and run
    with this interpreter's requests and pandas; never added to the project's dependencies.
    """
    if (SDK_DIR / "linkis_python_sdk" / "client.py").exists():
        return SDK_DIR, ""
    command = [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
               "--no-deps", "--target", str(SDK_DIR), "linkis-python-sdk==0.2.0", "redis"]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return None, f"pip install linkis-python-sdk==0.2.0 took over {timeout:.0f} s"
    if done.returncode != 0:
        return None, "pip install linkis-python-sdk==0.2.0 failed: " + done.stderr.strip()[-300:]
    return SDK_DIR, ""
