"""Result set files (``_N.dolphin``): writing, listing and paging (§8).

Real Linkis writes a binary "dolphin" format. Ours is text that makes a page cheap to find:
line 1 is a JSON header ``{"type": "2", "metadata": [...]}``, then one JSON array of cell
strings (``null`` for SQL NULL) per row. A hidden sidecar ``._N.dolphin.idx`` holds the byte
offset of every ``INDEX_STRIDE``-th row, so page N seeks near its first row instead of parsing
everything before it. Only files named ``<alias>_<N>.dolphin`` are listed as results.
"""

from __future__ import annotations

import array
import csv
import io
import json
import math
import re
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Sequence

from linkis_magic.local.auth import PathRefused, confine, path_uri
from linkis_magic.local.logs import MAX_OPEN_LOG_BYTES, read_log_file
from linkis_magic.protocol import MAX_PAGE_SIZE, RESULT_TABLE, RESULT_TEXT

#: Rows between two offsets in the sidecar index.
INDEX_STRIDE = 1000
#: Rows converted and written per batch.
WRITE_BATCH = 5000
#: ``openFile`` default page size (§8.2).
DEFAULT_PAGE_SIZE = 5000
#: ``resultsetToExcel`` row cap when no ``limit`` is given (§8.3).
DEFAULT_EXPORT_LIMIT = 5000
#: What ``openFile`` puts for SQL NULL unless ``nullValue`` says otherwise; ``LINKIS_NULL`` keeps
#: JSON null (what the Java SDK asks for, §8.2).
NULL_CELL = "NULL"
KEEP_NULL = "LINKIS_NULL"

RESULT_NAME = re.compile(r"^(.*)_(\d+)\.dolphin$")
_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def cell(value: Any) -> str | None:
    """A Python value as a Linkis cell string (§8.2); ``None`` stays ``None`` (SQL NULL)."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _float_cell(value)
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S.%f" if value.microsecond else "%Y-%m-%d %H:%M:%S")
    if isinstance(value, (date, time)):
        return value.isoformat()
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).decode("utf-8", errors="replace")
    return str(value)


def _float_cell(value: float) -> str:
    # Java's Double.toString spellings for the non-finite values.
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    return repr(value)


def _index_path(path: Path) -> Path:
    return path.with_name(f".{path.name}.idx")


def result_path(result_dir: Path, index: int) -> Path:
    """The path of result set ``index`` (alias empty, as Linkis names them: ``_0.dolphin``)."""
    return result_dir / f"_{index}.dolphin"


def write_table(path: Path, columns: Sequence[tuple[str, str]], rows: Iterable[Sequence[Any]]) -> int:
    """Write a TABLE result set; returns the row count."""
    metadata = [{"columnName": name, "comment": "NULL", "dataType": data_type} for name, data_type in columns]
    converted = ([cell(value) for value in row] for row in rows)
    return _write(path, RESULT_TABLE, metadata, converted)


def write_text(path: Path, text: str) -> int:
    """Write a TEXT result set: one single-cell row per line (§8.2)."""
    return _write(path, RESULT_TEXT, "NULL", ([line] for line in text.split("\n")))


def _write(path: Path, kind: str, metadata: Any, rows: Iterator[list]) -> int:
    offsets = array.array("q")
    count = 0
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as handle:
        position = handle.write(_encode({"type": kind, "metadata": metadata}).encode() + b"\n")
        batch: list[bytes] = []
        for row in rows:
            if count % INDEX_STRIDE == 0:
                offsets.append(position)
            line = (_encode(row) + "\n").encode()
            batch.append(line)
            position += len(line)
            count += 1
            if len(batch) >= WRITE_BATCH:
                handle.write(b"".join(batch))
                batch = []
        handle.write(b"".join(batch))
    with _index_path(path).open("wb") as handle:
        offsets.tofile(handle)
    return count


class ResultFile:
    """A result set on disk, read a page at a time."""

    def __init__(self, path: Path) -> None:
        self.path = path
        with path.open("rb") as handle:
            self._data_start = len(handle.readline())
            handle.seek(0)
            header = json.loads(handle.readline())
        self.kind: str = header["type"]
        self.metadata: Any = header["metadata"]

    def rows(self, start: int, count: int) -> list[list[str | None]]:
        """Rows ``start .. start+count-1`` (0-based), fewer at the end of the file."""
        if count <= 0:
            return []
        offset, skip = self._seek_point(start)
        lines: list[bytes] = []
        with self.path.open("rb") as handle:
            handle.seek(offset)
            for _ in range(skip):
                if not handle.readline():
                    return []
            for _ in range(count):
                line = handle.readline()
                if not line:
                    break
                lines.append(line)
        # One parse of the whole page is much faster than a json.loads per row.
        return json.loads(b"[" + b",".join(line.rstrip(b"\n") for line in lines) + b"]")

    def _seek_point(self, start: int) -> tuple[int, int]:
        offsets = array.array("q")
        index = _index_path(self.path)
        if index.exists():
            with index.open("rb") as handle:
                offsets.frombytes(handle.read())
        block = start // INDEX_STRIDE
        if block < len(offsets):
            return offsets[block], start - block * INDEX_STRIDE
        if offsets:
            return offsets[-1], start - (len(offsets) - 1) * INDEX_STRIDE
        return self._data_start, start


def replace_nulls(rows: list[list[str | None]], null_value: str | None) -> list[list[str | None]]:
    """Apply ``openFile``'s ``nullValue`` rule (§8.2) in place and return ``rows``.

    Default: SQL NULL becomes ``"NULL"``. An explicit ``nullValue`` replaces NULL, ``"NULL"`` and
    ``""`` cells. ``LINKIS_NULL`` keeps JSON null.
    """
    if null_value == KEEP_NULL:
        return rows
    if null_value is None:
        for row in rows:
            if None in row:
                row[:] = [NULL_CELL if value is None else value for value in row]
        return rows
    blanks = (None, NULL_CELL, "")
    for row in rows:
        row[:] = [null_value if value in blanks else value for value in row]
    return rows


def list_results(result_dir: Path) -> list[Path]:
    """The ``_N.dolphin`` files of a result directory, sorted by N (§8.1)."""
    if not result_dir.is_dir():
        return []
    found = [(int(match.group(2)), child) for child in result_dir.iterdir()
             if (match := RESULT_NAME.match(child.name)) and child.is_file()]
    return [child for _, child in sorted(found)]


def export_csv(result: ResultFile, separator: str, null_value: str, limit: int) -> Iterator[str]:
    """``resultsetToExcel`` as csv: a header of column names, then up to ``limit`` rows (§8.3)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=separator, lineterminator="\n")
    if isinstance(result.metadata, list):
        writer.writerow([column["columnName"] for column in result.metadata])
    start = 0
    while start < limit:
        rows = replace_nulls(result.rows(start, min(WRITE_BATCH, limit - start)), null_value)
        if not rows:
            break
        writer.writerows(rows)
        start += len(rows)
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    yield buffer.getvalue()


class FileError(Exception):
    """A refused ``/filesystem`` request, with its Linkis error code (80xxx, §8)."""

    def __init__(self, err_code: int, desc: str) -> None:
        super().__init__(desc)
        self.err_code = err_code
        self.desc = desc


OUTSIDE_WORKSPACE = (80027, "The path needs to be within the user's own workspace path")


class UserFiles:
    """The ``/filesystem`` operations, each confined to the calling user's directory (§8)."""

    def __init__(self, user_root: Callable[[str], Path]) -> None:
        self._user_root = user_root

    def local_path(self, user: str, path_text: str) -> Path:
        """The server path behind ``path_text`` if it is ``user``'s, else 80027."""
        try:
            return confine(path_text, self._user_root(user))
        except PathRefused:
            raise FileError(*OUTSIDE_WORKSPACE) from None

    def tree(self, user: str, path_text: str) -> dict | None:
        """``dirFileTrees`` for a result directory; None when the job wrote no results (§8.1)."""
        directory = self.local_path(user, path_text)
        if not directory.is_dir():
            return None
        parent = path_uri(directory)
        children = [{"name": child.name, "path": path_uri(child),
                     "properties": {"size": str(stat.st_size), "modifytime": str(int(stat.st_mtime * 1000))},
                     "children": None, "isLeaf": True, "parentPath": parent}
                    for child in list_results(directory) for stat in [child.stat()]]
        return {"name": directory.name, "path": parent, "properties": None, "children": children,
                "isLeaf": False, "parentPath": None}

    def open_page(self, user: str, path_text: str, page: int, page_size: int, null_value: str | None) -> dict:
        """One ``openFile`` page (§8.2): cells as strings, ``totalLine`` = rows in this page."""
        if page_size > MAX_PAGE_SIZE:
            raise FileError(80034, f"The result set page size cannot exceed {MAX_PAGE_SIZE}"
                                   f"(结果集单页大小不能超过{MAX_PAGE_SIZE})")
        result = self._result(user, path_text)
        rows = replace_nulls(result.rows((page - 1) * page_size, page_size), null_value)
        data = {"metadata": result.metadata, "fileContent": rows, "type": result.kind, "totalLine": len(rows),
                "page": page, "totalPage": 0}
        if result.kind == RESULT_TABLE:
            data["totalColumn"] = len(result.metadata)
        return data

    def _result(self, user: str, path_text: str) -> ResultFile:
        path = self.local_path(user, path_text)
        if not RESULT_NAME.match(path.name):
            raise FileError(80032, "The local gateway opens result set files (_N.dolphin) only")
        if not path.is_file():
            raise FileError(80005, f"The file does not exist(文件不存在): {path_text}")
        return ResultFile(path)

    def read_log(self, user: str, path_text: str) -> list[str]:
        """A finished task's log lines for ``openLog`` (§8.4)."""
        path = self.local_path(user, path_text)
        if not path.is_file():
            raise FileError(80005, f"The file does not exist(文件不存在): {path_text}")
        if path.stat().st_size > MAX_OPEN_LOG_BYTES:
            raise FileError(80033, "The log file exceeds 30 MB and cannot be opened(日志文件超过30M，无法打开)")
        return read_log_file(path)

    def export_csv(self, user: str, path_text: str, separator: str, null_value: str, limit: int) -> Iterator[str]:
        """``resultsetToExcel`` chunks; ``limit`` 0 means the default cap (§8.3)."""
        result = self._result(user, path_text)
        return export_csv(result, separator, null_value, limit if limit > 0 else DEFAULT_EXPORT_LIMIT)
