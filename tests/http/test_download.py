"""Result sets written to files whole, over HTTP against the embedded gateway: no row cap, types
kept where the format keeps them, nothing half-written (linkis_magic.download)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import openpyxl
import pandas as pd
import pyarrow.parquet as pq
import pytest

from linkis_magic.client import LinkisClient
from linkis_magic.download import write

MILLION_SQL = ("select range as id, 'item-' || range as item, range * 0.25 as price, "
               "case when range % 7 = 0 then null else range end as maybe, "
               "date '2024-01-01' + cast(range % 365 as integer) as day, "
               "cast(range as decimal(12,2)) as amount from range({n})")


@pytest.fixture(scope="module")
def million(local_linkis):
    with LinkisClient(local_linkis.url, user=local_linkis.user, token=local_linkis.token) as client:
        job = client.run(MILLION_SQL.format(n=1_000_000), engine="hive")
        yield job.results[0], job.results[0].to_pandas()


def test_a_million_rows_to_parquet_read_back_equal_with_their_types(million, tmp_path: Path):
    result, frame = million
    written = result.to_file(tmp_path / "out.parquet")
    assert written.rows == 1_000_000 and written.bytes == (tmp_path / "out.parquet").stat().st_size
    back = pq.read_table(tmp_path / "out.parquet")
    assert str(back.schema.field("amount").type) == "decimal128(38, 2)"
    assert str(back.schema.field("day").type) == "timestamp[us]"
    assert back.to_pandas().astype(object).equals(frame.astype(object))


def test_a_million_rows_to_csv_and_tsv_without_the_5000_row_cap(million, tmp_path: Path):
    result, frame = million
    result.to_file(tmp_path / "out.csv")
    back = pd.read_csv(tmp_path / "out.csv", dtype=str, keep_default_na=False)
    assert len(back) == 1_000_000 and back.columns.tolist() == frame.columns.tolist()
    assert back["item"].tolist() == frame["item"].tolist()
    assert back.loc[:2, "maybe"].tolist() == ["", "1", "2"]  # SQL NULL is an empty field
    result.to_file(tmp_path / "out.tsv")
    assert (tmp_path / "out.tsv").read_text().splitlines()[1].split("\t")[:2] == ["0", "item-0"]


def test_jsonl_keeps_nulls_and_iso_dates_one_row_a_line(million, tmp_path: Path):
    result, _ = million
    result.to_file(tmp_path / "out.jsonl")
    first = pd.read_json(io.StringIO((tmp_path / "out.jsonl").open().readline()), lines=True)
    assert first.loc[0, "item"] == "item-0" and pd.isna(first.loc[0, "maybe"])
    with (tmp_path / "out.jsonl").open() as lines:  # 40 pages, and not one blank line between them
        assert [json.loads(line)["id"] for line in lines] == list(range(1_000_000))


def test_a_text_result_reads_as_lines_everywhere(client: LinkisClient):
    result = client.run("echo hello; echo world", engine="shell").results[0]
    assert result.kind == "text"
    assert result.to_pandas()["line"].tolist()[:2] == result.head_frame()["line"].tolist()[:2] == ["hello", "world"]
    assert list(result)[:2] == [("hello",), ("world",)]


def test_a_hundred_thousand_rows_to_xlsx_typed(client: LinkisClient, tmp_path: Path):
    job = client.run(MILLION_SQL.format(n=100_000), engine="hive")
    job.results[0].to_file(tmp_path / "out.xlsx")
    sheet = openpyxl.load_workbook(tmp_path / "out.xlsx", read_only=True)["result"]
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) == 1 + 100_000
    assert rows[0] == ("id", "item", "price", "maybe", "day", "amount")
    assert rows[2][:4] == (1, "item-1", 0.25, 1) and rows[1][3] == ""  # numbers typed; NULL empty


def test_every_result_set_of_a_job_as_xlsx_sheets_and_a_text_result(client: LinkisClient, tmp_path: Path):
    job = client.run("select 1 as a; select 'x' as b, 2 as c", engine="hive")
    write(job.results, tmp_path / "both.xlsx")
    book = openpyxl.load_workbook(tmp_path / "both.xlsx")
    assert book.sheetnames == ["resultset0", "resultset1"]
    assert [list(r) for r in book["resultset1"].iter_rows(values_only=True)] == [["b", "c"], ["x", 2]]
    text = client.run("echo first; echo second", engine="shell")
    text.results[0].to_file(tmp_path / "text.csv")
    assert (tmp_path / "text.csv").read_text().split() == ["first", "second"]
    text.results[0].to_file(tmp_path / "text.parquet")
    lines = pq.read_table(tmp_path / "text.parquet").column("line").to_pylist()
    assert lines == text.results[0].text().split("\n") and lines[:2] == ["first", "second"]


def test_a_refused_download_leaves_nothing_behind(client: LinkisClient, tmp_path: Path):
    job = client.run("select 1 as a", engine="hive")
    result = job.results[0]
    result.path = result.path.replace("_0.dolphin", "_9.dolphin")  # a file the gateway does not have
    with pytest.raises(Exception, match="refused the download"):
        result.to_file(tmp_path / "gone.csv")
    assert list(tmp_path.iterdir()) == []


def test_an_existing_file_is_kept_without_force(million, tmp_path: Path):
    result, _ = million
    target = tmp_path / "keep.parquet"
    target.write_text("mine")
    with pytest.raises(FileExistsError, match="exists; use --force"):
        result.to_file(target)
    assert target.read_text() == "mine"
