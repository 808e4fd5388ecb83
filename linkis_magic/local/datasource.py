"""``/datasource/*``: the Hive metastore as Linkis's publicservice serves it (§15.1), read from the
user's own SQL catalog (the DuckDB database their SQL engines share).

Linkis reads the metastore's database over JDBC and shows a user only what is granted to them;
here every user sees their own catalog, all of it. Table times are metastore ints (epoch
seconds); DuckDB keeps none, so they are 0. Partition keys are not kept either: every column is
``partitioned: false``.
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from linkis_magic.local.entrance import Entrance
from linkis_magic.local.gateway import GatewayError, api_method, envelope

DBS_FAILED = "Failed to get database(获取数据库失败)"
TABLES_FAILED = "Failed to queryTables"
COLUMNS_FAILED = "Failed to get data table structure(获取数据表结构失败)"
PARTITIONS_FAILED = "Failed to get table partition(获取表分区失败)"


class DatasourceRoutes:
    """Databases, tables, columns and partitions of the caller's catalog."""

    def __init__(self, entrance: Entrance) -> None:
        self.entrance = entrance

    async def _read(self, failure: str, user: str, database: str | None = None,
                    table: str | None = None) -> list[tuple]:
        try:
            rows = await run_in_threadpool(self.entrance.metastore, user, database, table)
        except Exception as error:  # noqa: BLE001 - Linkis answers any metastore failure with its fixed text
            raise GatewayError(f"{failure}: {error}") from None
        if rows is None:  # a publicservice without hive.meta.url
            raise GatewayError(failure)
        return rows

    async def dbs(self, request: Request, user: str) -> Response:
        rows = await self._read(DBS_FAILED, user)
        return envelope(api_method(request), {"dbs": [{"dbName": name} for (name,) in sorted(rows)]})

    async def tables(self, request: Request, user: str) -> Response:
        database = request.query_params.get("database", "")
        rows = await self._read(TABLES_FAILED, user, database.lower())
        tables = [{"tableName": name, "isView": bool(is_view), "databaseName": database, "createdBy": user,
                   "createdAt": 0, "lastAccessAt": 0} for name, is_view in rows]
        return envelope(api_method(request), {"tables": tables})

    async def columns(self, request: Request, user: str) -> Response:
        database, table = request.query_params.get("database", ""), request.query_params.get("table", "")
        rows = await self._read(COLUMNS_FAILED, user, database.lower(), table.lower())
        columns = [{"columnName": name, "columnType": column_type, "columnComment": comment, "partitioned": False}
                   for name, column_type, comment in rows]
        return envelope(api_method(request), {"columns": columns})

    async def partitions(self, request: Request, user: str) -> Response:
        database, table = request.query_params.get("database", ""), request.query_params.get("table", "")
        await self._read(PARTITIONS_FAILED, user, database.lower(), table.lower())
        return envelope(api_method(request), {"partitionInfo": {"tableName": f"{database}.{table}",
                                                                "isPartition": False}})
