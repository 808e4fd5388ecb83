"""Root pytest configuration: rules that hold for every test run, including nbval notebooks.

A test skipped because a tool is missing hides a broken CI machine, so a run with skipped tests
fails, as `make test` must whenever a test fails or is skipped for a missing tool.

Tests press Ctrl-C as a kernel's SIGINT would (``_thread.interrupt_main``), which does nothing
where SIGINT is ignored: a shell starts background jobs (``cmd &``) that way, and Python then
keeps it ignored. A kernel always installs its own handling, so the run gets Python's.
"""

from __future__ import annotations

import signal

import pytest


def pytest_configure(config: pytest.Config) -> None:
    if signal.getsignal(signal.SIGINT) in (signal.SIG_IGN, signal.SIG_DFL):
        signal.signal(signal.SIGINT, signal.default_int_handler)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter.stats.get("skipped", []) if reporter else []
    if skipped and exitstatus == pytest.ExitCode.OK:
        reporter.write_line(
            f"{len(skipped)} test(s) skipped: every test must run here (see the -ra summary)",
            red=True,
        )
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
