"""Result sets as files to download: ``resultsetToExcel`` (csv or xlsx) and ``resultsetsToExcel``
(every result set of a job, one xlsx sheet each), written as Linkis 1.8.0 writes them (§8.3).

csv: a header of column names, then the rows (``CSVFsWriter``); a text result's lines as they
are. xlsx (``StorageExcelWriter``): a bold 14 pt header row, then every cell as text in the text
format ``@``; with ``autoFormat`` the numbers become numbers (a decimal of more than 15
significant digits stays text, as Linkis's ``doubleCheck`` refuses it) and dates dates. SQL NULL
is the ``nullValue`` text in both (``NULL`` by default, ``BLANK`` for an empty cell). Both stop
at ``limit`` rows per result set, 5,000 when the caller gives none.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Sequence
from datetime import date
from decimal import Decimal, InvalidOperation

from linkis_magic.local.results import BLOCK_ROWS, ResultFile, replace_nulls

#: The row cap when the request gives no ``limit`` (``wds.linkis.workspace.resultset.download.maxsize.csv``
#: and ``.excel``, §8.3).
DEFAULT_EXPORT_LIMIT = 5000
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

_INTEGERS = {"tinyint", "short", "int", "long", "bigint"}
_DECIMALS = {"float", "double", "decimal", "bigdecimal"}


def null_text(null_value: str) -> str:
    """The ``nullValue`` parameter as the export applies it: ``BLANK`` means an empty cell."""
    return "" if null_value.upper() == "BLANK" else null_value


def _rows(result: ResultFile, null_value: str, limit: int) -> Iterator[list[list[str | None]]]:
    """The first ``limit`` rows in blocks, NULL replaced by ``null_value``."""
    start = 0
    while start < limit:
        rows = replace_nulls(result.rows(start, min(BLOCK_ROWS * 5, limit - start)), null_value)
        if not rows:
            return
        yield rows
        start += len(rows)


def export_csv(result: ResultFile, separator: str, null_value: str, limit: int) -> Iterator[str]:
    """``resultsetToExcel`` as csv, in chunks: a header of column names, then up to ``limit`` rows."""
    if not isinstance(result.metadata, list):  # a text result: its lines as they are
        for rows in _rows(result, "", limit):
            yield "".join(f"{row[0] or ''}\n" for row in rows)
        return
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=separator, lineterminator="\n")
    writer.writerow([column["columnName"] for column in result.metadata])
    for rows in _rows(result, null_text(null_value), limit):
        writer.writerows(rows)
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    yield buffer.getvalue()


def export_xlsx(sheets: Sequence[tuple[str, ResultFile]], null_value: str, limit: int, auto_format: bool) -> bytes:
    """One workbook with a sheet per ``(name, result)``; every result must be a table."""
    import xlsxwriter  # only the gateway's downloads need it

    output = io.BytesIO()
    workbook = xlsxwriter.Workbook(output, {"constant_memory": True, "in_memory": True})
    header = workbook.add_format({"bold": True, "font_size": 14, "font_color": "black"})
    text = workbook.add_format({"num_format": "@"})
    formats = {"int": workbook.add_format({"num_format": "#"}),
               "decimal": workbook.add_format({"num_format": "#.0000000000"}),
               "date": workbook.add_format({"num_format": "m/d/yy h:mm"})}
    empty = null_text(null_value)
    for name, result in sheets:
        sheet = workbook.add_worksheet(name)
        types = [column["dataType"] for column in result.metadata]
        for column, spec in enumerate(result.metadata):
            sheet.write_string(0, column, spec["columnName"], header)
        row_number = 1
        for rows in _rows(result, empty, limit):
            for row in rows:
                for column, value in enumerate(row):
                    _write_cell(sheet, row_number, column, value or "", types[column] if auto_format else "",
                                text, formats)
                row_number += 1
    workbook.close()
    return output.getvalue()


def _write_cell(sheet, row: int, column: int, value: str, data_type: str, text, formats: dict) -> None:
    """A cell as ``StorageExcelWriter.setCellTypeValue`` writes it: typed when the value parses as
    its column's type, text otherwise (a NULL is its ``nullValue`` text by now)."""
    if data_type in _INTEGERS:
        try:
            sheet.write_number(row, column, int(value), formats["int"])
            return
        except ValueError:
            pass
    elif data_type in _DECIMALS:
        try:
            number = Decimal(value).normalize()
        except InvalidOperation:
            number = None
        digits = number.as_tuple() if number is not None and number.is_finite() else None
        if digits is not None and len(digits.digits) + int(digits.exponent) <= 15:
            sheet.write_number(row, column, float(number), formats["decimal"])
            return
    elif data_type == "date":
        try:
            sheet.write_datetime(row, column, date.fromisoformat(value), formats["date"])
            return
        except ValueError:
            pass
    sheet.write_string(row, column, value, text)
