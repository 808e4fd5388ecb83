"""Column typing from Linkis dataType (linkis-protocol.md §8.2), column-wise."""

from decimal import Decimal

import numpy as np
import pandas as pd
import pytest

from linkis_magic.results import base_type, convert_column, result_index, to_frame


def test_integers_are_exact_and_nullable():
    column = pd.array(convert_column(["1", "NULL", "9223372036854775807", None], "bigint"))
    assert str(column.dtype) == "Int64"
    assert column[2] == 9223372036854775807
    assert column.isna().tolist() == [False, True, False, True]


@pytest.mark.parametrize("data_type", ["tinyint", "short", "int", "long", "bigint", "INT"])
def test_all_integer_names(data_type):
    assert str(pd.array(convert_column(["7"], data_type)).dtype) == "Int64"


def test_doubles():
    column = convert_column(["1.5", "NULL", "-0.25", "Infinity"], "double")
    assert column.dtype == np.float64
    assert np.isnan(column[1]) and column[3] == np.inf


def test_decimals_keep_precision():
    column = convert_column(["12345678901234567890.123456789", "NULL"], "decimal(38,9)")
    assert column[0] == Decimal("12345678901234567890.123456789") and column[1] is None


def test_booleans():
    column = pd.array(convert_column(["true", "NULL", "false"], "boolean"))
    assert str(column.dtype) == "boolean" and column[0] and not column[2] and column.isna()[1]


def test_dates_and_timestamps():
    dates = convert_column(["2024-01-31", "NULL"], "date")
    assert dates.dtype.kind == "M" and str(dates[0])[:10] == "2024-01-31" and np.isnat(dates[1])
    stamps = convert_column(["2024-01-31 12:34:56.0", "2024-02-01 00:00:00.123"], "timestamp")
    assert pd.Timestamp(stamps[1]) == pd.Timestamp("2024-02-01 00:00:00.123")


def test_strings_and_unknown_types():
    x, null, empty = convert_column(["x", "NULL", ""], "string")
    assert (x, empty) == ("x", "") and pd.isna(null)
    assert list(convert_column(["{a=1}"], "map")) == ["{a=1}"]


def test_cells_that_do_not_fit_stay_text():
    assert list(convert_column(["1", "one"], "int")) == ["1", "one"]
    assert list(convert_column(["2024-99-99"], "date")) == ["2024-99-99"]


def test_base_type():
    assert base_type("decimal(10,2)") == "decimal"
    assert base_type("VARCHAR(20)") == "varchar"
    assert base_type(None) == "string"


def test_frame_keeps_duplicate_names_and_order():
    columns = [{"columnName": "a", "dataType": "int"}, {"columnName": "a", "dataType": "string"}]
    frame = to_frame(columns, [["1", "x"], ["NULL", "NULL"]])
    assert list(frame.columns) == ["a", "a"]
    assert str(frame.dtypes.iloc[0]) == "Int64" and pd.isna(frame.iloc[1, 1])


def test_empty_frame_has_typed_columns():
    frame = to_frame([{"columnName": "n", "dataType": "bigint"}], [])
    assert list(frame.columns) == ["n"] and len(frame) == 0 and str(frame.dtypes.iloc[0]) == "Int64"


def test_result_index_sorts_numerically():
    paths = [f"/r/_{n}.dolphin" for n in (10, 2, 0, 1)]
    assert sorted(paths, key=result_index) == ["/r/_0.dolphin", "/r/_1.dolphin", "/r/_2.dolphin", "/r/_10.dolphin"]
    with pytest.raises(ValueError):
        result_index("/r/x.log")


def test_cells_arrow_would_refuse_as_written_are_still_typed():
    # Hive/JDBC print nine fraction digits; padding and "+" parse as they do in Python.
    stamps = convert_column(["2024-01-01 12:00:00.123456789", "NULL", "2024-01-01 12:00:00.0"], "timestamp")
    assert str(stamps.dtype).startswith("datetime64") and pd.Timestamp(stamps[0]).microsecond == 123456
    assert list(pd.array(convert_column([" 1", "2 ", "+5"], "int"))) == [1, 2, 5]
    assert convert_column([" 1.5"], "double")[0] == 1.5
    zoned = convert_column(["2024-01-01T12:00:00Z", "2024-01-01T13:00:00Z"], "timestamp")
    assert [pd.Timestamp(v).hour for v in zoned] == [12, 13]
    assert pd.isna(convert_column(["", "2024-01-01"], "date")[0])
