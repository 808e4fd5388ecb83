"""%linkis databases / tables / describe / preview against a real gateway: from the metadata
service, and from SHOW / DESCRIBE jobs when the metadata service shows nothing."""

from __future__ import annotations

import uuid

import pytest
from IPython.utils.capture import capture_output

from tests.support import count


@pytest.fixture
def shop(connect, faulty_linkis) -> tuple[object, str]:
    """A shell on the gateway and a fresh database with two tables and a view."""
    ip = connect(faulty_linkis, secret="token")
    database = f"shop_{uuid.uuid4().hex[:6]}"
    with capture_output():
        ip.run_cell_magic("linkis", "hive --quiet", f"""create database {database};
            create table {database}.orders (order_id int, item string, amount decimal(10,2));
            create table {database}.order_returns (order_id int, reason string);
            create view {database}.big_orders as select * from {database}.orders where amount > 10;
            insert into {database}.orders values (1, 'tea', 4.5), (2, 'cake', 12)""")
    return ip, database


def line(ip, text: str):
    with capture_output():
        return ip.run_line_magic("linkis", text)


def test_from_the_metadata_service(shop, faulty_linkis):
    ip, database = shop
    since = faulty_linkis.mark()
    assert database in set(line(ip, "databases")["database"])
    tables = line(ip, f"tables {database}")
    assert tables.to_dict("list") == {"database": [database] * 3, "table": ["big_orders", "order_returns", "orders"],
                                      "is_view": [True, False, False]}
    assert line(ip, f"tables {database} --like ord%")["table"].tolist() == ["order_returns", "orders"]
    assert line(ip, f"tables {database} --like *return*")["table"].tolist() == ["order_returns"]
    described = line(ip, f"describe {database}.orders")
    assert described[["column", "type"]].values.tolist() == [["order_id", "int"], ["item", "string"],
                                                              ["amount", "decimal(10,2)"]]
    assert count(faulty_linkis, "/entrance/submit", since) == 0  # no job: the metastore answered


def test_preview_runs_a_query_of_the_first_rows(shop):
    ip, database = shop
    frame = line(ip, f"preview {database}.orders 1")
    assert frame.columns.tolist() == ["order_id", "item", "amount"] and len(frame) == 1


def test_a_metastore_that_shows_nothing_is_asked_through_the_engine(shop, faulty_linkis, faults):
    ip, database = shop
    faults.hide_metastore()
    ip.magics_manager.registry["LinkisMagics"].catalog().forget()
    since = faulty_linkis.mark()
    assert database in set(line(ip, "databases")["database"])
    assert line(ip, f"tables {database}")["table"].tolist() == ["big_orders", "order_returns", "orders"]
    described = line(ip, f"describe {database}.orders")
    assert described["column"].tolist() == ["order_id", "item", "amount"]
    assert count(faulty_linkis, "/entrance/submit", since) == 3  # SHOW DATABASES, SHOW TABLES IN, DESCRIBE


def test_a_ddl_cell_makes_the_catalog_ask_again(shop):
    ip, database = shop
    assert "later" not in set(line(ip, f"tables {database}")["table"])
    with capture_output():
        ip.run_cell_magic("linkis", "hive --quiet", f"create table {database}.later (a int)")
    assert "later" in set(line(ip, f"tables {database}")["table"])
