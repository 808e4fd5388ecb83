"""Column typing from Linkis dataType (docs/protocol.md §8.2), column-wise, and result pages' bodies."""

import json
from decimal import Decimal

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from linkis_magic.errors import LinkisProtocolError
from linkis_magic.protocol import result_index
from linkis_magic.results import ARROW_FROM_BYTES, base_type, convert_column, decode_page, rows_array, to_frame


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
    # With nullValue=LINKIS_NULL, SQL NULL is JSON null and "NULL" is a string like any other (§8.2).
    x, text, empty, null = convert_column(["x", "NULL", "", None], "string")
    assert (x, text, empty) == ("x", "NULL", "") and pd.isna(null)
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
    frame = to_frame(columns, [["1", "x"], ["NULL", None]])
    assert list(frame.columns) == ["a", "a"]
    assert str(frame.dtypes.iloc[0]) == "Int64" and pd.isna(frame.iloc[1, 0]) and pd.isna(frame.iloc[1, 1])


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


# -- openFile bodies: Arrow's JSON reader, or the plain decoder for anything unusual ------------

PAGE = ('{"method":"/api/filesystem/openFile","status":0,"message":"OK","data":{"metadata":'
        '[{"columnName":"n","comment":"NULL","dataType":"int"},{"columnName":"s","comment":"NULL","dataType":"string"}],'
        '"fileContent":%s,"type":"2","totalLine":2,"page":1,"totalPage":0,"totalColumn":2}}')


def plain(content: bytes):
    """The fallback decoder, marking what it decoded."""
    return {"decoded by": "json", "body": json.loads(content)}


def large(body: str | bytes) -> bytes:
    """``body`` led by enough blanks to be a page Arrow's reader takes (JSON allows them)."""
    return b" " * ARROW_FROM_BYTES + (body if isinstance(body, bytes) else body.encode())


def test_a_table_page_is_read_into_arrow_rows():
    body = decode_page(large(PAGE % r'[["1","a\"b\u4e2d"],["NULL","x"]]'), plain)
    assert "decoded by" not in body and body["status"] == 0 and body["message"] == "OK"
    assert isinstance(body["data"]["fileContent"], pa.ListArray)
    assert body["data"]["fileContent"].to_pylist() == [["1", 'a"b中'], ["NULL", "x"]]
    assert body["data"]["metadata"][1] == {"columnName": "s", "comment": "NULL", "dataType": "string"}
    assert body["data"]["type"] == "2" and body["data"]["totalLine"] == 2
    frame = to_frame(body["data"]["metadata"], body["data"]["fileContent"])
    assert str(frame["n"].dtype) == "Int64" and pd.isna(frame["n"][1]) and frame["s"][0] == 'a"b中'


@pytest.mark.parametrize("name, body", [
    ("an error envelope", '{"method":null,"status":1,"message":"error code: 80010","data":{"errorMsg":{"desc":"x"}}}'),
    ("a text result", (PAGE % '[["line"]]').replace(
        '[{"columnName":"n","comment":"NULL","dataType":"int"},{"columnName":"s","comment":"NULL","dataType":"string"}]',
        '"NULL"')),
    ("number cells", PAGE % '[[1,"a"],[2,"b"]]'),
    ("a lone surrogate", PAGE % r'[["1","\ud800"]]'),
    ("no envelope at all", '[["1","a"]]'),
    # Fields outside the page schema that Arrow would type differently from JSON.
    ("a date-like field", (PAGE % '[["1","a"]]').replace('"type":"2"', '"type":"2","updated":"0000-01-01"')),
    ("a zoned time in metadata",
     (PAGE % '[["1","a"]]').replace('"dataType":"int"}', '"dataType":"int","at":"2024-01-01T00:00:00+08:00"}')),
    ("an integer past int64", (PAGE % '[["1","a"]]').replace('"totalLine":2', '"totalLine":123456789012345678901234')),
    ("a null row", PAGE % '[["1","a"],null]'),
])
def test_unusual_bodies_go_to_the_plain_decoder_whole(name, body):
    assert decode_page(large(body), plain)["decoded by"] == "json"


def test_a_small_page_goes_to_the_plain_decoder_and_types_the_same():
    """Arrow's reader costs more than the JSON decoder below ``ARROW_FROM_BYTES``; the frame is the same."""
    small = decode_page((PAGE % '[["1","a"],[null,"x"]]').encode(), plain)
    assert small["decoded by"] == "json"
    arrow = decode_page(large(PAGE % '[["1","a"],[null,"x"]]'), plain)["data"]
    data = small["body"]["data"]
    assert to_frame(data["metadata"], data["fileContent"]).equals(to_frame(arrow["metadata"], arrow["fileContent"]))


def test_cells_that_are_not_utf8_are_not_let_through():
    body = large((PAGE % '[["1","\xff"]]').encode("latin-1"))
    with pytest.raises(ValueError):  # what the plain decoder says of it; the client reports it
        decode_page(body, plain)


@pytest.mark.parametrize("rows", [[None, ["1", "a"]], [["1", "a"], None], ["row"], {"0": ["1", "a"]}])
def test_content_that_is_not_rows_is_a_protocol_error(rows):
    with pytest.raises(LinkisProtocolError):
        to_frame([{"columnName": "n", "dataType": "int"}, {"columnName": "s", "dataType": "string"}], rows)
    body = decode_page(large(PAGE % json.dumps(rows)), plain)
    content = body["body"]["data"]["fileContent"] if "decoded by" in body else body["data"]["fileContent"]
    with pytest.raises(LinkisProtocolError):
        rows_array(content)


def test_cells_of_other_json_types_are_kept_as_their_text():
    assert rows_array([[1, None, True], [2.5, "x", None]]).to_pylist() == [["1", None, "True"], ["2.5", "x", None]]
