"""Result set files (``_N.dolphin``): writing, listing and paging (§8).

What clients see is what Linkis's reader gives: ``dataType`` names normalised (``decimal(10,2)``
-> ``decimal``, ``tinyint`` -> ``string``), doubles without an exponent (``1.0`` -> ``"1"``,
``1e20`` -> ``"100000000000000000000"``, infinity -> ``"∞"``), floats as Java prints them, and
``display_prohibited`` instead of rows longer than 20 MiB (§8.2).

Real Linkis writes a binary "dolphin" format. Ours is text that makes a page cheap to find:
line 1 is a JSON header ``{"type": "2", "metadata": [...]}``; every further line is one block of
``BLOCK_ROWS`` rows as a JSON array of rows of cell strings (``null`` for SQL NULL). A hidden
sidecar ``._N.dolphin.idx`` holds each block's byte offset, so page N seeks to its first block
and parses only the blocks it needs. Writing and reading a block is one C-speed JSON call
instead of one per row. Only files named ``<alias>_<N>.dolphin`` are listed as results.
"""

from __future__ import annotations

import array
import json
import math
import re
import shutil
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import date, datetime, time
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path
from typing import Any

import numpy as np

from linkis_magic.local.auth import PathRefused, confine, path_uri
from linkis_magic.local.logs import MAX_OPEN_LOG_BYTES, read_log_file
from linkis_magic.local.settings import LinkisSettings
from linkis_magic.protocol import (
    DEFAULT_NULL_VALUE,
    KEEP_NULL,
    MAX_PAGE_SIZE,
    RESULT_TABLE,
    RESULT_TEXT,
    is_result_file,
    result_index,
)

#: Rows per block line (and per offset in the sidecar index).
BLOCK_ROWS = 1000
#: The page size ``openFile`` uses when the request gives none (§8.2).
OPENFILE_PAGE_SIZE = 5000

_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def cell(value: Any) -> str | None:
    """A Python value as Linkis's reader hands it out (§8.2); ``None`` stays ``None`` (SQL NULL)."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return java_double(value)
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime):
        return _timestamp_cell(value)
    if isinstance(value, (date, time)):
        return value.isoformat()
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).decode("utf-8", errors="replace")
    return str(value)


_THIRTY_PLACES = Decimal(1).scaleb(-30)


def java_double(value: float) -> str:
    """A double as Linkis's result reader prints it (``StorageUtils.doubleToString``: Java's
    ``NumberFormat`` without grouping, at most 30 fraction digits): never an exponent, no
    trailing ``.0``, ``NaN``, and ``∞``/``-∞`` (the locale's infinity sign)."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "∞" if value > 0 else "-∞"
    # The shortest digits that round-trip (what Java's DigitList starts from), then HALF_EVEN
    # to 30 places as DecimalFormat rounds.
    number = Decimal(repr(value))
    if number.as_tuple().exponent < -30:
        number = number.quantize(_THIRTY_PLACES, rounding=ROUND_HALF_EVEN)
    text = format(number, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "-0" if text == "0" and math.copysign(1.0, value) < 0 else text


def java_float(value: float) -> str:
    """A float (a 4-byte REAL) as Java's ``Float.toString`` prints it, which Linkis passes on:
    ``1.5``, ``1.0E10``, ``1.0E-5``."""
    number = np.float32(value)
    if math.isnan(number):
        return "NaN"
    if math.isinf(number):
        return "Infinity" if number > 0 else "-Infinity"
    if number == 0 or 1e-3 <= abs(number) < 1e7:
        text = np.format_float_positional(number, unique=True, trim="0")
        return "-0.0" if text in ("0.0", "-0.0") and math.copysign(1.0, number) < 0 else text
    mantissa, exponent = np.format_float_scientific(number, unique=True, trim="0", exp_digits=1).split("e")
    return f"{mantissa}E{int(exponent)}"


def _timestamp_cell(value: datetime) -> str:
    """``Timestamp.toString`` with a trailing ``.0`` removed, as Linkis's reader prints it."""
    # The year with four digits, as Java prints it (glibc's %Y leaves year 1 as "1").
    text = f"{value.year:04d}-{value:%m-%d %H:%M:%S.%f}".rstrip("0")
    return text.rstrip(".")


#: Linkis's ``DataType.toDataType`` (§8.2): the names a result's ``dataType`` can have, in the
#: order the source tries them; ``None`` means "starts with", a prefix of ``"*"``, "contains".
_DATA_TYPES: tuple[tuple[str, str], ...] = (
    ("=void", "void"), ("=null", "void"), ("=string", "string"), ("=boolean", "boolean"), ("^short", "short"),
    ("^long", "long"), ("^bigint", "bigint"), ("^int", "int"), ("=integer", "int"), ("=smallint", "int"),
    ("^float", "float"), ("^double", "double"), ("^varchar", "varchar"), ("^char", "char"), ("=date", "date"),
    ("=timestamp", "timestamp"), ("=binary", "binary"), ("=decimal", "decimal"), ("*array", "array"),
    ("*map", "map"), ("*list", "list"), ("*struct", "struct"),
)
_DECIMAL_TYPE = re.compile(r"^decimal\(\s*\d*\s*,\s*\d*\s*\)")


def linkis_data_type(declared: str) -> str:
    """The ``dataType`` Linkis hands out for a column type as an engine wrote it: ``decimal(10,2)``
    -> ``decimal``, ``varchar(20)`` -> ``varchar``, ``smallint`` -> ``int``, and ``tinyint``,
    ``decimal(10)``, ``real`` or any upper-case name -> ``string`` (case-sensitive, §8.2)."""
    if _DECIMAL_TYPE.search(declared):
        return "decimal"
    for pattern, name in _DATA_TYPES:
        kind, text = pattern[0], pattern[1:]
        if (kind == "=" and declared == text or kind == "^" and declared.startswith(text)
                or kind == "*" and text in declared):
            return name
    return "string"


def _bool_cell(value: bool) -> str:
    return "true" if value else "false"


def _index_path(path: Path) -> Path:
    return path.with_name(f".{path.name}.idx")


def result_path(result_dir: Path, index: int) -> Path:
    """The path of result set ``index`` (alias empty, as Linkis names them: ``_0.dolphin``)."""
    return result_dir / f"_{index}.dolphin"


def write_table(path: Path, columns: Sequence[tuple[str, str]], rows: Iterable[Sequence[Any]]) -> int:
    """Write a TABLE result set; returns the row count. Column types are kept as the engine
    names them (``decimal(10,2)``); readers get Linkis's names."""
    metadata = [{"columnName": name, "comment": "NULL", "dataType": data_type} for name, data_type in columns]
    floats = [linkis_data_type(data_type) == "float" for _, data_type in columns]
    return _write(path, RESULT_TABLE, metadata, (_convert_block(block, floats) for block in _blocks(rows)))


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
    int: str, float: java_double, bool: _bool_cell, Decimal: lambda value: format(value, "f"),
    date: date.isoformat, datetime: _timestamp_cell,
}
_NONE = type(None)


def _convert_block(block: list[Sequence[Any]], floats: Sequence[bool]) -> tuple[list, int]:
    """Cells as Linkis strings, a column at a time (a column nearly always holds one type), and
    the number of NULL cells. ``floats`` marks the 4-byte float columns, which Java prints
    differently from doubles."""
    columns, nulls = [], 0
    for column, is_float in zip(zip(*block), floats):
        kinds = set(map(type, column)) - {_NONE}
        kind = kinds.pop() if len(kinds) == 1 else None
        if not kinds and kind in (str, None):
            columns.append(column)
        elif not kinds and kind in _COLUMN_CONVERTERS:
            convert = java_float if is_float and kind is float else _COLUMN_CONVERTERS[kind]
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
        #: As Linkis's reader sends it: ``dataType`` normalised (§8.2); "NULL" for text results.
        self.metadata: Any = header["metadata"]
        if isinstance(self.metadata, list):
            self.metadata = [{**column, "dataType": linkis_data_type(column["dataType"])} for column in self.metadata]
        index = array.array("q")
        index.frombytes(_index_path(path).read_bytes())
        self.row_count = index[0]
        self._blocks = index[1:]
        self._size = path.stat().st_size

    def too_long(self, end: int, row_bytes: int, cell_chars: int | None) -> bool:
        """Whether a row before ``end`` is longer than ``row_bytes`` (UTF-8), or, with
        ``cell_chars``, holds a longer cell: Linkis then shows no rows at all (§8.2). Only blocks
        whose JSON line is longer than a limit are parsed to look."""
        limit = min(row_bytes, cell_chars or row_bytes)
        for number in range(min(-(-end // BLOCK_ROWS), len(self._blocks))):
            start = self._blocks[number] // 2
            stop = self._blocks[number + 1] // 2 if number + 1 < len(self._blocks) else self._size
            if stop - start <= limit:
                continue
            for row in self.rows(number * BLOCK_ROWS, min(BLOCK_ROWS, end - number * BLOCK_ROWS)):
                cells = [value for value in row if value is not None]
                if sum(len(value.encode("utf-8")) for value in cells) > row_bytes:
                    return True
                if cell_chars is not None and any(_java_length(value) > cell_chars for value in cells):
                    return True
        return False

    def rows(self, start: int, count: int) -> list[list[str | None]]:
        """Rows ``start .. start+count-1`` (0-based), fewer at the end of the file."""
        rows: list = []
        for first_row, line, _ in self._block_lines(start, count):
            block = json.loads(line)
            low, high = max(start - first_row, 0), min(start + count - first_row, len(block))
            rows.extend(list(row) for row in block[low:high])
        return rows

    def page_json(self, start: int, count: int, keep_null: bool = False) -> bytes:
        """The JSON array of rows ``start .. start+count-1``, spliced from the file where the
        blocks allow: NULL cells as ``"NULL"`` (the default ``openFile`` rendering, §8.2), or as
        JSON null with ``keep_null`` (``nullValue=LINKIS_NULL``)."""
        parts = []
        for first_row, line, safe in self._block_lines(start, count):
            whole = first_row >= start and min(first_row + BLOCK_ROWS, self.row_count) <= start + count
            if whole and (safe or keep_null):
                body = line.rstrip(b"\n")[1:-1]
                parts.append(body if keep_null else body.replace(b"null", b'"NULL"'))
                continue
            block = json.loads(line)
            low, high = max(start - first_row, 0), min(start + count - first_row, len(block))
            rows = replace_nulls([list(row) for row in block[low:high]], KEEP_NULL if keep_null else None)
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


def _java_length(text: str) -> int:
    """``String.length()``: UTF-16 code units, so a character outside the BMP counts twice."""
    return len(text) + sum(1 for char in text if ord(char) > 0xFFFF)


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
                row[:] = [DEFAULT_NULL_VALUE if value is None else value for value in row]
        return rows
    blanks = (None, DEFAULT_NULL_VALUE, "")
    for row in rows:
        row[:] = [null_value if value in blanks else value for value in row]
    return rows


def list_results(result_dir: Path) -> list[Path]:
    """The ``_N.dolphin`` files of a result directory, sorted by N (§8.1)."""
    if not result_dir.is_dir():
        return []
    found = [(result_index(child.name), child) for child in result_dir.iterdir()
             if is_result_file(child.name) and child.is_file()]
    return [child for _, child in sorted(found)]


def prohibited_page(kind: str, settings: LinkisSettings) -> dict:
    """``openFile``'s answer when a row or cell is too long to show (§8.2, ``ColLengthExceedException``):
    no ``metadata``, no ``fileContent``, and Linkis's messages with its numbers Java-formatted."""
    col_length, column_size = f"{settings.result_col_length_max:,}", f"{settings.result_column_size_max:,}"
    return {
        "type": kind, "display_prohibited": True,
        "zh_msg": f"结果集存在字段值字符数超过{col_length}，如需查看全部数据请导出文件或使用字符串截取函数"
                  "（substring、substr）"
                  "截取相关字符即可前端展示数据内容",
        "en_msg": f"There is a field value exceed {col_length} characters or col size exceed {column_size} in the "
                  "result set. If you want to view it, please use the result set export function.",
    }


class FileError(Exception):
    """A refused ``/filesystem`` request, with its Linkis error code (80xxx, §8)."""

    def __init__(self, err_code: int, desc: str) -> None:
        super().__init__(desc)
        self.err_code = err_code
        self.desc = desc


OUTSIDE_WORKSPACE = (80027, "The path needs to be within the user's own workspace path")


#: The directory below a user's root that Linkis's owner check accepts for a non-admin user: the
#: engine conn's local root (``wds.linkis.filesystem.root.path`` + user, §8.1). Job logs and
#: results live beside it, not in it, as on Linkis.
WORKSPACE = "work"


class UserFiles:
    """The ``/filesystem`` operations, each confined to the calling user's directory (§8)."""

    def __init__(self, user_root: Callable[[str], Path], settings: LinkisSettings = LinkisSettings()) -> None:
        self._user_root = user_root
        self._settings = settings

    def local_path(self, user: str, path_text: str) -> Path:
        """The server path behind ``path_text`` if ``user`` may read it: 80010 from the owner
        check when it is on (§8.1), 80027 for anything outside the user's directory (this
        gateway's own boundary, applied whatever the settings)."""
        if self._settings.owner_check and not self._owner_may_read(user, path_text):
            raise FileError(80010, f"The user: {user} has no permission to view the contents of the directory:"
                                   f"{path_text}(该用户:{user}无权限查看该目录:{path_text}的内容)")
        try:
            return confine(path_text, self._user_root(user))
        except PathRefused:
            raise FileError(*OUTSIDE_WORKSPACE) from None

    def _owner_may_read(self, user: str, path_text: str) -> bool:
        """FsRestfulApi.checkIsUsersDirectory: a user's own workspace; for admins, every user's."""
        root = self._user_root(user)
        allowed = root.parent if self._settings.is_admin(user) else root / WORKSPACE
        try:
            confine(path_text, allowed)
        except PathRefused:
            return False
        return True

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

    def open_page(self, user: str, path_text: str, page: int, page_size: int, null_value: str | None = None,
                  enable_limit: bool = False) -> dict:
        """One ``openFile`` page (§8.2): cells as strings, ``totalLine`` = rows in this page.

        ``fileContent`` is ready-made JSON *bytes*, spliced from the file, for the caller to embed
        as they are, unless an explicit ``nullValue`` (other than ``LINKIS_NULL``) asks for cells
        to be replaced. A row over the row limit (or, with ``enable_limit``, a cell over the cell
        limit) gives a ``display_prohibited`` page with no rows.
        """
        if page_size > MAX_PAGE_SIZE:
            raise FileError(80034, f"The result set exceeds {MAX_PAGE_SIZE} rows and page viewing is currently not "
                                   "supported. Please download to view or view in the shared directory(结果集行数超过"
                                   f"{MAX_PAGE_SIZE}行，暂不支持页面查看。请下载查看或在共享目录中查看)")
        result = self.result(user, path_text)
        start = (page - 1) * page_size
        settings = self._settings
        if result.too_long(start + page_size, settings.result_row_max_bytes,
                           settings.result_col_length_max if enable_limit else None):
            return prohibited_page(result.kind, settings)
        total_line = max(min(page_size, result.row_count - start), 0)
        if null_value is None or null_value == "" or null_value.upper() == "BLANK":
            content: Any = result.page_json(start, page_size)  # "BLANK" is not passed on by openFile (§8.2)
        elif null_value == KEEP_NULL:
            content = result.page_json(start, page_size, keep_null=True)
        else:
            content = replace_nulls(result.rows(start, page_size), null_value)
        data = {"metadata": result.metadata, "fileContent": content, "type": result.kind, "totalLine": total_line,
                "page": page, "totalPage": 0}
        if result.kind == RESULT_TABLE:
            data["totalColumn"] = len(result.metadata)
        return data

    def result(self, user: str, path_text: str) -> ResultFile:
        """The result set file at ``path_text``, if ``user`` may read it."""
        path = self.local_path(user, path_text)
        if not is_result_file(path.name):
            raise FileError(80032, "The local gateway opens result set files (_N.dolphin) only")
        if not path.is_file():
            raise FileError(80013, f"File: {path_text} does not exist(文件:{path_text}不存在)")
        return ResultFile(path)

    def workspace(self, user: str) -> str:
        """The user's workspace root as ``getUserRootPath`` gives it (made if missing, §15.3)."""
        root = self._user_root(user) / WORKSPACE
        root.mkdir(parents=True, exist_ok=True)
        return path_uri(root) + "/"

    def save_upload(self, user: str, directory: str, name: str, data: bytes) -> None:
        """``upload``: ``data`` as ``<directory>/<name>``, replacing a file of that name (§15.3)."""
        folder = self.local_path(user, directory)
        if "/" in name or "\\" in name or name in ("", ".", ".."):
            raise FileError(80028, "The path exist special char,only support numbers, uppercase letters, "
                                   "underscores, Chinese(路径存在特殊字符,只支持数字,字母大小写,下划线,中文)")
        folder.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(data)

    def delete(self, user: str, path_text: str) -> None:
        """``deleteDirOrFile``: remove a file or a directory with all it holds (§15.3); 80008 when
        there is nothing at ``path_text``."""
        path = self.local_path(user, path_text)
        if path.resolve() == self._user_root(user).resolve():  # this gateway's boundary: logs, results
            raise FileError(80009, "This user does not have permission to delete this file or folder"
                                   "(该用户无权删除此文件或文件夹)!")
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        elif path.exists() or path.is_symlink():
            path.unlink()
        else:
            raise FileError(80008, "The deleted file or folder does not exist(删除的文件or文件夹不存在)!")

    def results_in(self, user: str, path_text: str) -> list[ResultFile]:
        """The result sets of a result directory in ``_N`` order; 80029 when it holds none (§8.3)."""
        directory = self.local_path(user, path_text)
        found = list_results(directory) if directory.is_dir() else []
        if not found:
            raise FileError(80029, "Empty dir(空目录)!")
        return [ResultFile(path) for path in found]

    def read_log(self, user: str, path_text: str) -> list[str]:
        """A finished task's log lines for ``openLog`` (§8.4)."""
        path = self.local_path(user, path_text)
        if not path.is_file():
            raise FileError(80013, f"File: {path_text} does not exist(文件:{path_text}不存在)")
        if path.stat().st_size > MAX_OPEN_LOG_BYTES:
            raise FileError(80033, "The log file exceeds 30MB and is too large and cannot be opened, path : "
                                   f"{path_text} "
                                   f"(日志文件超过30M，文件太大暂不支持打开查看，文件地址：{path_text})")
        return read_log_file(path)
