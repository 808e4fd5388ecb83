"""A pandas DataFrame to a Hive table through Linkis: the rows go to the user's workspace as a
parquet file (``/filesystem/upload``, the HDFS root from ``getUserRootPath``, docs/protocol.md
§15.3), then one Hive job creates the table (``STORED AS PARQUET``) and loads the file
(``LOAD DATA INPATH``), which moves it into the table.

Column types follow pandas: integers ``bigint``, floats ``double``, booleans ``boolean``,
datetimes ``timestamp``, dates ``date``, text ``string``; other values (decimals, mixed
objects) are written as their text in a ``string`` column. Missing values are NULL. Datetimes
with a time zone are refused (Hive's ``timestamp`` has none): convert them first. Appending
needs the table's columns, names and types, in the frame's order.
"""

from __future__ import annotations

import contextlib
import re
import tempfile
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from linkis_magic.catalog import split_name
from linkis_magic.errors import LinkisError, LinkisRequestError

if TYPE_CHECKING:
    import pandas as pd

    from linkis_magic.client import LinkisClient
    from linkis_magic.job import Job

MODES = ("create", "overwrite", "append")
_COLUMN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def hive_types(frame: pd.DataFrame) -> dict[str, str]:
    """Each column's Hive type (see the module text)."""
    import pandas as pd

    types = {}
    for name, column in frame.items():
        dtype = column.dtype
        if pd.api.types.is_bool_dtype(dtype):
            types[name] = "boolean"
        elif pd.api.types.is_integer_dtype(dtype):
            types[name] = "bigint"
        elif pd.api.types.is_float_dtype(dtype):
            types[name] = "double"
        elif pd.api.types.is_datetime64_any_dtype(dtype):
            types[name] = "timestamp"
        elif pd.api.types.infer_dtype(column, skipna=True) == "date":
            types[name] = "date"
        else:
            types[name] = "string"
    return types


def _parquet_ready(frame: pd.DataFrame, types: dict[str, str]) -> Any:
    """The frame as an Arrow table whose column types match ``types``."""
    import pyarrow as pa

    arrays, fields = [], []
    for name, column in frame.items():
        try:
            array = _column_array(column, types[name])
        except (pa.ArrowException, OverflowError) as error:  # uint64 past int64, nanoseconds, ...
            raise ValueError(f"column {name!r} does not fit Hive's {types[name]}: {error}") from None
        arrays.append(array)
        fields.append(pa.field(str(name), array.type))
    return pa.Table.from_arrays(arrays, schema=pa.schema(fields))


def _column_array(column: pd.Series, kind: str) -> Any:
    import pyarrow as pa

    if kind == "string":
        return pa.array([None if _missing(v) else str(v) for v in column.tolist()], type=pa.string())
    if kind == "timestamp":
        return pa.array(column, type=pa.timestamp("us"))
    if kind == "date":
        return pa.array([None if _missing(v) else v for v in column.tolist()], type=pa.date32())
    return pa.array(column, from_pandas=True, type={"bigint": pa.int64(), "double": pa.float64(),
                                                    "boolean": pa.bool_()}[kind])


def _missing(value: Any) -> bool:
    import pandas as pd

    return value is None or (not isinstance(value, (list, dict)) and bool(pd.isna(value)))


def check(frame: Any, table: str, mode: str) -> tuple[str, str]:
    """What can be refused before anything is sent: not a DataFrame, a bad table or column name,
    an unknown mode. Returns ``(database, table)``."""
    import pandas as pd

    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"only a pandas DataFrame can be uploaded, not a {type(frame).__name__}")
    if not isinstance(table, str):
        raise TypeError(f"the table name must be a str, not {type(table).__name__}")
    if frame.columns.empty:
        raise ValueError("the DataFrame has no columns: a Hive table needs at least one")
    zoned = [f"{column!r} ({column_dtype.tz})" for column, column_dtype in frame.dtypes.items()
             if getattr(column_dtype, "tz", None) is not None]
    if zoned:
        raise ValueError(f"datetimes with a time zone cannot go to Hive's timestamp, which has none: "
                         f"{', '.join(zoned)}; convert them first, e.g. "
                         f"frame[c].dt.tz_convert('UTC').dt.tz_localize(None)")
    if mode not in MODES:
        raise ValueError(f"unknown mode {mode!r}: use one of {', '.join(MODES)}")
    database, name = split_name(table)
    bad = [str(column) for column in frame.columns if not _COLUMN.match(str(column))]
    if bad:
        raise ValueError(f"column names must be letters, digits and _ for Hive: {', '.join(map(repr, bad))}")
    if len(set(map(str.lower, map(str, frame.columns)))) != len(frame.columns):
        raise ValueError("column names must differ other than in case (Hive ignores case)")
    return database, name


def upload_frame(client: LinkisClient, frame: pd.DataFrame, table: str, *, mode: str = "create",
                 partition: dict[str, str] | None = None, creator: str | None = None,
                 progress: Callable[[str], None] | None = None) -> Job:
    """Make ``table`` (``db.t`` or ``t`` in ``default``) hold ``frame``'s rows; returns the Hive job.

    ``mode``: ``create`` (the table must not exist), ``overwrite`` (replace the table, or with
    ``partition`` that partition's rows) or ``append`` (add rows to a table with the same columns;
    made if missing). ``partition`` (``{"dt": "2024-05-01"}``) loads the rows into one partition of
    a table partitioned by those keys (``string`` columns, after the frame's). ``progress`` is
    told each step as it starts.
    """
    say = progress or (lambda step: None)
    database, name = check(frame, table, mode)
    partition = dict(partition or {})
    bad = [str(key) for key in partition if not isinstance(key, str) or not _COLUMN.match(key)
           or key.lower() in map(str.lower, map(str, frame.columns))]
    if bad:
        raise ValueError(f"partition keys must be names that are not columns of the DataFrame: {', '.join(bad)}")
    unset = [key for key, value in partition.items() if _missing(value)]
    if unset:
        raise ValueError(f"partition {', '.join(unset)} has no value (None or NaN): give each key a value")
    types = hive_types(frame)
    rows = _parquet_ready(frame, types)  # what does not fit is refused before anything is sent
    existing = client.columns(database, name)
    if existing and mode == "create":
        raise ValueError(f"{database}.{name} exists: use mode overwrite or append")
    if existing and mode == "append":
        theirs = [(c["columnName"].lower(), c.get("columnType", "").lower()) for c in existing
                  if c["columnName"].lower() not in {key.lower() for key in partition}]
        ours = [(str(column).lower(), kind) for column, kind in types.items()]
        if theirs != ours:
            raise ValueError(f"{database}.{name} has columns ({', '.join(' '.join(c) for c in theirs)}), the "
                             f"DataFrame ({', '.join(' '.join(c) for c in ours)}): append needs the same columns, "
                             "of the same types, in the same order")
    import pyarrow.parquet as pq

    file_name = f"linkis_magic_upload_{uuid.uuid4().hex}.parquet"
    with tempfile.TemporaryFile() as handle:
        say(f"writing {len(frame):,} rows as parquet")
        pq.write_table(rows, handle)
        size = handle.tell()
        handle.seek(0)
        root = _workspace(client)
        say(f"uploading {size / 2**20:,.1f} MiB to {root}")
        client.upload(root, file_name, handle)
    target = f"`{database}`.`{name}`"
    columns = ", ".join(f"`{column}` {kind}" for column, kind in types.items())
    partitioned = f" PARTITIONED BY ({', '.join(f'`{key}` string' for key in partition)})" if partition else ""
    into = f" PARTITION ({', '.join(f'`{key}`={_quote(value)}' for key, value in partition.items())})" \
        if partition else ""
    statements = [f"DROP TABLE IF EXISTS {target}"] if mode == "overwrite" and not partition else []
    overwrite = "OVERWRITE " if partition and mode == "overwrite" else ""
    statements += [f"CREATE TABLE IF NOT EXISTS {target} ({columns}){partitioned} STORED AS PARQUET",
                   f"LOAD DATA INPATH '{root.rstrip('/')}/{file_name}' {overwrite}INTO TABLE {target}{into}"]
    options = {"creator": creator} if creator else {}
    say(f"loading into {database}.{name} (a Hive job)")
    try:
        return client.run(";\n".join(statements), engine="hive", **options)
    except BaseException:
        # LOAD DATA moves the file into the table; a job that failed or was stopped before it did
        # leaves it in the workspace, where nothing else would remove it.
        with contextlib.suppress(LinkisError):
            client.delete_path(f"{root.rstrip('/')}/{file_name}")
        raise


def _quote(value: Any) -> str:
    """A Hive string literal."""
    return "'" + str(value).replace("\\", "\\\\").replace("'", "\\'") + "'"


def _workspace(client: LinkisClient) -> str:
    """Where Hive can read the file: the HDFS workspace, or the local one without HDFS."""
    try:
        return client.user_root("hdfs")
    except LinkisRequestError:
        return client.user_root("file")
