"""What every bench shares: the gateway they run against, result rows, medians, child processes.

Every figure is compared with a baseline measured in the same run, because these machines are
noisy and absolute times vary from run to run. A :class:`Row` holds both, the samples behind
them, and whether the figure meets the issue's target.
"""

from __future__ import annotations

import contextlib
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from linkis_magic.client import LinkisClient
from linkis_magic.local.auth import default_user
from linkis_magic.local.server import LocalLinkis

BENCH_DIR = Path(__file__).resolve().parent
#: Users of the bench gateway besides the default one. Concurrent runs use one user each, so the
#: gateway's request log tells them apart (``RequestRecord.user``).
EXTRA_USERS = (tuple(f"eco{i}" for i in range(1, 10)) + tuple(f"load{i}" for i in range(1, 6))
               + ("lag1", "lag2", "lag3", "comp1"))


@dataclass
class Row:
    """One line of the table: a figure, its baseline, and the target it is held to."""

    bench: str
    figure: float
    unit: str
    baseline: float | None
    baseline_name: str
    target: str
    passed: bool | None
    compare: str = "ratio"  # "ratio" (figure / baseline) or "difference" (figure - baseline)
    samples: list[float] = field(default_factory=list)
    baseline_samples: list[float] = field(default_factory=list)
    note: str = ""

    def comparison(self) -> str:
        """``×0.05`` or ``−950 ms``: the figure against its baseline."""
        if self.baseline is None:
            return "—"
        if self.compare == "difference":
            return f"{self.figure - self.baseline:+,.1f} {self.unit}"
        return f"×{self.figure / self.baseline:.2f}" if self.baseline else "—"

    def as_json(self) -> dict:
        data = asdict(self)
        data["figure"] = None if self.figure != self.figure else self.figure  # NaN is not JSON
        data["comparison"] = self.comparison()
        return data


def median(values: Sequence[float]) -> float:
    return float(statistics.median(values))


def percentile(values: Sequence[float], share: float) -> float:
    """The nearest-rank percentile (``share`` in 0..1): a value that was actually observed."""
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * share // 1))  # ceil without floats drifting
    return float(ordered[int(rank) - 1])


def fmt(value: float | None, unit: str) -> str:
    if value is None or value != value:  # None or NaN: nothing measured
        return "—"
    digits = 0 if abs(value) >= 100 else 1 if abs(value) >= 10 else 2
    return f"{value:,.{digits}f} {unit}".strip()


def now_ms() -> float:
    """Wall-clock milliseconds, the clock the gateway stamps ``updatedTime`` with (§7.1)."""
    return time.time() * 1000.0


class Bench:
    """The gateway all benches share, and clients for its users."""

    def __init__(self) -> None:
        users = {default_user(): {}, **{name: {} for name in EXTRA_USERS}}
        self.gateway = LocalLinkis(users=users)  # in a temporary directory, removed when it stops

    def start(self) -> Bench:
        self.gateway.start()
        return self

    def stop(self) -> None:
        self.gateway.stop()

    def __enter__(self) -> Bench:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        return self.gateway.url

    def token(self, user: str | None = None) -> str:
        return self.gateway.credentials(user or self.gateway.user)[1]

    def client(self, user: str | None = None) -> LinkisClient:
        """Our client for ``user`` (token auth: no login request, §2.2)."""
        name = user or self.gateway.user
        return LinkisClient(self.url, user=name, token=self.token(name))

    def requests_of(self, user: str) -> int:
        """How many requests the gateway has logged from ``user``."""
        return sum(1 for record in self.gateway.requests if record.user == user)

    def child_config(self, **extra: Any) -> dict:
        """What a child process needs to reach the gateway (sent on stdin, never in argv)."""
        users = {name: self.token(name) for name in (self.gateway.user, *EXTRA_USERS)}
        return {"url": self.url, "user": self.gateway.user, "tokens": users,
                "password": self.gateway.password, **extra}


def run_child(script: str, config: dict, *, env: dict | None = None, timeout: float = 300.0) -> dict:
    """Run ``bench/<script> --child`` with ``config`` as JSON on stdin; its last stdout line is JSON.

    Client-side measurements that must not share the gateway's interpreter (its GIL, its heap
    for tracemalloc) run this way.
    """
    done = subprocess.run(
        [sys.executable, str(BENCH_DIR / script), "--child"], input=json.dumps(config), text=True,
        capture_output=True, timeout=timeout, env={**os.environ, **(env or {})}, check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"{script} child failed ({done.returncode}): {done.stderr.strip()[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def child_main(handlers: dict[str, Callable[[dict], Any]]) -> None:
    """The ``--child`` side of :func:`run_child`: dispatch on ``config["mode"]``, print JSON."""
    config = json.load(sys.stdin)
    print(json.dumps(handlers[config["mode"]](config)))


class LiveView:
    """A job listener that takes logs and progress, so ``Job.wait`` reads them as for the live view."""

    def on_log(self, job: Any, lines: list[str]) -> None:
        pass

    def on_progress(self, job: Any) -> None:
        pass


@contextlib.contextmanager
def ipython_shell(bench: Bench) -> Iterator[Any]:
    """An in-process IPython shell whose ``%%linkis`` talks to the bench gateway.

    The connection comes through the environment (``LINKIS_URL``, ``LINKIS_USER``,
    ``LINKIS_TOKEN``) with an empty config file, as a user would set it; restored afterwards.
    """
    from IPython.testing import globalipapp

    from linkis_magic.config import ENV_VARS
    from linkis_magic.magic import LinkisMagics

    config = Path(bench.gateway.data_dir) / "bench-config.toml"
    config.touch()
    saved = {name: os.environ.pop(name) for name in ENV_VARS if name in os.environ}
    os.environ.update(LINKIS_CONFIG=str(config), LINKIS_URL=bench.url, LINKIS_USER=bench.gateway.user,
                      LINKIS_TOKEN=bench.token())
    globalipapp.start_ipython()
    shell = globalipapp.get_ipython()
    magics = LinkisMagics(shell)
    shell.register_magics(magics)
    try:
        yield shell
    finally:
        magics.close()
        for name in ENV_VARS:
            os.environ.pop(name, None)
        os.environ.update(saved)
