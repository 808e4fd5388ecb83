"""Result sets to files, whole and streamed: no row cap, no re-run, memory that does not grow with
the rows.

- ``.csv``, ``.tsv`` and ``.xlsx`` are the gateway's own export (``/filesystem/resultsetToExcel``,
  and ``resultsetsToExcel`` for every result set of a job, a sheet each; docs/protocol.md §8.3),
  asked for with a ``limit`` above any result so Linkis's 5,000-row cap does not apply, SQL NULL
  as an empty cell, and typed cells in xlsx (``autoFormat``);
- ``.parquet`` and ``.jsonl`` are written here from the typed pages (``ResultSet.pages``) with
  Arrow, a page at a time, so column types are kept.

A file is written under a temporary name beside the target and renamed when complete: a failure
or an interrupt leaves nothing half-written.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from linkis_magic.results import ResultSet

#: The ``limit`` that lifts the gateway's download cap: the largest Java ``Integer``.
ALL_ROWS = 2**31 - 1
SEPARATORS = {".csv": ",", ".tsv": "\t"}
FORMATS = (".csv", ".tsv", ".xlsx", ".parquet", ".jsonl")

Progress = Callable[[int | None, int], None]  # (rows written so far or None, bytes so far)


@dataclass(frozen=True)
class Written:
    """What a download wrote."""

    path: Path
    rows: int | None  # None for the gateway's own formats, which do not say
    bytes: int

    def __str__(self) -> str:
        rows = "" if self.rows is None else f"{self.rows:,} rows, "
        return f"wrote {self.path} ({rows}{self.bytes:,} bytes)"


def check_target(path: str | os.PathLike, *, force: bool = False, several: bool = False) -> Path:
    """The target as a ``Path``, or a one-line error: an unknown extension, a file already there
    (without ``force``), a directory that is missing or not writable, several result sets to a
    format that holds one."""
    target = Path(path).expanduser()
    suffix = target.suffix.lower()
    if suffix not in FORMATS:
        raise ValueError(f"cannot write {target.name!r}: the extension must be one of {', '.join(FORMATS)}")
    if several and suffix != ".xlsx":
        raise ValueError(f"several result sets go to .xlsx only (a sheet each), not {suffix}: pick one")
    if target.is_dir():
        raise IsADirectoryError(f"{target} is a directory; give a file name")
    if target.exists() and not force:
        raise FileExistsError(f"{target} exists; use --force (force=True) to replace it")
    folder = target.parent
    if not folder.is_dir():
        raise FileNotFoundError(f"cannot write {target}: no directory {folder}")
    if not os.access(folder, os.W_OK):
        raise PermissionError(f"cannot write {target}: the directory {folder} is not writable")
    return target


def write(result_sets: Sequence[ResultSet], path: str | os.PathLike, *, force: bool = False,
          progress: Progress | None = None) -> Written:
    """Write one result set (or, to ``.xlsx``, several: a sheet each) to ``path``."""
    if not result_sets:
        raise ValueError("the job has no result set to write")
    target = check_target(path, force=force, several=len(result_sets) > 1)
    suffix = target.suffix.lower()
    partial = target.with_name(f".{target.name}.{uuid.uuid4().hex[:8]}.partial")
    try:
        with partial.open("wb") as handle:
            if suffix in (".parquet", ".jsonl"):
                rows = _write_pages(result_sets[0], handle, suffix, progress)
            else:
                _copy(_gateway_export(result_sets, target, suffix), handle, progress)
                rows = None
        size = partial.stat().st_size
        os.replace(partial, target)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return Written(target, rows, size)


def _gateway_export(result_sets: Sequence[ResultSet], target: Path, suffix: str) -> Iterator[bytes]:
    first = result_sets[0]
    params: dict[str, Any] = {"nullValue": "BLANK", "limit": ALL_ROWS, "outputFileName": target.stem,
                              "charset": "utf-8"}
    if len(result_sets) > 1:
        directory = first.path.rsplit("/", 1)[0]
        return first.client.download("resultsetsToExcel", {**params, "path": directory, "autoFormat": "true"})
    if suffix == ".xlsx":
        params.update(outputFileType="xlsx", autoFormat="true", sheetName="result")
    else:
        params.update(outputFileType="csv", csvSeparator=SEPARATORS[suffix])
    return first.client.download("resultsetToExcel", {**params, "path": first.path})


def _copy(chunks: Iterator[bytes], handle: Any, progress: Progress | None) -> None:
    written = 0
    for chunk in chunks:
        handle.write(chunk)
        written += len(chunk)
        if progress:
            progress(None, written)


def _write_pages(result: ResultSet, handle: Any, suffix: str, progress: Progress | None) -> int:
    """Typed pages to parquet or JSON lines; returns the rows written."""
    import pyarrow.parquet as pq

    rows = 0
    if suffix == ".jsonl":
        for frame in result.frames():
            text = frame.to_json(orient="records", lines=True, date_format="iso", default_handler=str)
            if text:  # one line a row; whether pandas ends the last one with a newline varies
                handle.write(text.rstrip("\n").encode() + b"\n")
            rows += len(frame)
            if progress:
                progress(rows, handle.tell())
        return rows
    writer: pq.ParquetWriter | None = None
    try:
        for batch in result.iter_batches():
            if writer is None:
                writer = pq.ParquetWriter(handle, batch.schema)
            writer.write_batch(batch)
            rows += batch.num_rows
            if progress:
                progress(rows, handle.tell())
        if writer is None:  # no rows: still a file with the columns
            writer = pq.ParquetWriter(handle, result.to_arrow().schema)
    finally:
        if writer is not None:
            writer.close()
    return rows
