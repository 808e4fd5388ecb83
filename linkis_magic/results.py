"""Result sets: Linkis result files read page by page into typed pandas DataFrames.

A Linkis result file (``_N.dolphin``, docs/protocol.md §8) comes back from ``openFile`` as
pages of string cells plus column metadata with a Linkis ``dataType`` per column. A page of
64 KiB or more is parsed by Arrow's JSON reader (:func:`decode_page`), so no cell becomes a Python
object (a smaller one by orjson, which is quicker there); its rows are turned into columns and
each column is typed from that metadata with Arrow's vectorised casts, never guessed from values:

=====================================================  ===========================================
dataType                                               pandas
=====================================================  ===========================================
tinyint, short, smallint, int, integer, long, bigint   nullable ``Int64`` (exact, no float detour)
float, double                                          ``float64``
decimal, bigdecimal                                    ``object`` of ``decimal.Decimal`` (exact)
boolean                                                nullable ``boolean``
date, timestamp                                        ``datetime64[us]``
anything else (string, char, varchar, map, ...)        pandas' string dtype
=====================================================  ===========================================

Pages are asked for with ``nullValue=LINKIS_NULL``, so SQL NULL arrives as JSON null and becomes
``<NA>``/``NaN``/``NaT``/``None``, while the text ``"NULL"`` in a string column stays text (§8.2);
in typed columns a ``"NULL"`` cell (a gateway that ignores ``nullValue``) is missing too. Doubles
arrive as Linkis prints them (``"∞"`` for infinity). A column whose cells do not fit its type
stays strings rather than losing data.
"""

from __future__ import annotations

import contextlib
import decimal
import html
import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as pa_json

from .errors import LinkisProtocolError
from .protocol import DEFAULT_NULL_VALUE, MAX_PAGE_SIZE, RESULT_TABLE

if TYPE_CHECKING:
    import pandas as pd

    from .client import LinkisClient

#: Rows per ``openFile`` page. Linkis defaults to 5,000 and allows up to 100,000 (§8.2). Bigger
#: pages mean fewer round trips but more held at once (two pages, with the read-ahead); make
#: bench measured 25,000 rows as fast as 50,000 for a million-row result. The first page (what a
#: notebook displays) stays quick.
PAGE_ROWS = 25_000

#: Rows shown by ``_repr_html_``.
DISPLAY_ROWS = 10


_INTEGER = {"tinyint", "short", "smallint", "int", "integer", "long", "bigint"}
_FLOAT = {"float", "double", "real"}
_DECIMAL = {"decimal", "bigdecimal"}
_BOOLEAN = {"boolean", "bool"}
_DATETIME = {"date", "timestamp", "datetime"}


def base_type(data_type: Any) -> str:
    """``decimal(10,2)`` -> ``decimal``; ``VARCHAR(20)`` -> ``varchar``."""
    return str(data_type or "string").split("(", 1)[0].strip().lower()


def _nulls_to_none(cells: pa.Array) -> pa.Array:
    """``"NULL"`` cells of a typed column (Linkis's default ``nullValue``, §8.2) as Arrow nulls."""
    return pc.if_else(pc.equal(cells, DEFAULT_NULL_VALUE), pa.scalar(None, pa.string()), cells)


def _integers(cells: pa.Array) -> Any:
    import pandas as pd

    try:  # exact: no float detour, so 2**63-1 survives
        values = pc.cast(cells, pa.int64())
    except pa.ArrowInvalid:  # Arrow's cast takes neither padding nor a leading "+"; int() does
        values = pc.cast(pc.replace_substring_regex(pc.utf8_trim_whitespace(cells), r"^\+", ""), pa.int64())
    mask = values.is_null().to_numpy(zero_copy_only=False)
    return pd.arrays.IntegerArray(pc.fill_null(values, 0).to_numpy(), mask)


def _floats(cells: pa.Array) -> Any:
    # Linkis prints infinity with the JVM locale's sign, "∞" (StorageUtils.doubleToString, §8.2).
    cells = pc.replace_substring(cells, "∞", "inf")
    try:
        values = pc.cast(cells, pa.float64())
    except pa.ArrowInvalid:  # padded cells
        values = pc.cast(pc.utf8_trim_whitespace(cells), pa.float64())
    return values.to_numpy(zero_copy_only=False)  # nulls -> NaN


def _decimals(cells: pa.Array) -> Any:
    # Python Decimals, not Arrow's: the declared precision is not always sent ("decimal").
    return np.array([None if v is None else decimal.Decimal(v) for v in cells.to_pylist()], dtype=object)


def _booleans(cells: pa.Array) -> Any:
    import pandas as pd

    values = pc.cast(cells, pa.bool_())  # "true"/"false"/"1"/"0", any case
    mask = values.is_null().to_numpy(zero_copy_only=False)
    return pd.arrays.BooleanArray(pc.fill_null(values, False).to_numpy(zero_copy_only=False), mask)


def _datetimes(cells: pa.Array) -> Any:
    import pandas as pd

    with contextlib.suppress(pa.ArrowInvalid):  # the common case, at a tenth of the cost below
        return pc.cast(cells, pa.timestamp("us")).to_numpy(zero_copy_only=False)  # nulls -> NaT
    # Hive and JDBC print up to 9 fraction digits (Timestamp.toString); microseconds are kept.
    trimmed = pc.replace_substring_regex(pc.utf8_trim_whitespace(cells), r"(\.\d{6})\d+", r"\1")
    try:
        return pc.cast(trimmed, pa.timestamp("us")).to_numpy(zero_copy_only=False)
    except pa.ArrowInvalid:
        # Time zones, empty cells and other ISO 8601 forms Arrow's cast refuses: pandas' parser.
        return pd.to_datetime(cells.to_pandas(), format="ISO8601").to_numpy()


def _strings(cells: pa.Array) -> Any:
    return cells.to_pandas()


_CONVERTERS: dict[frozenset, Callable[[pa.Array], Any]] = {
    frozenset(_INTEGER): _integers,
    frozenset(_FLOAT): _floats,
    frozenset(_DECIMAL): _decimals,
    frozenset(_BOOLEAN): _booleans,
    frozenset(_DATETIME): _datetimes,
}


def convert_column(cells: Sequence[Any] | pa.Array | pa.ChunkedArray, data_type: Any) -> Any:
    """Type one column of string cells by its Linkis ``dataType`` (see the module table)."""
    if not isinstance(cells, (pa.Array, pa.ChunkedArray)):
        cells = pa.array(cells, type=pa.string())
    name = base_type(data_type)
    for names, convert in _CONVERTERS.items():
        if name in names:
            try:
                return convert(_nulls_to_none(cells))
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError, decimal.InvalidOperation, ValueError,
                    TypeError, OverflowError):
                break  # cells that do not fit the declared type: keep them as text, lose nothing
    return _strings(cells)


#: What an ``openFile`` table page looks like (§8.2). Fields not named here are inferred.
_PAGE_SCHEMA = pa.schema([
    pa.field("method", pa.string()),
    pa.field("status", pa.int64()),
    pa.field("message", pa.string()),
    pa.field("data", pa.struct([
        pa.field("metadata", pa.list_(pa.struct([pa.field(name, pa.string())
                                                 for name in ("columnName", "comment", "dataType")]))),
        pa.field("fileContent", pa.list_(pa.list_(pa.string()))),
    ])),
])
_PAGE_PARSE = pa_json.ParseOptions(explicit_schema=_PAGE_SCHEMA, unexpected_field_behavior="infer")


def _plain_json_types(data_type: pa.DataType) -> bool:
    """Whether Arrow inferred only what JSON itself has (text, integers, booleans, nulls, lists,
    objects): a string it took for a timestamp, or an integer too big for int64 that it made a
    float, must not come back changed."""
    if pa.types.is_struct(data_type):
        return all(_plain_json_types(field.type) for field in data_type)
    if pa.types.is_list(data_type):
        return _plain_json_types(data_type.value_type)
    return (pa.types.is_string(data_type) or pa.types.is_int64(data_type) or pa.types.is_boolean(data_type)
            or pa.types.is_null(data_type))


#: Bodies shorter than this go to the plain JSON decoder: Arrow's reader costs about 0.35 ms
#: before the first byte, while orjson reads a 2-row page in 0.01 ms and breaks even near 64 KiB.
ARROW_FROM_BYTES = 64 * 1024


def decode_page(content: bytes, fallback: Callable[[bytes], Any]) -> Any:
    """An ``openFile`` body with ``data.fileContent`` as an Arrow array of rows (``list<string>``).

    Arrow's JSON reader parses the page in C++ without a Python object per cell: a million-row
    result reads faster and in a third less memory than through JSON lists. A body under
    :data:`ARROW_FROM_BYTES`, and anything else — an error envelope, a text result, cells that
    are not strings or not UTF-8, a row that is not a list, a lone surrogate, fields Arrow would
    type differently from JSON — goes to ``fallback`` (a plain JSON decoder) whole, so it means
    what it always meant.
    """
    if len(content) < ARROW_FROM_BYTES:
        return fallback(content)
    try:
        table = pa_json.read_json(pa.BufferReader(content), parse_options=_PAGE_PARSE,
                                  read_options=pa_json.ReadOptions(use_threads=False, block_size=len(content) + 1))
        data = table.column("data").combine_chunks() if table.num_rows == 1 else None
        if (data is None or data.null_count or not all(_plain_json_types(field.type) for field in table.schema)
                or table.column("status")[0].as_py() != 0 or table.column("message").null_count):
            return fallback(content)
        rows = data.field("fileContent")
        if rows.null_count == 0:  # else no fileContent at all (a display_prohibited page, §8.2)
            rows = rows.flatten()
            if rows.null_count:  # a row that is null: the plain decoder's rows say what is wrong
                return fallback(content)
            rows.validate(full=True)  # the JSON reader does not check UTF-8
        body = {name: table.column(name)[0].as_py() for name in table.column_names if name != "data"}
        body["data"] = {field.name: data.field(i)[0].as_py() for i, field in enumerate(data.type)
                        if field.name != "fileContent"}
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError, ValueError, OverflowError):
        return fallback(content)
    if isinstance(body["data"].get("metadata"), list):  # keys a column did not send stay absent
        body["data"]["metadata"] = [{k: v for k, v in column.items() if v is not None} if column else column
                                    for column in body["data"]["metadata"]]
    body["data"]["fileContent"] = None if rows.null_count else rows
    return body


def rows_array(rows: Any) -> pa.ListArray:
    """``fileContent`` as an Arrow array of rows, each a ``list<string>`` of cells.

    Rows parsed by :func:`decode_page` pass through; JSON lists are converted (cells that are not
    strings, which a lenient gateway may send, as their text). Raises
    :class:`LinkisProtocolError` for anything that is not a list of rows.
    """
    if isinstance(rows, pa.ListArray):
        if rows.null_count:
            raise LinkisProtocolError("result page fileContent holds something other than rows")
        return rows
    if not isinstance(rows, list):
        raise LinkisProtocolError(f"result page fileContent is not a list of rows: {str(rows)[:80]!r}")
    if not set(map(type, rows)) <= {list, tuple}:
        raise LinkisProtocolError("result page fileContent holds something other than rows")
    try:
        return pa.array(rows, type=pa.list_(pa.string()))
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return pa.array([[None if c is None else str(c) for c in row] for row in rows], type=pa.list_(pa.string()))


def _columns(rows: pa.ListArray, width: int) -> list[pa.Array]:
    """Rows of cells -> one Arrow array per column, transposed in C++, not Python."""
    cells, total = rows.flatten(), len(rows) * width
    return [cells.take(pa.array(np.arange(j, total, width))) for j in range(width)]


def to_frame(columns: Sequence[dict], rows: Any) -> pd.DataFrame:
    """A typed DataFrame from ``openFile`` metadata and ``fileContent`` rows (JSON lists or
    :func:`rows_array`'s Arrow array).

    Raises :class:`LinkisProtocolError` for a page that is not a table of that many columns.
    """
    import pandas as pd

    rows = rows_array(rows)
    _check_page(columns, rows)
    cells = _columns(rows, len(columns))
    data = {i: convert_column(col, c.get("dataType")) for i, (col, c) in enumerate(zip(cells, columns))}
    frame = pd.DataFrame(data, copy=False)
    # Set afterwards: a dict keyed by name would merge duplicate column names.
    frame.columns = [str(c.get("columnName", f"col{i}")) for i, c in enumerate(columns)]
    return frame


def _check_page(columns: Any, rows: pa.ListArray) -> None:
    if not isinstance(columns, list) or not all(isinstance(c, dict) for c in columns):
        raise LinkisProtocolError(f"result page metadata is not a list of columns: {str(columns)[:80]!r}")
    if columns and len(rows):  # no columns: a text result's lines
        widths = pc.min_max(pc.list_value_length(rows)).as_py()
        if widths["min"] != len(columns) or widths["max"] != len(columns):
            raise LinkisProtocolError(f"result page rows do not have the {len(columns)} cells its metadata names")


def arrow_table(frame: pd.DataFrame, columns: Sequence[dict], schema: pa.Schema | None) -> pa.Table:
    """A typed page as an Arrow table of ``schema``, or, for the first page, of the schema it
    sets (see :meth:`ResultSet.iter_batches`)."""
    if schema is None:
        table = pa.Table.from_pandas(frame, preserve_index=False)
        fields = []
        for field, column in zip(table.schema, list(columns) or [{}] * len(table.schema)):
            kind = base_type(column.get("dataType"))
            if kind in _DECIMAL:
                scales = [-value.as_tuple().exponent for value in frame[field.name].dropna() if value.is_finite()]
                fields.append(pa.field(field.name, pa.decimal128(38, min(max([0, *scales]), 38))))
            elif pa.types.is_null(field.type):
                fields.append(pa.field(field.name, _ALL_NULL_TYPES.get(kind, pa.string())))
            else:
                fields.append(field)
        schema = pa.schema(fields)
    try:
        return pa.Table.from_pandas(frame, schema=schema, preserve_index=False)
    except (pa.ArrowInvalid, pa.ArrowTypeError) as error:
        raise LinkisProtocolError(f"a result page does not fit the first page's column types ({error}); "
                                  "write it to .csv or .jsonl instead") from None


#: The Arrow type of a column the first page held only NULLs in, by its Linkis type.
_ALL_NULL_TYPES = {**dict.fromkeys(_INTEGER, pa.int64()), **dict.fromkeys(_FLOAT, pa.float64()),
                   **dict.fromkeys(_BOOLEAN, pa.bool_()), **dict.fromkeys(_DATETIME, pa.timestamp("us"))}


class ResultSet:
    """One result set of a job, read lazily.

    ``head_frame()`` needs the first page only; ``to_pandas()``, ``__iter__`` and ``text()`` read
    the rest, and a ``limit`` stops reading early.
    """

    def __init__(self, client: LinkisClient, path: str, index: int = 0,
                 page_size: int = PAGE_ROWS) -> None:
        if isinstance(page_size, bool) or not isinstance(page_size, int) or not 0 < page_size <= MAX_PAGE_SIZE:
            raise ValueError(f"page_size must be a whole number from 1 to {MAX_PAGE_SIZE}: {page_size!r}")
        self.client = client
        self.path = path
        self.index = index
        self.page_size = page_size
        self._first: dict | None = None
        self._row_count: int | None = None

    # -- pages -------------------------------------------------------------------------------

    def _page(self, number: int) -> dict:
        if number == 1 and self._first is not None:
            return self._first
        page = self.client.open_result(self.path, page=number, page_size=self.page_size, decode=decode_page)
        page = {**page, "fileContent": rows_array(page.get("fileContent"))}
        if number == 1:
            self._first = page
        return page

    def pages(self, limit: int | None = None) -> Iterator[pa.ListArray]:
        """Pages of rows until a short or empty page (§8.2) or ``limit``: Arrow arrays whose
        items are rows, each a ``list<string>`` of cells (``to_pylist()`` gives Python lists).

        While the caller works on one page, a worker thread fetches and parses the next, so the
        gateway writes page n+1 while page n is typed instead of each waiting for the other.
        """
        _check_limit(limit)
        if limit == 0:
            return
        number, seen = 1, 0
        pool: ThreadPoolExecutor | None = None
        try:
            page = self._page(1)
            while True:
                rows = page["fileContent"]
                # totalLine is this page's row count, not the total; a short page is the last (§8.2).
                last = len(rows) < self.page_size
                if last:
                    self._row_count = (number - 1) * self.page_size + len(rows)
                if limit is not None:
                    rows = rows[: limit - seen]
                seen += len(rows)
                done = last or (limit is not None and seen >= limit)
                if not done:
                    pool = pool or ThreadPoolExecutor(1, thread_name_prefix="linkis-result-page")
                    ahead: Future = pool.submit(self._page, number + 1)
                del page  # only rows are yielded: the page dict must not outlive them
                if rows:
                    yield rows
                if done:
                    return
                page, number = ahead.result(), number + 1
        finally:
            if pool is not None:  # an abandoned or interrupted read does not wait for the fetch
                pool.shutdown(wait=False, cancel_futures=True)

    def prefetch(self) -> None:
        """Read the first page now (what ``kind``, ``columns`` and a display need)."""
        self._page(1)

    # -- metadata ----------------------------------------------------------------------------

    @property
    def kind(self) -> str:
        """``"table"`` or ``"text"``."""
        return "table" if str(self._page(1).get("type")) == RESULT_TABLE else "text"

    @property
    def columns(self) -> list[dict]:
        """Column metadata: ``{columnName, dataType, comment}`` each; empty for text results."""
        metadata = self._page(1).get("metadata")
        return list(metadata) if isinstance(metadata, list) else []  # text results: "NULL" (§8.2)

    @property
    def row_count(self) -> int | None:
        """Total rows, once known (after the last page was read, or a short first page)."""
        if self._row_count is None:
            first = self._page(1)["fileContent"]
            if len(first) < self.page_size:
                self._row_count = len(first)
        return self._row_count

    # -- data --------------------------------------------------------------------------------

    def head_frame(self) -> pd.DataFrame:
        """The first page as a typed DataFrame: enough to display, one request."""
        return self._frame(self._page(1)["fileContent"])

    def frames(self, limit: int | None = None) -> Iterator[pd.DataFrame]:
        """Each page as a typed DataFrame (a text result: one ``line`` column)."""
        for rows in self.pages(limit):
            yield self._frame(rows)

    def _frame(self, rows: Any) -> pd.DataFrame:
        if self.kind == "text":
            import pandas as pd

            lines = rows_array(rows).to_pylist()
            return pd.DataFrame({"line": pd.array([row[0] if row else None for row in lines], dtype="string")})
        return to_frame(self.columns, rows)

    def to_pandas(self, limit: int | None = None) -> pd.DataFrame:
        """All rows (or the first ``limit``) as a typed DataFrame."""
        import pandas as pd

        # Typed page by page, so each page's string cells are freed before the next arrives.
        frames = list(self.frames(limit))
        if not frames:
            return self._frame([])
        return frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True)

    def iter_batches(self) -> Iterator[pa.RecordBatch]:
        """The rows as Arrow record batches, a page at a time, all of one schema: the first
        page's, where a column that page held only NULLs in takes its type from its Linkis type,
        and decimals keep the first page's scale."""
        schema = None
        for frame in self.frames():
            table = arrow_table(frame, self.columns, schema)
            schema = table.schema
            yield from table.to_batches()

    def to_arrow(self) -> pa.Table:
        """All rows as one Arrow table (see :meth:`iter_batches`)."""
        batches = list(self.iter_batches())
        if batches:
            return pa.Table.from_batches(batches)
        return arrow_table(self._frame([]), self.columns, None)

    def to_file(self, path: str | os.PathLike, *, force: bool = False,
                progress: Callable[[int | None, int], None] | None = None) -> Any:
        """Write every row to ``path`` (``.csv``, ``.tsv``, ``.xlsx``, ``.parquet`` or ``.jsonl``),
        streamed, with no row cap: see :mod:`linkis_magic.download`. Returns what was written."""
        from linkis_magic.download import write

        return write([self], path, force=force, progress=progress)

    def __iter__(self) -> Iterator[tuple]:
        """Typed rows as tuples, page by page."""
        for frame in self.frames():
            yield from frame.itertuples(index=False, name=None)

    def text(self) -> str:
        """A text result set's content (or a table's rows, tab-separated)."""
        return "\n".join("\t".join("" if c is None else c for c in row)
                         for rows in self.pages() for row in rows.to_pylist())

    # -- display -----------------------------------------------------------------------------

    def _shape_note(self) -> str:
        count = self.row_count
        rows = f"{count:,} rows" if count is not None else f"more than {self.page_size:,} rows"
        return f"{rows} × {len(self.columns)} columns"

    def __repr__(self) -> str:
        # The file name, not the path: paths are long, machine-specific and say nothing new.
        return f"<ResultSet {self.index}: {self.path.rsplit('/', 1)[-1]}>"

    def _repr_html_(self) -> str:
        if self.kind == "text":  # the first page only, like a table's head
            rows = self._page(1)["fileContent"].to_pylist()
            return f"<pre>{html.escape(chr(10).join(str(row[0]) for row in rows if row))}</pre>"
        table = self.head_frame().head(DISPLAY_ROWS)._repr_html_()
        return f"{table}<p>{html.escape(self._shape_note())}</p>"


def _check_limit(limit: Any) -> None:
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 0):
        raise ValueError(f"limit must be None or a whole number of rows from 0: {limit!r}")


def last_table(results: Sequence[ResultSet], limit: int | None = None) -> pd.DataFrame | None:
    """The last TABLE result set as a DataFrame (what a cell returns), or ``None`` when the job
    returned none."""
    tables = [rs for rs in results if rs.kind == "table"]
    return tables[-1].to_pandas(limit=limit) if tables else None
