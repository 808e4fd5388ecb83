"""The SQL engines (hive, spark, trino, presto, jdbc) of the local gateway, run on DuckDB.

One :class:`SqlEngine` serves every SQL engine of one user: they share one DuckDB database file
in the user's directory, the way a cluster's engines share one warehouse, so a table created from
``hive`` is there for ``trino`` and for the next job. Each job gets its own cursor (DuckDB's unit
of concurrency within one database), so session state such as ``USE db`` lasts for one job.

A cell is cut into statements and each is translated from the engine's dialect (see
:mod:`.translate`), then run in order. Each statement that returns rows writes one TABLE result
set, as Linkis engines write one ``_N.dolphin`` file per statement output (protocol §8.1).
"""

from __future__ import annotations

import datetime
import decimal
import json
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import duckdb

from .base import Engine, EngineError, ExecutionContext
from .translate import DIALECTS, Translation, TranslationError, linkis_type, split_statements, translate

DATABASE_FILE = "warehouse.duckdb"
_FETCH_ROWS = 10_000
_PROGRESS_POLL_SECONDS = 0.25
# DuckDB's answer to DDL and DML is a one-column status table, not a result for the user.
_STATUS_COLUMNS = (["Count"], ["Success"])


class SqlEngine(Engine):
    """Runs SQL cells of one user on the DuckDB database ``<user_dir>/warehouse.duckdb``."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._connection: duckdb.DuckDBPyConnection | None = None
        self._cursors: dict[int, duckdb.DuckDBPyConnection] = {}

    def execute(self, ctx: ExecutionContext) -> None:
        """Run every statement of ``ctx.code`` in order; stop at the first failure."""
        dialect = DIALECTS[ctx.engine]
        try:
            statements = split_statements(ctx.code, dialect)
        except TranslationError as e:
            raise EngineError(str(e)) from e
        ctx.log("INFO", f"Your {ctx.engine} code has {len(statements)} statement(s)")
        cursor = self._open_cursor(ctx)
        try:
            for index, statement in enumerate(statements):
                _raise_if_cancelled(ctx)
                try:
                    translation = translate(statement, dialect)
                except TranslationError as e:
                    raise EngineError(str(e)) from e
                _run_statement(ctx, cursor, index, len(statements), translation)
        finally:
            self._close_cursor(ctx.task_id, cursor)
        ctx.set_progress(1.0, [_stage(len(statements), len(statements), running=0)])

    def cancel(self, ctx: ExecutionContext) -> None:
        """Interrupt the job's running query; ``execute`` then raises promptly."""
        with self._lock:
            cursor = self._cursors.get(ctx.task_id)
        if cursor is not None:
            cursor.interrupt()

    def close(self) -> None:
        """Interrupt running queries and close the database."""
        with self._lock:
            for cursor in self._cursors.values():
                cursor.interrupt()
            if self._connection is not None:
                self._connection.close()
                self._connection = None

    def metastore(self, user_dir: Path, database: str | None = None, table: str | None = None) -> list[tuple]:
        """What the metastore would list, read from the user's database: with no ``database``,
        the databases ``(name,)``; with ``database``, its tables ``(name, is_view)``; with a
        ``table`` too, its columns ``(name, Hive type, comment)`` in order. Hive's ``default``
        is DuckDB's ``main``."""
        with self._lock:
            if self._connection is None:
                self._connection = _connect(Path(user_dir) / DATABASE_FILE)
            cursor = self._connection.cursor()
        schema = "main" if database == "default" else database
        try:
            if database is None:
                rows = cursor.execute("SELECT schema_name FROM information_schema.schemata "
                                      "WHERE catalog_name = current_database()").fetchall()
                return [("default" if name == "main" else name,) for (name,) in rows]
            if table is None:
                return cursor.execute("SELECT table_name, table_type = 'VIEW' FROM information_schema.tables "
                                      "WHERE table_catalog = current_database() AND table_schema = ? ORDER BY 1",
                                      [schema]).fetchall()
            rows = cursor.execute("SELECT column_name, data_type, column_comment FROM information_schema.columns "
                                  "WHERE table_catalog = current_database() AND table_schema = ? AND table_name = ? "
                                  "ORDER BY ordinal_position", [schema, table]).fetchall()
            return [(name, linkis_type(data_type), comment) for name, data_type, comment in rows]
        finally:
            cursor.close()

    def _open_cursor(self, ctx: ExecutionContext) -> duckdb.DuckDBPyConnection:
        with self._lock:
            if self._connection is None:
                self._connection = _connect(Path(ctx.user_dir) / DATABASE_FILE)
            cursor = self._connection.cursor()
            self._cursors[ctx.task_id] = cursor
        # query_progress() stays at -1 unless the progress bar is on; printing it stays off.
        cursor.execute("SET enable_progress_bar = true")
        cursor.execute("SET enable_progress_bar_print = false")
        return cursor

    def _close_cursor(self, task_id: int, cursor: duckdb.DuckDBPyConnection) -> None:
        with self._lock:
            self._cursors.pop(task_id, None)
        cursor.close()


def _connect(path: Path) -> duckdb.DuckDBPyConnection:
    """Open the user's database; another process holding it (DuckDB locks the file) is an
    engine error the user can act on, not a gateway bug."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        return duckdb.connect(str(path))
    except duckdb.Error as e:
        raise EngineError(f"Cannot open the SQL engine's database {path}: {e}") from e


def _run_statement(
    ctx: ExecutionContext, cursor: duckdb.DuckDBPyConnection, index: int, total: int, translation: Translation
) -> None:
    """Log, run and report one statement (1-based ``index + 1`` in logs and errors)."""
    number = index + 1
    ctx.log("INFO", f"Start to execute statement {number}: {translation.source}")
    for warning in translation.warnings:
        ctx.log("WARN", warning)
    if translation.message:
        ctx.log(translation.level, translation.message)
    if not translation.sql:
        return
    if [_squeeze(sql) for sql in translation.sql] != [_squeeze(translation.source)]:
        ctx.log("INFO", "DuckDB SQL: " + ";\n".join(translation.sql))
    started = time.monotonic()
    try:
        with _ProgressWatch(ctx, cursor, index, total):
            _execute_all(cursor, translation.sql)
            _report_result(ctx, cursor, translation.returns_rows)
    except duckdb.Error as e:
        _raise_if_cancelled(ctx)
        raise EngineError(f"Statement {number} failed: {e}") from e
    if translation.moves:
        Path(translation.moves).unlink(missing_ok=True)
    ctx.log("INFO", f"Statement {number} finished in {time.monotonic() - started:.3f} s")


def _execute_all(cursor: duckdb.DuckDBPyConnection, sql: Sequence[str]) -> None:
    """Run one translated statement; several DuckDB statements run as one transaction."""
    if len(sql) == 1:
        cursor.execute(sql[0])
        return
    cursor.begin()
    try:
        for part in sql:
            cursor.execute(part)
    except duckdb.Error:
        cursor.rollback()
        raise
    cursor.commit()


def _report_result(ctx: ExecutionContext, cursor: duckdb.DuckDBPyConnection, returns_rows: bool | None) -> None:
    """Write the rows as a TABLE result set, or log the affected row count."""
    description = cursor.description
    names = [column[0] for column in description] if description else []
    if returns_rows is None:
        returns_rows = bool(names) and names not in _STATUS_COLUMNS
    if not returns_rows:
        count = cursor.fetchone() if names == ["Count"] else None
        if count is not None:  # DDL answers with an empty Count table
            ctx.log("INFO", f"{count[0]} row(s) affected")
        return
    types = [linkis_type(str(column[1])) for column in description]
    converters = [_converter(column[1].id, linkis) for column, linkis in zip(description, types)]
    rows = _RowStream(ctx, cursor, converters)
    ctx.write_table(list(zip(names, types)), rows)
    ctx.log("INFO", f"Fetched {rows.count} row(s), {len(names)} column(s)")


class _RowStream:
    """Rows fetched in batches, so a million-row result is never one list; counts what it yields."""

    def __init__(
        self, ctx: ExecutionContext, cursor: duckdb.DuckDBPyConnection, converters: list[Callable[[Any], Any]]
    ) -> None:
        self._ctx = ctx
        self._cursor = cursor
        self._converters = converters
        self.count = 0

    def __iter__(self) -> Iterator[Sequence[Any]]:
        as_is = all(convert is _identity for convert in self._converters)
        while batch := self._cursor.fetchmany(_FETCH_ROWS):
            _raise_if_cancelled(self._ctx)
            if as_is:
                yield from batch
            else:
                for row in batch:
                    yield [convert(value) for convert, value in zip(self._converters, row)]
            self.count += len(batch)


def _converter(duckdb_type_id: str, linkis: str) -> Callable[[Any], Any]:
    """Identity for types Linkis names; text for the rest (lists and structs as Hive shows them)."""
    if duckdb_type_id == "timestamp with time zone":
        return _wall_clock
    if linkis != "string" or duckdb_type_id == "varchar":
        return _identity
    return _to_text


def _identity(value: Any) -> Any:
    return value


def _wall_clock(value: datetime.datetime | None) -> datetime.datetime | None:
    """DuckDB gives TIMESTAMPTZ values in its session time zone; keep that wall-clock time."""
    return value.replace(tzinfo=None) if value is not None else None


def _to_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, (list, dict, tuple)):
        return json.dumps(value, separators=(",", ":"), default=_json_scalar, ensure_ascii=False)
    return str(value)


def _json_scalar(value: Any) -> Any:
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat(sep=" ") if isinstance(value, datetime.datetime) else value.isoformat()
    return str(value)


class _ProgressWatch:
    """While a statement runs: poll DuckDB's progress, and interrupt it once the job is cancelled.

    Polling the cancel flag closes the race where the kill arrives between two statements, before
    the runner's ``cancel`` could find a running query to interrupt.
    """

    def __init__(self, ctx: ExecutionContext, cursor: duckdb.DuckDBPyConnection, index: int, total: int) -> None:
        self._ctx, self._cursor, self._index, self._total = ctx, cursor, index, total
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._watch, name=f"duckdb-progress-{ctx.task_id}", daemon=True)

    def __enter__(self) -> _ProgressWatch:
        self._report(0.0)
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._done.set()
        self._thread.join()

    def _watch(self) -> None:
        while not self._done.wait(_PROGRESS_POLL_SECONDS):
            if self._ctx.cancelled.is_set():
                self._cursor.interrupt()
                return
            percent = self._cursor.query_progress()  # -1 while DuckDB cannot tell
            self._report(max(percent, 0.0) / 100.0)

    def _report(self, fraction: float) -> None:
        progress = (self._index + min(fraction, 1.0)) / self._total
        self._ctx.set_progress(progress, [_stage(self._index, self._total, running=1)])


def _stage(done: int, total: int, running: int) -> dict:
    """The one progressInfo stage of a SQL job: its statements (protocol §4.5)."""
    return {"id": "statements", "succeedTasks": done, "failedTasks": 0, "runningTasks": running, "totalTasks": total}


def _squeeze(sql: str) -> str:
    """SQL with case and spacing ignored, to log a translation only when it changed something."""
    return " ".join(sql.lower().split())


def _raise_if_cancelled(ctx: ExecutionContext) -> None:
    if ctx.cancelled.is_set():
        raise EngineError("The job was cancelled")
