"""``/datasource/*`` (the Hive metastore, §15.1) served from each user's own SQL catalog, in
Linkis's shapes, over raw HTTP."""

from __future__ import annotations

import uuid

import pytest

from tests.local.gateway_api import Api


@pytest.fixture(scope="module")
def catalog(local_linkis) -> dict:
    """A database of bob's with a table and a view (bob: so no other test's tables show)."""
    api = Api(local_linkis, "bob")
    database = f"meta_{uuid.uuid4().hex[:6]}"
    _, task = api.run(f"create database {database}; "
                      f"create table {database}.orders (order_id int, item string, amount decimal(10,2)); "
                      f"create view {database}.big_orders as select * from {database}.orders where amount > 10")
    assert task["status"] == "Succeed", task["errDesc"]
    return {"api": api, "database": database}


def test_databases(catalog):
    answer = catalog["api"].get("/datasource/dbs").json()
    assert (answer["method"], answer["status"], answer["message"]) == ("/api/datasource/dbs", 0, "OK")
    names = [db["dbName"] for db in answer["data"]["dbs"]]
    assert names == sorted(names) and {"default", catalog["database"]} <= set(names)


def test_tables_and_views(catalog):
    answer = catalog["api"].get("/datasource/tables", database=catalog["database"]).json()
    assert answer["method"] == "/api/datasource/tables"
    assert answer["data"]["tables"] == [
        {"tableName": "big_orders", "isView": True, "databaseName": catalog["database"], "createdBy": "bob",
         "createdAt": 0, "lastAccessAt": 0},
        {"tableName": "orders", "isView": False, "databaseName": catalog["database"], "createdBy": "bob",
         "createdAt": 0, "lastAccessAt": 0}]


def test_columns_in_order_with_hive_types(catalog):
    answer = catalog["api"].get("/datasource/columns", database=catalog["database"], table="orders").json()
    assert answer["method"] == "/api/datasource/columns"
    assert answer["data"]["columns"] == [
        {"columnName": "order_id", "columnType": "int", "columnComment": None, "partitioned": False},
        {"columnName": "item", "columnType": "string", "columnComment": None, "partitioned": False},
        {"columnName": "amount", "columnType": "decimal(10,2)", "columnComment": None, "partitioned": False}]


def test_an_unknown_table_has_no_columns_and_no_partitions(catalog):
    api, database = catalog["api"], catalog["database"]
    assert api.get("/datasource/columns", database=database, table="nope").json()["data"] == {"columns": []}
    partitions = api.get("/datasource/partitions", database=database, table="orders").json()["data"]
    assert partitions == {"partitionInfo": {"tableName": f"{database}.orders", "isPartition": False}}


def test_each_user_sees_only_their_own_catalog(catalog, local_linkis):
    mine = [db["dbName"] for db in Api(local_linkis).get("/datasource/dbs").json()["data"]["dbs"]]
    assert catalog["database"] not in mine


def test_a_gateway_whose_engines_keep_no_catalog_answers_as_linkis_without_a_metastore(api):
    refused = api.get("/datasource/dbs")  # the scripted engine pool has no SQL catalog
    assert refused.status_code == 400
    assert refused.json()["status"] == 1 and refused.json()["message"] == "Failed to get database(获取数据库失败)"
