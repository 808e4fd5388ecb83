"""Translation of Hive / Spark / Trino SQL into DuckDB statements (no database involved)."""

from __future__ import annotations

import pytest
import sqlglot
from sqlglot import exp

from linkis_magic.local.engines.translate import (
    TranslationError,
    linkis_type,
    rewrite_insert,
    split_statements,
    strip_storage_clauses,
    translate,
)


def test_split_ignores_semicolons_in_strings_and_comments():
    code = "-- a comment; still a comment\nselect ';' as x;\n\n/* ; */ select 2 ;;\nselect 3 -- tail;"
    assert split_statements(code, "hive") == ["select ';' as x", "select 2", "select 3 -- tail;"]


def test_split_of_comment_only_code_is_empty():
    assert split_statements("-- nothing to run\n", "hive") == []


def test_split_reports_unterminated_string():
    with pytest.raises(TranslationError):
        split_statements("select 'oops", "hive")


@pytest.mark.parametrize(
    ("dialect", "source", "expected"),
    [
        ("hive", "SELECT nvl(a, 1) FROM t", "SELECT COALESCE(a, 1) FROM t"),
        ("hive", "SELECT `weird col` FROM default.t", 'SELECT "weird col" FROM main.t'),
        ("spark", "SELECT percentile_approx(a, 0.5) FROM t", "SELECT APPROX_QUANTILE(a, 0.5) FROM t"),
        ("trino", "SELECT approx_distinct(a) FROM t", "SELECT APPROX_COUNT_DISTINCT(a) FROM t"),
        ("presto", "SELECT * FROM unnest(ARRAY[1, 2]) AS u(x)", "SELECT * FROM UNNEST([1, 2]) AS u(x)"),
    ],
)
def test_queries_translate_to_duckdb(dialect, source, expected):
    translation = translate(source, dialect)
    assert translation.sql == (expected,)
    assert translation.returns_rows is True


def test_create_table_drops_storage_clauses_and_keeps_partition_columns():
    source = (
        "CREATE TABLE t (a INT, b STRING) COMMENT 'c' PARTITIONED BY (dt STRING) "
        "ROW FORMAT DELIMITED FIELDS TERMINATED BY ',' STORED AS ORC LOCATION '/x' TBLPROPERTIES ('k'='v')"
    )
    assert translate(source, "hive").sql == ("CREATE TABLE t (a INT, b TEXT, dt TEXT)",)


def test_spark_partitioned_by_existing_column_is_dropped():
    create = sqlglot.parse_one("CREATE TABLE t USING parquet PARTITIONED BY (a) AS SELECT 1 AS a", read="spark")
    assert strip_storage_clauses(create).sql("duckdb") == "CREATE TABLE t AS SELECT 1 AS a"


def test_insert_overwrite_static_partition():
    insert = sqlglot.parse_one("INSERT OVERWRITE TABLE t PARTITION (dt='2024-01-01') SELECT a, b FROM s", read="hive")
    assert isinstance(insert, exp.Insert)
    assert rewrite_insert(insert) == (
        "CREATE OR REPLACE TEMP TABLE linkis_insert_staging AS SELECT * EXCLUDE (dt) FROM t LIMIT 0",
        "INSERT INTO linkis_insert_staging SELECT a, b FROM s",
        "DELETE FROM t WHERE dt = '2024-01-01'",
        "INSERT INTO t BY NAME SELECT *, '2024-01-01' AS dt FROM linkis_insert_staging",
    )


def test_insert_overwrite_dynamic_partition_deletes_only_partitions_present():
    sql = translate("INSERT OVERWRITE TABLE db.t PARTITION (dt) SELECT a, dt FROM s", "hive").sql
    assert "DELETE FROM db.t WHERE (dt) IN (SELECT DISTINCT dt FROM linkis_insert_staging)" in sql


def test_insert_overwrite_without_partition_replaces_everything():
    sql = translate("INSERT OVERWRITE TABLE t SELECT * FROM t WHERE a > 1", "spark").sql
    assert sql[1:] == (
        "INSERT INTO linkis_insert_staging SELECT * FROM t WHERE a > 1",
        "DELETE FROM t",
        "INSERT INTO t BY NAME SELECT * FROM linkis_insert_staging",
    )


def test_insert_into_partition_appends():
    sql = translate("INSERT INTO TABLE t PARTITION (dt='x') VALUES (1, 'a')", "hive").sql
    assert not any(s.startswith("DELETE") for s in sql)
    assert sql[-1] == "INSERT INTO t BY NAME SELECT *, 'x' AS dt FROM linkis_insert_staging"


def test_plain_insert_is_left_to_duckdb():
    assert translate("INSERT INTO t SELECT 1", "hive").sql == ("INSERT INTO t SELECT 1",)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("CREATE DATABASE IF NOT EXISTS sales", "CREATE SCHEMA IF NOT EXISTS sales"),
        ("DROP DATABASE IF EXISTS sales CASCADE", "DROP SCHEMA IF EXISTS sales CASCADE"),
        ("USE default", "USE main"),
        ("USE sales", "USE sales"),
    ],
)
def test_databases_are_schemas(source, expected):
    assert translate(source, "hive").sql == (expected,)


def test_describe_has_hive_columns():
    translation = translate("DESCRIBE FORMATTED default.t", "hive")
    assert translation.sql == (
        "SELECT column_name AS col_name, column_type AS data_type, '' AS comment FROM (DESCRIBE main.t)",
    )
    assert translation.returns_rows


def test_show_tables_and_databases_return_rows():
    for source in ("SHOW TABLES", "show databases", "SHOW SCHEMAS"):
        translation = translate(source, "hive")
        assert translation.returns_rows and translation.sql[0].startswith("SELECT")


@pytest.mark.parametrize(
    ("source", "level"),
    [("SET hive.exec.dynamic.partition=true", "INFO"), ("ADD JAR /tmp/udf.jar", "WARN"),
     ("MSCK REPAIR TABLE t", "INFO")],
)
def test_session_statements_are_logged_no_ops(source, level):
    translation = translate(source, "hive")
    assert translation.sql == ()
    assert translation.level == level and translation.message


def test_unparseable_statement_goes_to_duckdb_as_written():
    translation = translate("SELECT FROM WHERE", "hive")
    assert translation.sql == ("SELECT FROM WHERE",)
    assert translation.returns_rows is None and translation.level == "WARN"


@pytest.mark.parametrize(
    ("duckdb_type", "expected"),
    [
        ("integer", "int"),
        ("bigint", "bigint"),
        ("smallint", "smallint"),
        ("tinyint", "tinyint"),
        ("double", "double"),
        ("float", "float"),
        ("decimal", "decimal"),
        ("DECIMAL(10,2)", "decimal(10,2)"),
        ("TINYINT", "tinyint"),
        ("varchar", "string"),
        ("boolean", "boolean"),
        ("date", "date"),
        ("timestamp", "timestamp"),
        ("list", "string"),
        ("struct", "string"),
        ("hugeint", "string"),
        ("timestamp_ns", "timestamp"),
        ("timestamp with time zone", "timestamp"),
        ("time", "string"),
    ],
)
def test_linkis_type(duckdb_type, expected):
    assert linkis_type(duckdb_type) == expected
