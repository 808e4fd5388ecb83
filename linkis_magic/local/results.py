"""Result set files (``_N.dolphin``): writing, listing and paging (§8).

Real Linkis writes a binary "dolphin" format. Ours is text that makes a page cheap to find:
line 1 is a JSON header ``{"type": "2", "metadata": [...]}``; every further line is one block of
``BLOCK_ROWS`` rows as a JSON array of rows of cell strings (``null`` for SQL NULL). A hidden
sidecar ``._N.dolphin.idx`` holds each block's byte offset, so page N seeks to its first block
and parses only the blocks it needs. Writing and reading a block is one C-speed JSON call
instead of one per row. Only files named ``<alias>_<N>.dolphin`` are listed as results.
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

#: Rows per block line (and per offset in the sidecar index).
BLOCK_ROWS = 1000
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
    if value - value == 0:  # finite (inf - inf and nan - nan are nan)
        return repr(value)
    # Java's Double.toString spellings for the non-finite values.
    if math.isnan(value):
        return "NaN"
    return "Infinity" if value > 0 else "-Infinity"


def _bool_cell(value: bool) -> str:
    return "true" if value else "false"


def _index_path(path: Path) -> Path:
    return path.with_name(f".{path.name}.idx")


def result_path(result_dir: Path, index: int) -> Path:
    """The path of result set ``index`` (alias empty, as Linkis names them: ``_0.dolphin``)."""
    return result_dir / f"_{index}.dolphin"


def write_table(path: Path, columns: Sequence[tuple[str, str]], rows: Iterable[Sequence[Any]]) -> int:
    """Write a TABLE result set; returns the row count."""
    metadata = [{"columnName": name, "comment": "NULL", "dataType": data_type} for name, data_type in columns]
    return _write(path, RESULT_TABLE, metadata, (_convert_block(block) for block in _blocks(rows)))


def write_text(path: Path, text: str) -> int:
    """Write a TEXT result set: one single-cell row per line (§8.2)."""
    return _write(path, RESULT_TEXT, "NULL", ((block, 0) for block in _blocks([line] for line in text.split("\n"))))


def _blocks(rows: Iterable[Sequence[Any]]) -> Iterator[list]:
    block: list = []
    for row in rows:
        block.append(row)
        if len(block) == BLOCK_ROWS:
            yield block
            block = []
    if block:
        yield block


#: Converters for a column holding one type (plus NULLs); other columns go cell by cell.
_COLUMN_CONVERTERS: dict[type, Callable[[Any], str]] = {
    int: str, float: _float_cell, bool: _bool_cell, Decimal: lambda value: format(value, "f"),
    date: date.isoformat,
}
_NONE = type(None)


def _convert_block(block: list[Sequence[Any]]) -> tuple[list, int]:
    """Cells as Linkis strings, a column at a time (a column nearly always holds one type), and
    the number of NULL cells."""
    columns, nulls = [], 0
    for column in zip(*block):
        kinds = set(map(type, column)) - {_NONE}
        kind = kinds.pop() if len(kinds) == 1 else None
        if not kinds and kind in (str, None):
            columns.append(column)
        elif not kinds and kind in _COLUMN_CONVERTERS:
            convert = _COLUMN_CONVERTERS[kind]
            columns.append([None if value is None else convert(value) for value in column])
        else:
            columns.append([cell(value) for value in column])
        nulls += columns[-1].count(None)
    return list(zip(*columns)), nulls


def _write(path: Path, kind: str, metadata: Any, blocks: Iterable[tuple[list, int]]) -> int:
    # Sidecar: the row count, then per block ``offset * 2 + splice_safe``. A block is splice-safe
    # when every "null" in its JSON is a NULL cell (no cell text contains "null"), so a page can
    # render it as "NULL" with a bytes replace instead of parsing it (see ResultFile.page_json).
    index = array.array("q", [0])
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as handle:
        position = handle.write(_encode({"type": kind, "metadata": metadata}).encode() + b"\n")
        for rows, nulls in blocks:
            text = _encode(rows)
            index.append(position * 2 + (text.count("null") == nulls))
            position += handle.write((text + "\n").encode())
            index[0] += len(rows)
    with _index_path(path).open("wb") as handle:
        index.tofile(handle)
    return index[0]


class ResultFile:
    """A result set on disk, read a page at a time."""

    def __init__(self, path: Path) -> None:
        self.path = path
        with path.open("rb") as handle:
            header = json.loads(handle.readline())
        self.kind: str = header["type"]
        self.metadata: Any = header["metadata"]
        index = array.array("q")
        index.frombytes(_index_path(path).read_bytes())
        self.row_count = index[0]
        self._blocks = index[1:]

    def rows(self, start: int, count: int) -> list[list[str | None]]:
        """Rows ``start .. start+count-1`` (0-based), fewer at the end of the file."""
        rows: list = []
        for first_row, line, _ in self._block_lines(start, count):
            block = json.loads(line)
            low, high = max(start - first_row, 0), min(start + count - first_row, len(block))
            rows.extend(list(row) for row in block[low:high])
        return rows

    def page_json(self, start: int, count: int) -> bytes:
        """The JSON array of rows ``start .. start+count-1`` with NULL cells as ``"NULL"`` (the
        default ``openFile`` rendering, §8.2), spliced from the file where the blocks allow."""
        parts = []
        for first_row, line, safe in self._block_lines(start, count):
            whole = first_row >= start and min(first_row + BLOCK_ROWS, self.row_count) <= start + count
            if whole and safe:
                parts.append(line.rstrip(b"\n")[1:-1].replace(b"null", b'"NULL"'))
                continue
            block = json.loads(line)
            low, high = max(start - first_row, 0), min(start + count - first_row, len(block))
            rows = replace_nulls([list(row) for row in block[low:high]], None)
            if rows:
                parts.append(_encode(rows)[1:-1].encode())
        return b"[" + b",".join(parts) + b"]"

    def _block_lines(self, start: int, count: int) -> Iterator[tuple[int, bytes, bool]]:
        """``(first row number, JSON line, splice-safe)`` of each block overlapping the range."""
        if count <= 0 or start >= self.row_count:
            return
        first, last = start // BLOCK_ROWS, min(start + count - 1, self.row_count - 1) // BLOCK_ROWS
        with self.path.open("rb") as handle:
            handle.seek(self._blocks[first] // 2)
            for block in range(first, last + 1):
                yield block * BLOCK_ROWS, handle.readline(), bool(self._blocks[block] % 2)


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
        rows = replace_nulls(result.rows(start, min(BLOCK_ROWS * 5, limit - start)), null_value)
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
        """One ``openFile`` page (§8.2): cells as strings, ``totalLine`` = rows in this page.

        Without ``nullValue`` (the common case) ``fileContent`` is ready-made JSON *bytes*, spliced
        from the file, for the caller to embed as they are.
        """
        if page_size > MAX_PAGE_SIZE:
            raise FileError(80034, f"The result set page size cannot exceed {MAX_PAGE_SIZE}"
                                   f"(结果集单页大小不能超过{MAX_PAGE_SIZE})")
        result = self._result(user, path_text)
        start = (page - 1) * page_size
        total_line = max(min(page_size, result.row_count - start), 0)
        if null_value is None:
            content: Any = result.page_json(start, page_size)
        else:
            content = replace_nulls(result.rows(start, page_size), null_value)
        data = {"metadata": result.metadata, "fileContent": content, "type": result.kind, "totalLine": total_line,
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
