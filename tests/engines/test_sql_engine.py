"""The SQL engines on a real DuckDB file, driven through a recording ExecutionContext."""

from __future__ import annotations

import datetime
import decimal

import pytest

from linkis_magic.local.engines import EngineError, EnginePool
from tests.engines.harness import RecordingContext, cancel, run_in_thread
from tests.support import wait_for

LONG_QUERY = "SELECT sum(a.range * b.range) FROM range(200000) a, range(200000) b"


def run(pool: EnginePool, ctx):
    pool.get(ctx.engine, ctx.user, ctx.creator).execute(ctx)
    return ctx


def test_table_created_in_one_job_is_there_in_the_next(pool, make_ctx):
    run(pool, make_ctx("hive", "CREATE TABLE sales (id INT, amount DECIMAL(10,2)) STORED AS ORC", "hql"))
    run(pool, make_ctx("hive", "INSERT INTO sales VALUES (1, 9.50), (2, NULL)", "hql"))
    ctx = run(pool, make_ctx("hive", "SELECT * FROM sales ORDER BY id", "hql"))
    assert list(ctx.tables()) == [([("id", "int"), ("amount", "decimal(10,2)")],
                                   [[1, decimal.Decimal("9.50")], [2, None]])]


def test_database_file_outlives_the_pool(tmp_path, make_ctx):
    first = EnginePool(tmp_path)
    run(first, make_ctx("hive", "CREATE TABLE kept AS SELECT 42 AS answer"))
    first.close()
    second = EnginePool(tmp_path)
    try:
        ctx = run(second, make_ctx("trino", "SELECT answer FROM kept", "tsql"))
    finally:
        second.close()
    assert list(ctx.tables()) == [([("answer", "int")], [[42]])]


def test_each_row_returning_statement_is_one_result_set(pool, make_ctx):
    code = """
        CREATE TABLE t (a INT, b STRING) PARTITIONED BY (dt STRING);
        INSERT OVERWRITE TABLE t PARTITION (dt='d1') SELECT 1, 'x';
        SET hive.exec.dynamic.partition=true;
        SELECT a, b, dt FROM t;
        SHOW TABLES;
        SELECT count(*) AS n FROM t
    """
    ctx = run(pool, make_ctx("hive", code, "hql"))
    assert list(ctx.tables()) == [
        ([("a", "int"), ("b", "string"), ("dt", "string")], [[1, "x", "d1"]]),
        ([("tab_name", "string")], [["t"]]),
        ([("n", "bigint")], [[1]]),
    ]
    log = ctx.log_text("INFO")
    assert "Start to execute statement 6: SELECT count(*) AS n FROM t" in log
    assert "SET is accepted and ignored" in log


def test_insert_overwrite_replaces_only_its_partition(pool, make_ctx):
    run(pool, make_ctx("hive", "CREATE TABLE p (v INT) PARTITIONED BY (dt STRING)"))
    run(pool, make_ctx("hive", "INSERT INTO p PARTITION (dt='a') VALUES (1); "
                               "INSERT INTO p PARTITION (dt='b') VALUES (2)"))
    run(pool, make_ctx("hive", "INSERT OVERWRITE TABLE p PARTITION (dt='a') SELECT v * 10 FROM p WHERE dt = 'a'"))
    ctx = run(pool, make_ctx("hive", "SELECT dt, v FROM p ORDER BY dt"))
    assert next(ctx.tables())[1] == [["a", 10], ["b", 2]]


def test_types_are_named_as_hive_writes_them(pool, make_ctx):
    # What the engine writes; Linkis's reader normalises it for clients (tests/local).
    code = (
        "SELECT 1::TINYINT t, 2::SMALLINT s, 3 i, 4::BIGINT b, 1.5::FLOAT f, 2.5::DOUBLE d, TRUE ok, "
        "DATE '2024-01-02' day, TIMESTAMP '2024-01-02 03:04:05' ts, [1, 2] arr, NULL::VARCHAR nothing, "
        "1.25::DECIMAL(10, 2) money"
    )
    columns, rows = next(run(pool, make_ctx("spark", code, "sql")).tables())
    assert [t for _, t in columns] == [
        "tinyint", "smallint", "int", "bigint", "float", "double", "boolean", "date", "timestamp", "string", "string",
        "decimal(10,2)",
    ]
    assert rows == [
        [1, 2, 3, 4, 1.5, 2.5, True, datetime.date(2024, 1, 2), datetime.datetime(2024, 1, 2, 3, 4, 5), "[1,2]", None,
         decimal.Decimal("1.25")]
    ]


class CountingContext(RecordingContext):
    """Counts table rows instead of keeping them, and notes whether they came as one list."""

    def write_table(self, columns, rows):
        count, last = 0, None
        for last in rows:
            count += 1
        self.results.append(("table", (list(columns), count, list(last), isinstance(rows, (list, tuple)))))


def test_a_million_rows_stream_through(pool, tmp_path):
    ctx = CountingContext("hive", "hql", "SELECT range AS n FROM range(1000000)", tmp_path / "alice")
    run(pool, ctx)
    assert list(ctx.tables()) == [([("n", "bigint")], 1_000_000, [999_999], False)]
    assert "Fetched 1000000 row(s)" in ctx.log_text()


def test_error_names_the_statement_and_stops_the_cell(pool, make_ctx):
    ctx = make_ctx("hive", "SELECT 1; SELECT * FROM no_such_table; SELECT 3")
    with pytest.raises(EngineError, match=r"Statement 2 failed: .*no_such_table"):
        run(pool, ctx)
    assert len(list(ctx.tables())) == 1


def test_failed_overwrite_rolls_back(pool, make_ctx):
    run(pool, make_ctx("hive", "CREATE TABLE keep (v INT); INSERT INTO keep VALUES (1)"))
    with pytest.raises(EngineError):
        run(pool, make_ctx("hive", "INSERT OVERWRITE TABLE keep SELECT 'not a number'"))
    assert next(run(pool, make_ctx("hive", "SELECT v FROM keep")).tables())[1] == [[1]]


def test_progress_counts_statements(pool, make_ctx):
    ctx = run(pool, make_ctx("presto", "SELECT 1; SELECT 2", "psql"))
    assert ctx.progress[-1] == (
        1.0,
        [{"id": "statements", "succeedTasks": 2, "failedTasks": 0, "runningTasks": 0, "totalTasks": 2}],
    )
    assert all(0.0 <= p <= 1.0 for p, _ in ctx.progress)


def test_kill_interrupts_a_long_query(pool, make_ctx):
    ctx = make_ctx("hive", f"SELECT 1; {LONG_QUERY}")
    engine = pool.get("hive", ctx.user, ctx.creator)
    thread, outcome = run_in_thread(engine, ctx)
    wait_for(lambda: "Start to execute statement 2" in ctx.log_text())
    cancel(engine, ctx)
    thread.join(30)
    assert not thread.is_alive()
    assert isinstance(outcome.get("error"), EngineError)
    assert len(list(ctx.tables())) == 1


def test_kill_before_a_statement_starts_stops_the_cell(pool, make_ctx):
    ctx = make_ctx("hive", "SELECT 1")
    ctx.cancelled.set()
    with pytest.raises(EngineError, match="cancelled"):
        run(pool, ctx)
    assert ctx.results == []


def test_concurrent_jobs_of_one_user_share_the_database(pool, make_ctx):
    run(pool, make_ctx("hive", "CREATE TABLE shared AS SELECT 7 AS v"))
    slow = make_ctx("hive", LONG_QUERY)
    engine = pool.get("hive", "alice", "IDE")
    thread, outcome = run_in_thread(engine, slow)
    wait_for(lambda: "Start to execute statement 1" in slow.log_text())
    quick = run(pool, make_ctx("jdbc", "SELECT v FROM shared", "jdbc"))
    cancel(engine, slow)
    thread.join(30)
    assert next(quick.tables())[1] == [[7]]
    assert not thread.is_alive() and "error" in outcome


def test_users_have_separate_databases(pool, make_ctx):
    run(pool, make_ctx("hive", "CREATE TABLE mine AS SELECT 1 AS v"))
    with pytest.raises(EngineError, match="mine"):
        run(pool, make_ctx("hive", "SELECT * FROM mine", user="bob"))
