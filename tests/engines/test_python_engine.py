"""The python engine: a real persistent subprocess, driven through a recording ExecutionContext."""

from __future__ import annotations

import datetime
import os

import pytest

from linkis_magic.local.engines import EngineError, EnginePool
from tests.engines.harness import cancel, process_gone, run_in_thread
from tests.support import wait_for


def run(pool: EnginePool, ctx):
    pool.get(ctx.engine, ctx.user, ctx.creator).execute(ctx)
    return ctx


def engine_pid(pool: EnginePool, make_ctx, **fields) -> int:
    return int(run(pool, make_ctx("python", "import os; print(os.getpid())", **fields)).texts()[0])


def test_variables_live_across_jobs(pool, make_ctx):
    run(pool, make_ctx("python", "counter = 41"))
    ctx = run(pool, make_ctx("python", "counter += 1\nprint('counter is', counter)"))
    assert ctx.texts() == ["counter is 42\n"]
    assert ("INFO", "counter is 42") in ctx.logs


def test_creators_get_separate_engines(pool, make_ctx):
    run(pool, make_ctx("python", "secret = 1", creator="IDE"))
    with pytest.raises(EngineError, match="NameError"):
        run(pool, make_ctx("python", "secret", creator="nbclient"))


def test_show_writes_tables_in_order_with_printed_text(pool, make_ctx):
    code = """
import pandas as pd
print("before")
show(pd.DataFrame({
    "i": pd.Series([1, 2], dtype="int32"),
    "f": [1.5, float("nan")],
    "s": ["a", None],
    "b": [True, False],
    "t": pd.to_datetime(["2024-01-02 03:04:05", None]),
    "d": [datetime.date(2024, 1, 2), None],
}))
print("after")
"""
    ctx = run(pool, make_ctx("python", "import datetime" + code))
    assert ctx.results == [
        ("text", "before\n"),
        (
            "table",
            (
                [("i", "int"), ("f", "double"), ("s", "string"), ("b", "boolean"), ("t", "timestamp"), ("d", "date")],
                [
                    [1, 1.5, "a", True, datetime.datetime(2024, 1, 2, 3, 4, 5), datetime.date(2024, 1, 2)],
                    [2, None, None, False, None, None],
                ],
            ),
        ),
        ("text", "after\n"),
    ]


def test_show_rejects_what_is_not_a_dataframe(pool, make_ctx):
    with pytest.raises(EngineError, match="TypeError: show\\(\\) takes a pandas DataFrame"):
        run(pool, make_ctx("python", "show([1, 2])"))


def test_exception_fails_the_job_with_its_traceback(pool, make_ctx):
    ctx = make_ctx("python", "print('partial')\ndef f():\n    return 1 / 0\nf()")
    with pytest.raises(EngineError) as failure:
        run(pool, ctx)
    assert str(failure.value) == "ZeroDivisionError: division by zero"
    traceback = ctx.log_text("ERROR")
    assert "Traceback (most recent call last)" in traceback and "return 1 / 0" in traceback
    assert ctx.texts() == ["partial\n"]


def test_stderr_is_logged_as_warnings(pool, make_ctx):
    code = "import sys, os\nprint('careful', file=sys.stderr)\nos.system('echo from-fd >&1')"
    ctx = run(pool, make_ctx("python", code))
    # sys.stderr goes through the protocol pipe, fd 2 through the raw one: the two are read
    # independently, so only what arrives is fixed, not which comes first.
    assert sorted(message for level, message in ctx.logs if level == "WARN") == ["careful", "from-fd"]
    assert ctx.texts() == []


def test_user_code_cannot_read_the_protocol_pipe(pool, make_ctx):
    ctx = run(pool, make_ctx("python", "import sys\nprint(repr(sys.stdin.read()))"))
    assert ctx.texts() == ["''\n"]


def cancel_once_running(pool, make_ctx, code: str, marker: str) -> dict:
    """Run ``code`` on the python engine, cancel it once it has logged ``marker``; its outcome."""
    ctx = make_ctx("python", code)
    engine = pool.get("python", ctx.user, ctx.creator)
    thread, outcome = run_in_thread(engine, ctx)
    wait_for(lambda: ("INFO", marker) in ctx.logs)
    cancel(engine, ctx)
    thread.join(30)
    assert not thread.is_alive()
    return outcome


def test_kill_interrupts_the_code_and_keeps_the_namespace(pool, make_ctx):
    pid = engine_pid(pool, make_ctx)
    run(pool, make_ctx("python", "kept = 'still here'"))
    code = "import time\nprint('sleeping')\nwhile True:\n    time.sleep(0.05)"
    outcome = cancel_once_running(pool, make_ctx, code, "sleeping")
    assert "KeyboardInterrupt" in str(outcome["error"])
    assert run(pool, make_ctx("python", "print(kept)")).texts() == ["still here\n"]
    assert engine_pid(pool, make_ctx) == pid


def test_code_that_ignores_interrupts_is_killed_and_the_engine_restarts(pool, make_ctx):
    pid = engine_pid(pool, make_ctx)
    code = ("import time\nprint('stubborn')\nwhile True:\n    try:\n        time.sleep(0.05)\n"
            "    except KeyboardInterrupt:\n        pass")
    outcome = cancel_once_running(pool, make_ctx, code, "stubborn")
    assert "killed" in str(outcome["error"])
    assert process_gone(pid)
    assert engine_pid(pool, make_ctx) != pid


def test_engine_runs_in_its_own_session(pool, make_ctx):
    pid = engine_pid(pool, make_ctx)
    assert os.getsid(pid) == pid != os.getsid(0)


def test_pyspark_code_runs_as_python_on_spark(pool, make_ctx):
    run(pool, make_ctx("spark", "rows = [1, 2, 3]", "py"))
    assert run(pool, make_ctx("spark", "print(sum(rows))", "py")).texts() == ["6\n"]
