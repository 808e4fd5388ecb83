"""A DataFrame uploaded to a Hive table over HTTP against the embedded gateway
(``/filesystem/getUserRootPath``, ``/filesystem/upload``, ``LOAD DATA``), queried back equal."""

from __future__ import annotations

import datetime
import uuid
from pathlib import Path

import pandas as pd
import pytest

from linkis_magic.client import LinkisClient
from linkis_magic.errors import JobFailed, LinkisRequestError
from linkis_magic.upload import upload_frame


def sample() -> pd.DataFrame:
    return pd.DataFrame({
        "id": pd.array([1, 2, None], dtype="Int64"),
        "price": [1.5, None, 3.25],
        "name": pd.array(["tea", None, "cake"], dtype="string"),
        "day": [datetime.date(2024, 5, 1), None, datetime.date(2024, 5, 3)],
        "at": pd.to_datetime(["2024-05-01 12:00:00", None, "2024-05-03 08:30:15"]),
        "ok": pd.array([True, False, None], dtype="boolean"),
    })


@pytest.fixture
def table() -> str:
    return f"up_{uuid.uuid4().hex[:8]}"


def plain(column: pd.Series) -> list:
    """Values with every kind of missing (NA, NaN, NaT) as None."""
    return [None if pd.isna(value) else value for value in column.tolist()]


def query(client: LinkisClient, sql: str) -> pd.DataFrame:
    return client.run(sql, engine="hive").results[0].to_pandas()


def test_a_frame_comes_back_equal_with_ints_floats_strings_dates_and_nulls(client: LinkisClient, table: str):
    frame = sample()
    job = upload_frame(client, frame, table)
    assert job.status.value == "Succeed"
    back = query(client, f"select * from {table} order by price nulls last")
    assert plain(back["id"]) == [1, None, 2]
    assert plain(back["price"]) == [1.5, 3.25, None]
    assert plain(back["name"]) == ["tea", "cake", None]
    assert plain(back["day"].dt.date) == [datetime.date(2024, 5, 1), datetime.date(2024, 5, 3), None]
    assert plain(back["at"]) == [pd.Timestamp("2024-05-01 12:00:00"), pd.Timestamp("2024-05-03 08:30:15"), None]
    assert plain(back["ok"]) == [True, None, False]
    types = {c["columnName"]: c["columnType"] for c in client.columns("default", table)}
    assert types == {"id": "bigint", "price": "double", "name": "string", "day": "date", "at": "timestamp",
                     "ok": "boolean"}


def test_the_file_goes_to_the_workspace_the_gateway_names(client: LinkisClient, local_linkis, table: str):
    since = local_linkis.mark()
    upload_frame(client, sample(), table)
    paths = [r.path.rsplit("/", 2)[-2:] for r in local_linkis.requests_since(since)]
    assert ["filesystem", "getUserRootPath"] in paths and ["filesystem", "upload"] in paths
    assert client.user_root("hdfs").startswith("file://")  # no HDFS here: the local workspace
    assert uploads_left(client) == []  # LOAD DATA moved it into the table, as Hive does


def uploads_left(client: LinkisClient) -> list[str]:
    workspace = Path(client.user_root("file").removeprefix("file://"))
    return sorted(path.name for path in workspace.glob("linkis_magic_upload_*.parquet"))


def test_a_load_that_fails_takes_its_file_away(client: LinkisClient, local_linkis, table: str):
    upload_frame(client, pd.DataFrame({"item": ["tea"]}), table)
    since = local_linkis.mark()
    # Not partitioned: the LOAD DATA ... PARTITION of this job fails on the gateway.
    with pytest.raises(JobFailed, match="ended Failed"):
        upload_frame(client, pd.DataFrame({"item": ["cake"]}), table, mode="append", partition={"dt": "x"})
    assert ["filesystem", "deleteDirOrFile"] in [r.path.rsplit("/", 2)[-2:] for r in local_linkis.requests_since(since)]
    assert uploads_left(client) == []


def test_delete_path_removes_a_file_or_a_folder_and_refuses_what_linkis_refuses(client: LinkisClient):
    workspace = Path(client.user_root("file").removeprefix("file://"))
    folder = workspace / f"scratch_{uuid.uuid4().hex[:8]}"
    (folder / "inner").mkdir(parents=True)
    (folder / "inner" / "a.txt").write_text("a")
    (workspace / "b.txt").write_text("b")
    client.delete_path(f"file://{workspace}/b.txt")
    client.delete_path(f"file://{folder}")
    assert not folder.exists() and not (workspace / "b.txt").exists()
    with pytest.raises(LinkisRequestError, match="does not exist") as missing:
        client.delete_path(f"file://{folder}")
    assert missing.value.err_code == 80008
    with pytest.raises(LinkisRequestError, match="is empty"):
        client.delete_path("")


def test_overwrite_and_append(client: LinkisClient, table: str):
    upload_frame(client, sample(), table)
    upload_frame(client, sample().head(1), table, mode="append")
    assert query(client, f"select count(*) as n from {table}")["n"].tolist() == [4]
    upload_frame(client, pd.DataFrame({"only": [7]}), table, mode="overwrite")
    assert query(client, f"select * from {table}").to_dict("list") == {"only": [7]}


@pytest.mark.parametrize("frame, target, mode, error, message", [
    ([1, 2], "t", "create", TypeError, "only a pandas DataFrame can be uploaded, not a list"),
    (pd.DataFrame({"a": [1]}), "not a name", "create", ValueError, "not a table name"),
    (pd.DataFrame({"a b": [1]}), "t", "create", ValueError, "column names must be letters"),
    (pd.DataFrame({"a": [1]}), "t", "merge", ValueError, "unknown mode 'merge'"),
    (pd.DataFrame(), "t", "create", ValueError, "the DataFrame has no columns"),
    (pd.DataFrame({"a": [1]}), 7, "create", TypeError, "the table name must be a str, not int"),
    (pd.DataFrame({"at": pd.to_datetime(["2024-01-01 12:00"]).tz_localize("Asia/Shanghai")}), "t", "create",
     ValueError, r"datetimes with a time zone cannot go to Hive's timestamp, which has none: 'at' \(Asia/Shanghai\)"),
    (pd.DataFrame({"u": pd.array([2**64 - 1], dtype="UInt64")}), "t", "create", ValueError,
     "column 'u' does not fit Hive's bigint"),
    (pd.DataFrame({"at": pd.to_datetime(["2024-01-01 00:00:00.000000001"])}), "t", "create", ValueError,
     "column 'at' does not fit Hive's timestamp: .*would lose data"),
])
def test_what_cannot_be_uploaded_is_refused_before_sending(client: LinkisClient, local_linkis, frame, target, mode,
                                                           error, message):
    since = local_linkis.mark()
    with pytest.raises(error, match=message):
        upload_frame(client, frame, target, mode=mode)
    assert local_linkis.requests_since(since) == []


def test_append_to_a_table_with_other_columns_is_refused(client: LinkisClient, local_linkis, table: str):
    upload_frame(client, sample(), table)
    since = local_linkis.mark()
    with pytest.raises(ValueError, match="append needs the same columns, of the same types, in the same order"):
        upload_frame(client, pd.DataFrame({"other": [1]}), table, mode="append")
    text_ids = sample().astype({"id": "string"})  # the same names, but text where the table has bigint
    with pytest.raises(ValueError, match=r"has columns \(id bigint, .*the DataFrame \(id string, "):
        upload_frame(client, text_ids, table, mode="append")
    assert not [r for r in local_linkis.requests_since(since) if r.path.endswith(("/upload", "/submit"))]


def test_create_of_a_table_that_exists_is_refused(client: LinkisClient, table: str):
    upload_frame(client, sample(), table)
    with pytest.raises(ValueError, match="exists: use mode overwrite or append"):
        upload_frame(client, sample(), table)


def test_rows_into_partitions_of_a_partitioned_table(client: LinkisClient, table: str):
    upload_frame(client, pd.DataFrame({"item": ["tea", "cake"]}), table, partition={"dt": "2024-05-01"})
    upload_frame(client, pd.DataFrame({"item": ["pie"]}), table, mode="append", partition={"dt": "2024-05-02"})
    upload_frame(client, pd.DataFrame({"item": ["scone"]}), table, mode="overwrite", partition={"dt": "2024-05-01"})
    rows = query(client, f"select item, dt from {table} order by dt, item")
    assert rows.values.tolist() == [["scone", "2024-05-01"], ["pie", "2024-05-02"]]
    with pytest.raises(ValueError, match="partition keys must be names that are not columns"):
        upload_frame(client, pd.DataFrame({"dt": ["x"]}), table, mode="append", partition={"dt": "y"})
    with pytest.raises(ValueError, match="partition dt has no value"):
        upload_frame(client, pd.DataFrame({"item": ["tart"]}), table, mode="append", partition={"dt": None})
