"""The engines of the local gateway and the pool that shares them between jobs.

=======  ==================  ==============================================================
engine   runTypes            runs on
=======  ==================  ==============================================================
hive     hql, sql            DuckDB, HiveQL translated by sqlglot
spark    sql, py             DuckDB (Spark SQL); ``py`` runs as plain Python, a local
                             stand-in for pyspark (there is no ``spark`` session object)
trino    tsql, sql           DuckDB (Trino SQL)
presto   psql, sql           DuckDB (Presto SQL)
jdbc     jdbc, sql           DuckDB (PostgreSQL-flavoured SQL)
python   python, py          a persistent Python subprocess per (user, creator)
shell    shell, sh           bash, one process group per job
=======  ==================  ==============================================================

Instances are reused as Linkis reuses engines: one SQL engine (one DuckDB file) per user for all
SQL engine names, one Python subprocess per (user, creator) and engine, one shell engine per
user.
"""

from __future__ import annotations

import itertools
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from .base import Engine, EngineError, ExecutionContext
from .python import PythonEngine
from .shell import ShellEngine
from .sql import SqlEngine

__all__ = ["SUPPORTED_ENGINES", "Engine", "EngineError", "EnginePool", "ExecutionContext"]

SUPPORTED_ENGINES: dict[str, set[str]] = {
    "hive": {"hql", "sql"},
    "spark": {"sql", "py"},
    "trino": {"tsql", "sql"},
    "presto": {"psql", "sql"},
    "jdbc": {"jdbc", "sql"},
    "python": {"python", "py"},
    "shell": {"shell", "sh"},
}

_SQL_ONLY_ENGINES = frozenset({"hive", "trino", "presto", "jdbc"})


class SparkEngine(Engine):
    """Spark's two local faces: SQL on the user's DuckDB, ``py`` on a Python subprocess."""

    def __init__(self, sql: SqlEngine, python: PythonEngine) -> None:
        self._sql = sql
        self._python = python

    def execute(self, ctx: ExecutionContext) -> None:
        """Run ``ctx.code`` on the engine its runType needs."""
        self._delegate(ctx).execute(ctx)

    def cancel(self, ctx: ExecutionContext) -> None:
        """Cancel on the engine that runs the job."""
        self._delegate(ctx).cancel(ctx)

    def close(self) -> None:
        """Stop the Python subprocess; the SQL engine belongs to the pool."""
        self._python.close()

    def _delegate(self, ctx: ExecutionContext) -> Engine:
        return self._python if ctx.run_type == "py" else self._sql


@dataclass
class EngineConn:
    """One long-lived engine as Linkis's manager lists an EngineConn: its instance name, what it
    runs, whose it is, since when, when last used, and how many jobs run on it now."""

    instance: str
    engine: Engine = field(repr=False)
    engine_type: str  # "python", or "sql" for the one SQL engine a user's SQL engine names share
    user: str
    creator: str
    started_ms: int
    used_ms: int
    running: int = 0


def _now_ms() -> int:
    return int(time.time() * 1000)


class EnginePool:
    """Hands out engine instances, creating each on first use; ``close`` stops them all."""

    def __init__(self, data_dir: Path) -> None:
        # Engine subprocesses keep their temporary files here, so they go with the data dir.
        self._tmp_dir = Path(data_dir) / "tmp"
        self._lock = threading.Lock()
        self._sql: dict[str, SqlEngine] = {}
        self._engines: dict[tuple[str, ...], Engine] = {}
        self._conns: dict[int, EngineConn] = {}  # by id() of the engine
        self._numbers = itertools.count(1)
        self._closed = False

    def get(self, engine: str, user: str, creator: str) -> Engine:
        """The engine instance for ``engine`` (a name without version) run by ``user``/``creator``."""
        if engine not in SUPPORTED_ENGINES:
            raise EngineError(f"Engine {engine!r} is not available locally; supported: {', '.join(SUPPORTED_ENGINES)}")
        with self._lock:
            if self._closed:
                raise EngineError("The engine pool is closed")
            if engine in _SQL_ONLY_ENGINES:
                instance = self._sql_engine(user)
            else:
                key = (engine, user, creator) if engine in ("spark", "python") else (engine, user)
                if key not in self._engines:
                    self._engines[key] = self._create(engine, user)
                    self._register(self._engines[key], engine, user, creator)
                instance = self._engines[key]
            conn = self._conns[id(instance)]
            conn.used_ms, conn.running = _now_ms(), conn.running + 1
            return instance

    def release(self, engine: Engine) -> None:
        """A job that ``get`` handed ``engine`` to has ended on it."""
        with self._lock:
            conn = self._conns.get(id(engine))
            if conn is not None:
                conn.running, conn.used_ms = max(conn.running - 1, 0), _now_ms()

    def engine_conns(self, user: str | None = None) -> list[EngineConn]:
        """The live engines (of ``user``), oldest first."""
        with self._lock:
            return [c for c in self._conns.values() if user is None or c.user == user]

    def kill(self, instance: str) -> EngineConn | None:
        """Stop the engine named ``instance`` (its jobs fail); the next job gets a new one."""
        with self._lock:
            conn = next((c for c in self._conns.values() if c.instance == instance), None)
            if conn is None:
                return None
            del self._conns[id(conn.engine)]
            self._engines = {k: e for k, e in self._engines.items() if e is not conn.engine}
            self._sql = {u: e for u, e in self._sql.items() if e is not conn.engine}
        conn.engine.close()
        return conn

    def _register(self, engine: Engine, engine_type: str, user: str, creator: str) -> None:
        now = _now_ms()
        self._conns[id(engine)] = EngineConn(f"127.0.0.1:{next(self._numbers) + 20000}", engine, engine_type, user,
                                             creator, now, now)

    def metastore(self, user: str, user_dir: Path, database: str | None = None,
                  table: str | None = None) -> list[tuple]:
        """``user``'s databases, tables or columns (their SQL engines share one database): see
        :meth:`SqlEngine.metastore`."""
        with self._lock:
            if self._closed:
                raise EngineError("The engine pool is closed")
            engine = self._sql_engine(user)
        return engine.metastore(user_dir, database, table)

    def close(self) -> None:
        """Stop every engine: subprocesses are killed by process group and reaped."""
        with self._lock:
            self._closed = True
            engines: list[Engine] = [*self._engines.values(), *self._sql.values()]
            self._engines, self._sql, self._conns = {}, {}, {}
        for engine in engines:
            engine.close()

    def _sql_engine(self, user: str) -> SqlEngine:
        """The user's one SQL engine (called with the lock held)."""
        if user not in self._sql:
            self._sql[user] = SqlEngine()
            self._register(self._sql[user], "sql", user, "*")
        return self._sql[user]

    def _create(self, engine: str, user: str) -> Engine:
        if engine == "spark":
            return SparkEngine(self._sql_engine(user), PythonEngine(self._tmp_dir))
        if engine == "python":
            return PythonEngine(self._tmp_dir)
        return ShellEngine(self._tmp_dir)
