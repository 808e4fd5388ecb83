"""Turn a cell of HiveQL, Spark SQL, Trino or Presto SQL into statements DuckDB can run.

Pure functions, no database: :func:`split_statements` cuts a cell at its top-level semicolons,
:func:`translate` maps one statement to a :class:`Translation` (the DuckDB statements to run, or
a no-op with a log message), and :func:`linkis_type` names a DuckDB column type the way Linkis
result metadata does (protocol §8.2).

sqlglot does the dialect work. This module adds what sqlglot leaves to the engine: statements of
a Hive warehouse that have no DuckDB equivalent (``INSERT OVERWRITE``, partitions, storage
clauses, ``SET``, ``ADD JAR``, ``MSCK REPAIR``) and Hive's ``default`` database, which is
DuckDB's ``main`` schema.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import sqlglot
from sqlglot import exp
from sqlglot.errors import ErrorLevel, ParseError, TokenError
from sqlglot.tokens import TokenType

# Engine name -> sqlglot dialect. A Linkis jdbc engine usually fronts MySQL or PostgreSQL; the
# postgres dialect is the closest to DuckDB's own.
DIALECTS: dict[str, str] = {
    "hive": "hive",
    "spark": "spark",
    "trino": "trino",
    "presto": "presto",
    "jdbc": "postgres",
}

# DuckDB type id (DuckDBPyType.id) -> Linkis dataType (protocol §8.2); anything else is "string".
_LINKIS_TYPES: dict[str, str] = {
    "integer": "int",
    "bigint": "bigint",
    "smallint": "smallint",
    "tinyint": "tinyint",
    "double": "double",
    "float": "float",
    "decimal": "decimal",
    "varchar": "string",
    "boolean": "boolean",
    "date": "date",
    "timestamp": "timestamp",
    "timestamp_s": "timestamp",
    "timestamp_ms": "timestamp",
    "timestamp_ns": "timestamp",
    # sqlglot reads Spark's TIMESTAMP (session-local) as TIMESTAMPTZ; Spark and Hive show such
    # values as wall-clock timestamps, so the engine hands them over without their zone.
    "timestamp with time zone": "timestamp",
}

_HIVE_DEFAULT_DB = "default"
_DUCKDB_DEFAULT_SCHEMA = "main"
# Per-cursor temporary table that holds the new rows of an INSERT OVERWRITE / PARTITION insert.
_STAGING_TABLE = "linkis_insert_staging"

_SHOW_TABLES = re.compile(r"SHOW\s+TABLES(?:\s+(?:IN|FROM)\s+`?(\w+)`?)?\s*$", re.IGNORECASE)
_SHOW_DATABASES = re.compile(r"SHOW\s+(DATABASES|SCHEMAS)\s*$", re.IGNORECASE)


class TranslationError(ValueError):
    """The cell could not be cut into statements (an unterminated string or comment)."""


@dataclass(frozen=True)
class Translation:
    """What to do for one statement of a cell.

    ``sql`` holds DuckDB statements to run in order, in one transaction when there are several;
    the last one's rows are the statement's result. An empty ``sql`` is a no-op: log ``message``
    at ``level`` instead. ``returns_rows`` is None when only the result's shape can tell (a
    statement sqlglot could not parse, passed to DuckDB as written). ``warnings`` are sqlglot's
    notes about constructs DuckDB lacks.
    """

    source: str
    sql: tuple[str, ...] = ()
    returns_rows: bool | None = False
    level: str = "INFO"
    message: str = ""
    warnings: tuple[str, ...] = ()
    #: A file the statement takes in, removed once it ran (Hive's ``LOAD DATA INPATH`` moves it).
    moves: str | None = None


def split_statements(code: str, dialect: str) -> list[str]:
    """Cut ``code`` at top-level semicolons; drop empty and comment-only pieces.

    Semicolons inside strings, quoted identifiers and comments do not split. Leading comments of
    a statement are dropped so the logged statement starts with its keyword.
    """
    try:
        tokens = sqlglot.Dialect.get_or_raise(dialect).tokenize(code)
    except TokenError as e:
        raise TranslationError(f"cannot split the code into statements: {e}") from e
    statements: list[str] = []
    first_start: int | None = None
    for token in tokens:
        if token.token_type == TokenType.SEMICOLON:
            if first_start is not None:
                statements.append(code[first_start : token.start].strip())
            first_start = None
        elif first_start is None:
            first_start = token.start
    if first_start is not None:
        statements.append(code[first_start:].strip())
    return [s for s in statements if s]


def translate(statement: str, dialect: str) -> Translation:
    """Translate one statement of ``dialect`` (a sqlglot dialect name) into DuckDB terms."""
    keyword = statement.split(None, 1)[0].upper()
    if keyword == "SET":
        return Translation(statement, message=f"SET is accepted and ignored by the local engine: {statement}")
    if keyword == "ADD":
        return Translation(statement, level="WARN", message=f"ADD is not supported locally, skipped: {statement}")
    if keyword == "MSCK":
        return Translation(statement, message="MSCK REPAIR has nothing to repair in the local warehouse")
    if keyword == "SHOW":
        return _translate_show(statement)
    try:
        tree = sqlglot.parse_one(statement, read=dialect)
    except ParseError:
        return Translation(
            statement,
            sql=(statement,),
            returns_rows=None,
            level="WARN",
            message="sqlglot could not parse this statement; running it on DuckDB as written",
        )
    return _translate_tree(statement, _map_default_database(tree))


def linkis_type(duckdb_type: str) -> str:
    """The column type a Hive engine would write for a DuckDB type (``str(DuckDBPyType)`` or its
    id, e.g. ``"INTEGER"`` -> ``int``, ``"DECIMAL(10,2)"`` -> ``decimal(10,2)``). Linkis's reader
    then normalises it for clients (``tinyint`` -> ``string``, §8.2)."""
    name = duckdb_type.lower()
    if name.startswith("decimal("):
        return name.replace(" ", "")
    return _LINKIS_TYPES.get(name, "string")


def _translate_show(statement: str) -> Translation:
    """Hive's SHOW TABLES [IN db] / SHOW DATABASES with Hive's column names; other SHOWs go to DuckDB."""
    tables = _SHOW_TABLES.match(statement)
    if tables:
        database = tables.group(1)
        schema = "current_schema()" if database is None else (
            f"'{_DUCKDB_DEFAULT_SCHEMA if database.lower() == _HIVE_DEFAULT_DB else database.lower()}'")
        sql = (
            "SELECT table_name AS tab_name FROM information_schema.tables "
            f"WHERE table_catalog = current_database() AND table_schema = {schema} ORDER BY 1"
        )
    elif _SHOW_DATABASES.match(statement):
        sql = (
            f"SELECT CASE schema_name WHEN '{_DUCKDB_DEFAULT_SCHEMA}' THEN '{_HIVE_DEFAULT_DB}' "
            "ELSE schema_name END AS database_name FROM information_schema.schemata "
            "WHERE catalog_name = current_database() ORDER BY 1"
        )
    else:
        sql = statement
    return Translation(statement, sql=(sql,), returns_rows=True)


def _translate_tree(statement: str, tree: exp.Expression) -> Translation:
    """Dispatch on the parsed statement's kind."""
    if isinstance(tree, exp.Insert) and (tree.args.get("overwrite") or _partition_of(tree)):
        return Translation(statement, sql=rewrite_insert(tree))
    if isinstance(tree, exp.LoadData):
        return rewrite_load_data(statement, tree)
    if isinstance(tree, exp.Describe):
        table = _generate(tree.this)[0]
        sql = (
            "SELECT column_name AS col_name, column_type AS data_type, '' AS comment "
            f"FROM (DESCRIBE {table})"
        )
        return Translation(statement, sql=(sql,), returns_rows=True)
    if isinstance(tree, (exp.Create, exp.Drop)) and str(tree.args.get("kind", "")).upper() == "DATABASE":
        tree = tree.copy()
        tree.set("kind", "SCHEMA")
    elif isinstance(tree, exp.Create):
        tree = strip_storage_clauses(tree)
    sql, warnings = _generate(tree)
    # A Command is a statement sqlglot only passes through (EXPLAIN, PRAGMA, ...): let the
    # result's shape decide.
    returns_rows = None if isinstance(tree, exp.Command) else isinstance(tree, exp.Query)
    return Translation(statement, sql=(sql,), returns_rows=returns_rows, warnings=warnings)


def strip_storage_clauses(create: exp.Create) -> exp.Create:
    """Drop Hive/Spark table properties (STORED AS, ROW FORMAT, LOCATION, TBLPROPERTIES, ...).

    Hive's ``PARTITIONED BY (dt STRING)`` declares extra columns of the table; they become
    ordinary trailing columns, where Hive puts them too. Spark's ``PARTITIONED BY (a)`` only names
    existing columns and is dropped with the rest.
    """
    create = create.copy()
    properties = create.args.get("properties")
    if properties is None:
        return create
    schema = create.this if isinstance(create.this, exp.Schema) else None
    for prop in properties.expressions:
        if isinstance(prop, exp.PartitionedByProperty) and schema is not None:
            schema.expressions.extend(c for c in prop.this.expressions if isinstance(c, exp.ColumnDef))
    create.set("properties", None)
    return create


def rewrite_load_data(statement: str, load: exp.LoadData) -> Translation:
    """Hive's ``LOAD DATA [LOCAL] INPATH 'file' [OVERWRITE] INTO TABLE t [PARTITION (k='v', ...)]``
    for a parquet file (what ``upload_frame`` writes): its rows are inserted by column name, with
    the static partition values as the trailing columns Hive's ``PARTITIONED BY`` makes here;
    ``OVERWRITE`` first deletes the table's rows (or the partition's). Hive moves the file into
    the table: here its rows are copied and the file is removed (``LOCAL`` copies and keeps it)."""
    source = str(load.args["inpath"].this)
    path = source.removeprefix("file://") if source.startswith("file://") else source
    if not path.lower().endswith(".parquet"):
        raise TranslationError(f"LOAD DATA: the local gateway's SQL engine loads parquet files only, not {source}")
    table = _generate(_map_default_database(load.this))[0]
    values = {}
    partition = load.args.get("partition")
    for condition in partition.expressions if partition is not None else []:
        if not isinstance(condition, exp.EQ) or not isinstance(condition.expression, exp.Literal):
            raise TranslationError("LOAD DATA ... PARTITION takes static values only, as key='value'")
        values[condition.this.name] = _generate(condition.expression)[0]
    added = "".join(f", {value} AS {_generate(exp.to_identifier(key))[0]}" for key, value in values.items())
    quoted = path.replace("'", "''")
    insert = f"INSERT INTO {table} BY NAME SELECT *{added} FROM read_parquet('{quoted}')"
    moves = None if load.args.get("local") else path
    if not load.args.get("overwrite"):
        return Translation(statement, sql=(insert,), moves=moves)
    where = " AND ".join(f"{_generate(exp.to_identifier(k))[0]} = {v}" for k, v in values.items()) or "TRUE"
    return Translation(statement, sql=(f"DELETE FROM {table} WHERE {where}", insert), moves=moves)


def rewrite_insert(insert: exp.Insert) -> tuple[str, ...]:
    """Rewrite Hive's ``INSERT OVERWRITE`` / ``INSERT ... PARTITION (...)`` for DuckDB.

    The new rows are staged first, because Hive lets the SELECT read the table it overwrites.
    The staging table takes the target's columns minus the static partition columns (or the
    explicit column list), so the SELECT's columns land by position as in Hive, dynamic
    partition columns last. Then: delete what is overwritten (the whole table, or the
    partitions present: static values and dynamic values found in the new rows), and insert the
    staged rows by name with the static partition values added.
    """
    target = insert.this.this if isinstance(insert.this, exp.Schema) else insert.this
    table = target.copy()
    table.set("partition", None)
    table_sql = _generate(table)[0]
    static, dynamic = _partition_columns(_partition_of(insert))
    if isinstance(insert.this, exp.Schema):
        staged_columns = ", ".join(_generate(c)[0] for c in insert.this.expressions)
    elif static:
        staged_columns = "* EXCLUDE (" + ", ".join(static) + ")"
    else:
        staged_columns = "*"
    statements = [
        f"CREATE OR REPLACE TEMP TABLE {_STAGING_TABLE} AS SELECT {staged_columns} FROM {table_sql} LIMIT 0",
        f"INSERT INTO {_STAGING_TABLE} {_generate(insert.expression)[0]}",
    ]
    if insert.args.get("overwrite"):
        conditions = [f"{name} = {value}" for name, value in static.items()]
        if dynamic:
            names = ", ".join(dynamic)
            conditions.append(f"({names}) IN (SELECT DISTINCT {names} FROM {_STAGING_TABLE})")
        where = " WHERE " + " AND ".join(conditions) if conditions else ""
        statements.append(f"DELETE FROM {table_sql}{where}")
    constants = "".join(f", {value} AS {name}" for name, value in static.items())
    statements.append(f"INSERT INTO {table_sql} BY NAME SELECT *{constants} FROM {_STAGING_TABLE}")
    return tuple(statements)


def _partition_of(insert: exp.Insert) -> exp.Partition | None:
    """The PARTITION (...) spec of an INSERT's target table, if any."""
    target = insert.this.this if isinstance(insert.this, exp.Schema) else insert.this
    return target.args.get("partition") if isinstance(target, exp.Table) else None


def _partition_columns(partition: exp.Partition | None) -> tuple[dict[str, str], list[str]]:
    """Static ``{column: value SQL}`` and dynamic column names of a PARTITION spec."""
    static: dict[str, str] = {}
    dynamic: list[str] = []
    for item in partition.expressions if partition is not None else ():
        if isinstance(item, exp.EQ):
            static[_generate(item.this)[0]] = _generate(item.expression)[0]
        else:
            dynamic.append(_generate(item)[0])
    return static, dynamic


def _map_default_database(tree: exp.Expression) -> exp.Expression:
    """Hive's ``default`` database is DuckDB's ``main`` schema (``default.t``, ``USE default``)."""

    def rename(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Table):
            for part in ("db", "this") if isinstance(tree, exp.Use) else ("db",):
                name = node.args.get(part)
                if isinstance(name, exp.Identifier) and name.name.lower() == _HIVE_DEFAULT_DB:
                    node.set(part, exp.to_identifier(_DUCKDB_DEFAULT_SCHEMA))
        return node

    return tree.transform(rename)


def _generate(tree: exp.Expression) -> tuple[str, tuple[str, ...]]:
    """DuckDB SQL for ``tree`` and sqlglot's notes on what DuckDB does not support."""
    generator = sqlglot.Dialect.get_or_raise("duckdb").generator(unsupported_level=ErrorLevel.IGNORE)
    sql = generator.generate(tree)
    return sql, tuple(generator.unsupported_messages)
