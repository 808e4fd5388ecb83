"""A real ipykernel for the benches that measure what a notebook user sees.

The kernel is started through jupyter_client, as JupyterLab starts it, with its environment
pointing ``%%linkis`` at the bench gateway (``LINKIS_URL``, ``LINKIS_USER``, ``LINKIS_TOKEN`` and
an empty config file) and no ``LINKIS_PROGRESS``: the magics pick their default view, the
ipywidgets panel. Messages are timestamped by this process's wall clock as they arrive.
"""

from __future__ import annotations

import os
import queue
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness import Bench
from jupyter_client.manager import start_new_kernel

TIMEOUT = 120.0


@dataclass
class Execution:
    """One ``execute_request``: its iopub messages with arrival times, and its reply's."""

    reply: dict = field(default_factory=dict)
    replied_at: float = 0.0  # time.time() when execute_reply arrived
    messages: list[tuple[float, dict]] = field(default_factory=list)

    def comm_values(self) -> Iterator[tuple[float, str]]:
        """``(arrival, value)`` of every widget ``value`` update (the log panel's HTML among them)."""
        for arrived, msg in self.messages:
            if msg["msg_type"] == "comm_msg":
                value = msg["content"].get("data", {}).get("state", {}).get("value")
                if isinstance(value, str):
                    yield arrived, value


class Kernel:
    """A python3 kernel with ``linkis_magic`` loaded, talking to the bench gateway."""

    def __init__(self, bench: Bench, user: str | None = None) -> None:
        self._home = tempfile.TemporaryDirectory(prefix="linkis-bench-kernel-")
        config = Path(self._home.name) / "config.toml"
        config.touch()
        name = user or bench.gateway.user
        env = {key: value for key, value in os.environ.items()
               if not key.startswith("LINKIS_") or key in ("LINKIS_LOCAL_DATA_DIR",)}
        env.update(LINKIS_URL=bench.url, LINKIS_USER=name, LINKIS_TOKEN=bench.token(name),
                   LINKIS_CONFIG=str(config), IPYTHONDIR=str(Path(self._home.name) / "ipython"))
        self.manager, self.client = start_new_kernel(kernel_name="python3", env=env)
        self.execute("%load_ext linkis_magic")

    def execute(self, code: str) -> Execution:
        """Run ``code``; return its messages once the kernel is idle again. A thread takes iopub
        messages as they come, so their arrival times are not held back by the wait for the
        reply (each channel is its own socket, used by one thread)."""
        run = Execution()
        msg_id = self.client.execute(code)
        collector = threading.Thread(target=self._collect, args=(msg_id, run), daemon=True)
        collector.start()
        while True:
            reply = self.client.get_shell_msg(timeout=TIMEOUT)
            if reply["parent_header"].get("msg_id") == msg_id:
                run.reply, run.replied_at = reply["content"], time.time()
                break
        collector.join(TIMEOUT)
        if run.reply.get("status") != "ok":
            raise RuntimeError(f"the cell failed: {run.reply.get('ename')}: {run.reply.get('evalue')}")
        return run

    def _collect(self, msg_id: str, run: Execution) -> None:
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            try:
                msg = self.client.get_iopub_msg(timeout=0.05)
            except queue.Empty:
                continue
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            run.messages.append((time.time(), msg))
            if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
                return

    def close(self) -> None:
        self.client.stop_channels()
        self.manager.shutdown_kernel(now=True)
        self._home.cleanup()

    def __enter__(self) -> Kernel:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()
