"""What a connection's Hive metastore holds: databases, their tables, the columns of each table.

:class:`Catalog` asks Linkis's metadata endpoints (``/datasource/*``, docs/protocol.md §15.1) and
keeps the answers, so completion asks each question once per connection; :meth:`Catalog.forget`
drops them (after a cell that ran DDL). Where the metadata service refuses, or shows a user
nothing (a metastore with Hive authorisation and no grants), the ``%linkis`` catalog commands ask
the engine itself (``SHOW DATABASES``, ``SHOW TABLES IN db``, ``DESCRIBE db.t``) through the
entrance; completion never submits jobs.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from dataclasses import dataclass

from linkis_magic.client import LinkisClient
from linkis_magic.errors import CatalogError, LinkisError, LinkisRequestError

DEFAULT_DATABASE = "default"
_NAME = re.compile(r"^[A-Za-z_][\w$]*$")


@dataclass(frozen=True)
class Table:
    database: str
    name: str
    is_view: bool = False


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    comment: str | None = None
    partitioned: bool = False


def split_name(text: str) -> tuple[str, str]:
    """``db.table`` or ``table`` (in ``default``) -> ``(db, table)``, lower-cased as the metastore
    keeps them; anything else is a ``ValueError`` naming it."""
    parts = text.strip().strip("`").split(".")
    if len(parts) == 1:
        parts = [DEFAULT_DATABASE, *parts]
    if len(parts) != 2 or not all(_NAME.match(part.strip("`")) for part in parts):
        raise ValueError(f"not a table name: {text!r} (use TABLE or DATABASE.TABLE)")
    return parts[0].strip("`").lower(), parts[1].strip("`").lower()


class Catalog:
    """The metastore of one connection, read through its client and kept until :meth:`forget`.

    ``run_sql(code)`` (optional) runs a Hive statement through the entrance and returns its rows:
    the fallback of the catalog commands when the metadata service refuses or shows nothing.
    Every method is safe to call from several threads (completion fetches in the background).
    """

    def __init__(self, client: LinkisClient, run_sql: Callable[[str], list[list]] | None = None) -> None:
        self.client = client
        self._run_sql = run_sql
        self._lock = threading.Lock()
        self._databases: list[str] | None = None
        self._tables: dict[str, list[Table]] = {}
        self._columns: dict[tuple[str, str], list[Column]] = {}
        #: Counts :meth:`forget` calls: an answer fetched before one is stale.
        self.generation = 0

    def forget(self) -> None:
        """Drop what is known: the next question asks the gateway again."""
        with self._lock:
            self._databases, self._tables, self._columns = None, {}, {}
            self.generation += 1

    # -- what is known already (never a request: for completion) ----------------------------

    def known_databases(self) -> list[str] | None:
        with self._lock:
            return None if self._databases is None else list(self._databases)

    def known_tables(self, database: str) -> list[Table] | None:
        with self._lock:
            found = self._tables.get(database.lower())
            return None if found is None else list(found)

    def known_columns(self, database: str, table: str) -> list[Column] | None:
        with self._lock:
            found = self._columns.get((database.lower(), table.lower()))
            return None if found is None else list(found)

    # -- questions (a request the first time) ------------------------------------------------

    def databases(self, *, fallback: bool = False) -> list[str]:
        known = self.known_databases()
        if known is not None:
            return known
        names = self._ask(self.client.databases, fallback, "SHOW DATABASES",
                          lambda rows: [str(row[0]) for row in rows])
        names = sorted(name.lower() for name in names)
        with self._lock:
            self._databases = names
        return names

    def tables(self, database: str = DEFAULT_DATABASE, *, fallback: bool = False) -> list[Table]:
        database = database.lower()
        known = self.known_tables(database)
        if known is not None:
            return known
        found = self._ask(lambda: [Table(database, t["tableName"].lower(), bool(t.get("isView")))
                                   for t in self.client.tables(database)],
                          fallback, f"SHOW TABLES IN {database}",
                          lambda rows: [Table(database, str(row[-1]).lower()) for row in rows])
        found = sorted(found, key=lambda table: table.name)
        with self._lock:
            self._tables[database] = found
        return found

    def columns(self, database: str, table: str, *, fallback: bool = False) -> list[Column]:
        """The table's columns, partition keys last; a :class:`CatalogError` if there is no such
        table (or the user may not read it)."""
        key = (database.lower(), table.lower())
        known = self.known_columns(*key)
        if known is not None:
            return known

        def from_metadata() -> list[Column]:
            columns = self.client.columns(*key)
            return [Column(c["columnName"], c.get("columnType") or "", c.get("columnComment"),
                           bool(c.get("partitioned"))) for c in columns or []]

        found = self._ask(from_metadata, fallback, f"DESCRIBE {key[0]}.{key[1]}", _described)
        if not found:
            self._no_such_table(*key, fallback=fallback)
        with self._lock:
            self._columns[key] = found
        return found

    def _no_such_table(self, database: str, table: str, *, fallback: bool) -> None:
        if database not in self.databases(fallback=fallback):
            raise CatalogError(f"no database {database!r} (databases: {', '.join(self.databases()) or 'none'})")
        raise CatalogError(f"no table {database}.{table}, or you may not read it")

    def _ask(self, metadata: Callable[[], list], fallback: bool, sql: str,
             parse: Callable[[list[list]], list]) -> list:
        """The metadata service's answer; with ``fallback``, the engine's when the service refuses
        or has nothing to show."""
        try:
            answer = metadata()
        except LinkisRequestError:
            if not (fallback and self._run_sql):
                raise
            answer = []
        if answer or not (fallback and self._run_sql):
            return answer
        try:
            return parse(self._run_sql(sql))
        except LinkisError:
            return []


def _described(rows: list[list]) -> list[Column]:
    """Hive's ``DESCRIBE`` rows (``col_name, data_type, comment``; a ``# Partition Information``
    section repeats the partition keys) as columns, partition keys marked."""
    columns: dict[str, Column] = {}
    in_partitions = False
    for row in rows:
        name = str(row[0] or "").strip()
        if name.startswith("#"):
            in_partitions = in_partitions or "partition" in name.lower()
            continue
        if not name:
            continue
        column_type = str(row[1] or "").strip() if len(row) > 1 else ""
        comment = row[2] if len(row) > 2 else None
        if in_partitions and name in columns:
            columns[name] = Column(name, column_type, comment, True)
        elif not in_partitions:
            columns[name] = Column(name, column_type, comment)
    regular = [c for c in columns.values() if not c.partitioned]
    return regular + [c for c in columns.values() if c.partitioned]
