"""The engine pool: which jobs share an instance, and that close() leaves no process behind."""

from __future__ import annotations

import pytest

from linkis_magic.local.engines import SUPPORTED_ENGINES, EngineError, EnginePool
from tests.engines.harness import process_gone, run_in_thread
from tests.support import wait_for


def test_instances_are_reused_as_linkis_reuses_engines(pool):
    assert pool.get("hive", "alice", "IDE") is pool.get("trino", "alice", "nbclient")
    assert pool.get("hive", "alice", "IDE") is not pool.get("hive", "bob", "IDE")
    assert pool.get("python", "alice", "IDE") is pool.get("python", "alice", "IDE")
    assert pool.get("python", "alice", "IDE") is not pool.get("python", "alice", "nbclient")
    assert pool.get("shell", "alice", "IDE") is pool.get("shell", "alice", "nbclient")


def test_every_supported_engine_can_be_had(pool):
    for engine in SUPPORTED_ENGINES:
        assert pool.get(engine, "alice", "IDE") is not None


def test_unknown_engine_is_refused(pool):
    with pytest.raises(EngineError, match="flink"):
        pool.get("flink", "alice", "IDE")


def test_close_leaves_no_child_process(tmp_path, make_ctx):
    pool = EnginePool(tmp_path)
    python = make_ctx("python", "import os; print(os.getpid())")
    pool.get("python", "alice", "IDE").execute(python)
    python_pid = int(python.texts()[0])
    shell = make_ctx("shell", "echo $$; sleep 600")
    thread, _ = run_in_thread(pool.get("shell", "alice", "IDE"), shell)
    wait_for(lambda: len(shell.logs) > 1)
    shell_pid = int(shell.logs[1][1])
    pool.get("hive", "alice", "IDE").execute(make_ctx("hive", "SELECT 1"))

    pool.close()
    thread.join(30)

    assert not thread.is_alive()
    assert process_gone(python_pid) and process_gone(shell_pid)
    with pytest.raises(EngineError, match="closed"):
        pool.get("hive", "alice", "IDE")
