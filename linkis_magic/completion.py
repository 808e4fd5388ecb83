"""Completion inside ``%%linkis`` cells, computed in the kernel, so it works wherever the kernel
runs (JupyterLab, Notebook 7, VS Code) without a language server.

IPython hands a matcher the whole cell (Matcher API v2). On the magic line: engine names, then
the magic's options. In the SQL of a SQL engine's cell: databases and tables after ``FROM``,
``JOIN``, ``INTO``, ``TABLE``, ``DESCRIBE``; ``db.`` completes that database's tables; ``alias.``
or ``table.`` that table's columns; anywhere else keywords, functions, and the columns of the
tables the statement names.

The names come from the connection's :class:`~linkis_magic.catalog.Catalog`, fetched lazily on a
background thread. A completion waits for its fetches at most :data:`WAIT` seconds in all:
with a slow or unreachable gateway it completes keywords and says nothing, and after a failure
it does not ask again for :data:`RETRY_AFTER` seconds.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import TYPE_CHECKING, Any

from IPython.core.completer import CompletionContext, SimpleCompletion, context_matcher

from linkis_magic.engines import KNOWN_ENGINES

if TYPE_CHECKING:
    from linkis_magic.catalog import Catalog

#: How long one completion waits for the catalog (the kernel answers within half a second).
WAIT = 0.3
#: After a failed catalog request, completion uses keywords only for this long.
RETRY_AFTER = 30.0
SQL_ENGINES = frozenset({"hive", "spark", "trino", "presto", "jdbc"})

KEYWORDS = (
    "SELECT", "DISTINCT", "FROM", "WHERE", "GROUP BY", "HAVING", "ORDER BY", "LIMIT", "OFFSET", "JOIN",
    "INNER JOIN", "LEFT JOIN", "RIGHT JOIN", "FULL OUTER JOIN", "CROSS JOIN", "ON", "USING", "AS", "AND",
    "OR", "NOT", "IN", "EXISTS", "BETWEEN", "LIKE", "IS NULL", "IS NOT NULL", "CASE", "WHEN", "THEN",
    "ELSE", "END", "UNION", "UNION ALL", "INTERSECT", "EXCEPT", "WITH", "INSERT INTO", "INSERT OVERWRITE",
    "VALUES", "UPDATE", "SET", "DELETE", "CREATE TABLE", "CREATE VIEW", "CREATE DATABASE", "DROP TABLE",
    "DROP VIEW", "ALTER TABLE", "DESCRIBE", "SHOW TABLES", "SHOW DATABASES", "USE", "TRUE", "FALSE",
    "NULL", "ASC", "DESC", "OVER", "PARTITION BY", "ROWS BETWEEN", "IF NOT EXISTS", "IF EXISTS",
)
DIALECT_KEYWORDS = {
    "hive": ("PARTITIONED BY", "STORED AS", "ORC", "PARQUET", "TEXTFILE", "LATERAL VIEW", "EXPLODE",
             "TBLPROPERTIES", "LOCATION", "ROW FORMAT", "CLUSTER BY", "DISTRIBUTE BY", "SORT BY", "MSCK REPAIR TABLE"),
    "spark": ("PARTITIONED BY", "USING", "CACHE TABLE", "LATERAL VIEW", "EXPLODE", "CLUSTER BY",
              "DISTRIBUTE BY", "SORT BY", "TABLESAMPLE"),
    "trino": ("UNNEST", "TRY_CAST", "APPROX_DISTINCT", "FETCH FIRST", "ROWS ONLY", "SHOW SCHEMAS"),
    "presto": ("UNNEST", "TRY_CAST", "APPROX_DISTINCT", "SHOW SCHEMAS"),
}
FUNCTIONS = (
    "count", "sum", "avg", "min", "max", "coalesce", "nvl", "if", "cast", "concat", "concat_ws", "substr",
    "substring", "length", "lower", "upper", "trim", "regexp_replace", "regexp_extract", "split", "round",
    "floor", "ceil", "abs", "date_format", "to_date", "date_add", "date_sub", "datediff", "current_date",
    "current_timestamp", "from_unixtime", "unix_timestamp", "year", "month", "day", "row_number", "rank",
    "dense_rank", "lag", "lead", "first_value", "last_value", "collect_list", "collect_set", "size",
    "array_contains", "get_json_object", "percentile_approx", "stddev", "variance",
)
#: Keywords after which a table name comes.
TABLE_CONTEXT = re.compile(r"\b(from|join|into|table|describe|desc|update|exists)\s+$", re.IGNORECASE)
#: ``FROM db.t [AS] alias`` / ``JOIN ...``: the tables a statement names and their aliases.
TABLE_REFERENCE = re.compile(
    r"\b(?:from|join|into|table|update)\s+`?([\w$]+(?:\.[\w$]+)?)`?(?:\s+(?:as\s+)?(?!(?:where|on|join|left|right|"
    r"inner|full|cross|group|order|limit|union|lateral|using|set|values|select|partition)\b)([\w$]+))?",
    re.IGNORECASE)
FRAGMENT = re.compile(r"[\w$.`]*$")
OPTION_FRAGMENT = re.compile(r"[\w-]*$")


class CellCompleter:
    """Completes ``%%linkis`` cells; ``catalog()`` gives the connection's catalog (or None).

    Install it with :meth:`install`; its matcher suppresses IPython's Python completions inside a
    ``%%linkis`` cell, whose code runs on Linkis, not in this kernel.
    """

    def __init__(self, catalog: Callable[[], Catalog | None], options: Iterable[str] = ()) -> None:
        self._catalog = catalog
        self._options = sorted(options)
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="linkis-completion")
        self._lock = threading.Lock()
        self._fetches: dict[tuple, Future] = {}
        self._quiet_until = 0.0
        self._deadline = 0.0  # when the completion being answered stops waiting for the catalog

        @context_matcher()
        def linkis_cell_matcher(context: CompletionContext) -> dict[str, Any]:
            return self.match(context)

        linkis_cell_matcher.linkis_magic = True  # type: ignore[attr-defined]
        self.matcher = linkis_cell_matcher

    def install(self, shell: Any) -> None:
        """Become the shell's one ``%%linkis`` matcher (replacing one an earlier load installed)."""
        matchers = shell.Completer.custom_matchers
        matchers[:] = [m for m in matchers if not getattr(m, "linkis_magic", False)]
        matchers.append(self.matcher)

    def uninstall(self, shell: Any) -> None:
        matchers = getattr(getattr(shell, "Completer", None), "custom_matchers", [])
        if self.matcher in matchers:
            matchers.remove(self.matcher)
        self._executor.shutdown(wait=False, cancel_futures=True)

    def match(self, context: CompletionContext) -> dict[str, Any]:
        """The matcher's answer: nothing outside ``%%linkis`` cells, else our completions only."""
        lines = context.full_text.split("\n")
        if not lines or not lines[0].lstrip().startswith("%%linkis"):
            return {"completions": [], "suppress": False}
        self._deadline = time.monotonic() + WAIT
        before = context.text_until_cursor
        fragment = (OPTION_FRAGMENT if context.cursor_line == 0 else FRAGMENT).search(before).group(0)
        if context.cursor_line == 0:
            completions = self._magic_line(before, fragment)
        else:
            engine = lines[0].split()[1].split("-")[0].lower() if len(lines[0].split()) > 1 else ""
            if engine not in SQL_ENGINES:
                return {"completions": [], "suppress": True}
            cell_before = "\n".join([*lines[1:context.cursor_line], before])
            completions = self.sql(engine, cell_before, fragment, "\n".join(lines[1:]))
        return {"completions": completions, "suppress": True, "matched_fragment": fragment}

    # -- the magic line --------------------------------------------------------------------

    def _magic_line(self, before: str, fragment: str) -> list[SimpleCompletion]:
        words = before.split()
        if len(words) == 1 and before.endswith(" ") or len(words) == 2 and not before.endswith(" "):
            return [SimpleCompletion(name, type="engine") for name in KNOWN_ENGINES if name.startswith(fragment)]
        if fragment.startswith("-"):
            return [SimpleCompletion(option, type="option") for option in self._options if option.startswith(fragment)]
        return []

    # -- SQL ---------------------------------------------------------------------------------

    def sql(self, engine: str, before: str, fragment: str, cell: str) -> list[SimpleCompletion]:
        """Completions for ``fragment``, the name being typed at the end of ``before``."""
        head = before[: len(before) - len(fragment)]
        # The statement with the name being typed cut out: "from shop." names no table "shop".
        statement = _statement_at(head + cell[len(before):], len(head))
        if "." in fragment:
            qualifier, _, prefix = fragment.rpartition(".")
            return self._qualified(qualifier.strip("`"), prefix, statement)
        if TABLE_CONTEXT.search(head):
            return self._tables_and_databases(fragment)
        found = _keywords(engine, fragment)
        for table in _tables_named(statement).values():
            found.extend(SimpleCompletion(column, type="column")
                         for column in self._column_names(*table) if _starts(column, fragment))
        return _unique(found)

    def _qualified(self, qualifier: str, prefix: str, statement: str) -> list[SimpleCompletion]:
        """``alias.`` or ``table.`` -> columns; ``db.`` -> that database's tables."""
        target = _tables_named(statement).get(qualifier.lower())
        if target is None and "." not in qualifier:
            databases = self._known(("databases",), lambda catalog: catalog.databases()) or []
            if qualifier.lower() in databases:
                tables = self._known(("tables", qualifier.lower()), lambda catalog: catalog.tables(qualifier)) or []
                return [SimpleCompletion(f"{qualifier}.{t.name}", type="view" if t.is_view else "table")
                        for t in tables if _starts(t.name, prefix)]
        if target is None:
            database, _, table = qualifier.lower().rpartition(".")
            target = (database or "default", table)
        return [SimpleCompletion(f"{qualifier}.{column}", type="column")
                for column in self._column_names(*target) if _starts(column, prefix)]

    def _tables_and_databases(self, fragment: str) -> list[SimpleCompletion]:
        tables = self._known(("tables", "default"), lambda catalog: catalog.tables("default")) or []
        databases = self._known(("databases",), lambda catalog: catalog.databases()) or []
        found = [SimpleCompletion(t.name, type="view" if t.is_view else "table")
                 for t in tables if _starts(t.name, fragment)]
        found += [SimpleCompletion(f"{name}.", type="database") for name in databases if _starts(name, fragment)]
        return found

    def _column_names(self, database: str, table: str) -> list[str]:
        def ask(catalog: Catalog) -> list:
            try:
                return catalog.columns(database, table)
            except LookupError:  # no such table (yet): nothing to complete
                return []

        return [column.name for column in self._known(("columns", database, table), ask) or []]

    # -- the catalog, within the wait ---------------------------------------------------------

    def _known(self, key: tuple, ask: Callable[[Catalog], list]) -> list | None:
        """The catalog's answer if it has it or gets it within :data:`WAIT`; else None, and the
        fetch goes on in the background for the next completion."""
        if time.monotonic() < self._quiet_until:
            return None
        try:
            catalog = self._catalog()
        except Exception:  # noqa: BLE001 - no connection settings: complete keywords only
            return None
        if catalog is None:
            return None
        cached = _cached(catalog, key)
        if cached is not None:
            return cached
        current = (id(catalog), catalog.generation)
        with self._lock:
            future = self._fetches.get((*current, *key))
            if future is None or future.done() and future.exception() is not None:
                # What was fetched for another catalog, or before it forgot, is stale.
                self._fetches = {k: f for k, f in self._fetches.items() if k[:2] == current}
                future = self._executor.submit(ask, catalog)
                self._fetches[(*current, *key)] = future
        try:
            return future.result(timeout=max(0.0, self._deadline - time.monotonic()))
        except FutureTimeout:
            return None
        except Exception:  # noqa: BLE001 - an unreachable or refusing gateway: keywords only, for a while
            self._quiet_until = time.monotonic() + RETRY_AFTER
            with self._lock:
                self._fetches.pop((*current, *key), None)
            return None


def _cached(catalog: Catalog, key: tuple) -> list | None:
    kind, *names = key
    if kind == "databases":
        return catalog.known_databases()
    if kind == "tables":
        return catalog.known_tables(*names)
    return catalog.known_columns(*names)


def _statement_at(cell: str, offset: int) -> str:
    """The statement of ``cell`` around ``offset`` (statements end at ``;``)."""
    start = cell.rfind(";", 0, offset) + 1
    end = cell.find(";", offset)
    return cell[start: end if end >= 0 else len(cell)]


def _tables_named(statement: str) -> dict[str, tuple[str, str]]:
    """Aliases and names of the tables a statement reads or writes -> ``(database, table)``."""
    named: dict[str, tuple[str, str]] = {}
    for match in TABLE_REFERENCE.finditer(statement):
        database, _, table = match.group(1).lower().rpartition(".")
        target = (database or "default", table)
        named[match.group(1).lower()] = target
        named.setdefault(table, target)
        if match.group(2):
            named[match.group(2).lower()] = target
    return named


def _keywords(engine: str, fragment: str) -> list[SimpleCompletion]:
    if not fragment:
        return []
    upper = fragment.isupper() or not fragment.islower()
    words = [*KEYWORDS, *DIALECT_KEYWORDS.get(engine, ())]
    found = [SimpleCompletion(word if upper else word.lower(), type="keyword") for word in words
             if _starts(word, fragment)]
    found += [SimpleCompletion(name if not upper else name.upper(), type="function") for name in FUNCTIONS
              if _starts(name, fragment)]
    return found


def _starts(name: str, prefix: str) -> bool:
    return name.lower().startswith(prefix.lower().strip("`"))


def _unique(completions: list[SimpleCompletion]) -> list[SimpleCompletion]:
    seen: set[str] = set()
    return [c for c in completions if not (c.text in seen or seen.add(c.text))]
