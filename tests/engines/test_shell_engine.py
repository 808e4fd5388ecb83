"""The shell engine: real bash process groups, driven through a recording ExecutionContext."""

from __future__ import annotations

import pytest

from linkis_magic.local.engines import EngineError, EnginePool
from tests.engines.harness import cancel, process_gone, run_in_thread
from tests.support import wait_for


def run(pool: EnginePool, ctx):
    pool.get(ctx.engine, ctx.user, ctx.creator).execute(ctx)
    return ctx


def test_output_is_logged_and_becomes_a_text_result(pool, make_ctx):
    ctx = run(pool, make_ctx("shell", "echo one; echo oops >&2; echo two"))
    assert ctx.texts() == ["one\ntwo\n"]
    assert ("INFO", "one") in ctx.logs and ("INFO", "two") in ctx.logs
    assert ("WARN", "oops") in ctx.logs


def test_runs_in_a_scratch_dir_of_the_user(pool, make_ctx):
    ctx = run(pool, make_ctx("shell", "pwd", "sh"))
    assert ctx.texts() == [f"{ctx.user_dir / 'shell'}\n"]


def test_non_zero_exit_fails_the_job(pool, make_ctx):
    ctx = make_ctx("shell", "echo partial; exit 3")
    with pytest.raises(EngineError, match="shell exited with code 3"):
        run(pool, ctx)
    assert ctx.texts() == ["partial\n"]


def test_kill_stops_the_process_group(pool, make_ctx):
    ctx = make_ctx("shell", "sleep 600 & echo $!; wait")
    engine = pool.get("shell", ctx.user, ctx.creator)
    thread, outcome = run_in_thread(engine, ctx)
    wait_for(lambda: any(level == "INFO" and message.isdigit() for level, message in ctx.logs))
    sleeper = int(next(message for level, message in ctx.logs if level == "INFO" and message.isdigit()))
    cancel(engine, ctx)
    thread.join(30)
    assert not thread.is_alive()
    assert "cancelled" in str(outcome["error"])
    wait_for(lambda: process_gone(sleeper))


def test_a_job_that_ignores_sigterm_is_killed_after_the_grace_period(pool, make_ctx):
    ctx = make_ctx("shell", "trap '' TERM; echo ready; while true; do sleep 0.1; done")
    engine = pool.get("shell", ctx.user, ctx.creator)
    thread, outcome = run_in_thread(engine, ctx)
    wait_for(lambda: ("INFO", "ready") in ctx.logs)
    cancel(engine, ctx)
    thread.join(30)
    assert not thread.is_alive() and "cancelled" in str(outcome["error"])


def test_a_kill_before_bash_is_running_still_stops_it(pool, make_ctx):
    ctx = make_ctx("shell", "sleep 600")
    ctx.cancelled.set()  # the runner's flag is up, but the engine had no process to signal yet
    engine = pool.get("shell", ctx.user, ctx.creator)
    thread, outcome = run_in_thread(engine, ctx)
    thread.join(30)
    assert not thread.is_alive() and "cancelled" in str(outcome["error"])


def test_background_process_holding_the_output_is_stopped(pool, make_ctx):
    ctx = run(pool, make_ctx("shell", "sleep 600 & echo started"))
    assert ctx.texts() == ["started\n"]
    assert "Background processes" in ctx.log_text("WARN")
