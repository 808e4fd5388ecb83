"""Result files: Linkis cell strings, block layout, paging and the null rules (§8.2)."""

from __future__ import annotations

import json
from datetime import date, datetime, time
from decimal import Decimal

import pytest

from linkis_magic.local import results


# Cells as Linkis's reader prints them (§8.2): doubles through NumberFormat (no exponent, no
# trailing ".0", at most 30 fraction digits, "∞"), timestamps through Timestamp.toString.
@pytest.mark.parametrize("value, expected", [
    (None, None), ("x", "x"), (True, "true"), (False, "false"), (42, "42"), (-7, "-7"), (0.1, "0.1"),
    (1e20, "100000000000000000000"), (2.0, "2"), (-2.5, "-2.5"), (1.5e-7, "0.00000015"), (1e-31, "0"),
    (-0.0, "-0"), (123456789.125, "123456789.125"), (float("nan"), "NaN"), (float("inf"), "∞"),
    (float("-inf"), "-∞"), (Decimal("12.3400"), "12.3400"), (Decimal("1E+3"), "1000"),
    (date(2024, 2, 29), "2024-02-29"), (datetime(2024, 1, 2, 3, 4, 5), "2024-01-02 03:04:05"),
    (datetime(2024, 1, 2, 3, 4, 5, 120000), "2024-01-02 03:04:05.12"), (time(1, 2, 3), "01:02:03"),
    (datetime(1, 1, 1), "0001-01-01 00:00:00"), (date(1, 1, 1), "0001-01-01"),
    (b"bytes", "bytes"),
])
def test_cells(value, expected):
    assert results.cell(value) == expected


@pytest.mark.parametrize("value, expected", [
    (1.5, "1.5"), (1.0, "1.0"), (1e10, "1.0E10"), (1e-5, "1.0E-5"), (0.001, "0.001"), (9999999.0, "9999999.0"),
    (1e7, "1.0E7"), (0.1, "0.1"), (-3.25, "-3.25"), (0.0, "0.0"), (float("inf"), "Infinity"), (float("nan"), "NaN"),
])
def test_float_columns_print_as_java_floats(value, expected):
    assert results.java_float(value) == expected


@pytest.mark.parametrize("declared, linkis", [
    ("decimal(10,2)", "decimal"), ("decimal", "decimal"), ("decimal(10)", "string"), ("tinyint", "string"),
    ("smallint", "int"), ("int", "int"), ("integer", "int"), ("bigint", "bigint"), ("short", "short"),
    ("varchar(20)", "varchar"), ("char(3)", "char"), ("string", "string"), ("double", "double"),
    ("float", "float"), ("real", "string"), ("timestamp", "timestamp"), ("timestamp(3)", "string"),
    ("INT", "string"), ("array<int>", "array"), ("map<string,array<int>>", "array"), ("struct<a:int>", "struct"),
    ("null", "void"), ("binary", "binary"), ("bigdecimal", "string"),
])
def test_data_types_are_normalised_as_linkis_does(declared, linkis):
    assert results.linkis_data_type(declared) == linkis


def test_block_conversion_matches_cell_by_cell():
    rows = [(1, 0.5, True, None, date(2024, 1, 1), Decimal("1.5")), (None, float("nan"), False, "s", None, None),
            (3, 2.0, None, "t", date(2024, 1, 3), Decimal("2"))]
    converted, nulls = results._convert_block(rows, [False] * 6)
    assert [list(row) for row in converted] == [[results.cell(value) for value in row] for row in rows]
    assert nulls == 5
    mixed, _ = results._convert_block([(1,), ("a",), (2.5,)], [False])
    assert [row[0] for row in mixed] == ["1", "a", "2.5"]
    floats, _ = results._convert_block([(2.0, 2.0), (1e10, 1e10)], [True, False])
    assert [list(row) for row in floats] == [["2.0", "2"], ["1.0E10", "10000000000"]]


def test_pages_across_blocks(tmp_path):
    path = tmp_path / "_0.dolphin"
    count = results.write_table(path, [("n", "int"), ("s", "string")],
                                ((n, None if n % 3 == 0 else f"v{n}") for n in range(2500)))
    result = results.ResultFile(path)
    assert (count, result.row_count, result.kind) == (2500, 2500, "2")
    expected = [[str(n), None if n % 3 == 0 else f"v{n}"] for n in range(2500)]
    for start, size in [(0, 1000), (0, 2500), (999, 2), (1500, 5000), (2499, 10), (2500, 10), (10, 0)]:
        assert result.rows(start, size) == expected[start:start + size]
        rendered = [["NULL" if cell is None else cell for cell in row] for row in expected[start:start + size]]
        assert json.loads(result.page_json(start, size)) == rendered


def test_cells_containing_null_text_are_not_spliced_into_null(tmp_path):
    path = tmp_path / "_0.dolphin"
    results.write_table(path, [("s", "string")], [("null",), (None,), ('say "null", null',)])
    assert json.loads(results.ResultFile(path).page_json(0, 10)) == [["null"], ["NULL"], ['say "null", null']]


def test_text_result(tmp_path):
    path = tmp_path / "_1.dolphin"
    results.write_text(path, "a\nb")
    result = results.ResultFile(path)
    assert (result.kind, result.metadata, result.rows(0, 10)) == ("1", "NULL", [["a"], ["b"]])


def test_null_rules():
    rows = lambda: [[None, "NULL", "", "x"]]  # noqa: E731 - a fresh copy per call
    assert results.replace_nulls(rows(), None) == [["NULL", "NULL", "", "x"]]
    assert results.replace_nulls(rows(), "LINKIS_NULL") == [[None, "NULL", "", "x"]]
    assert results.replace_nulls(rows(), "-") == [["-", "-", "-", "x"]]


def test_listing_sorts_by_number_and_ignores_other_files(tmp_path):
    for name in ["_10.dolphin", "_2.dolphin", "_0.dolphin", "notes.txt", "._0.dolphin.idx"]:
        (tmp_path / name).write_text("")
    assert [path.name for path in results.list_results(tmp_path)] == ["_0.dolphin", "_2.dolphin", "_10.dolphin"]
    assert results.list_results(tmp_path / "missing") == []
