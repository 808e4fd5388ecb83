"""Completion inside ``%%linkis`` cells through a real kernel's ``complete_request``, as
JupyterLab's Tab sends it, against the embedded gateway (its ``/datasource`` metadata)."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator

import pytest
from jupyter_client.manager import start_new_kernel

TIMEOUT = 60


@pytest.fixture(scope="module")
def kc(faulty_linkis, tmp_path_factory) -> Iterator[object]:
    """One kernel whose magics talk to the gateway; a cell made the connection and two tables."""
    home = tmp_path_factory.mktemp("completion-home")
    (home / "config.toml").touch()
    env = {**os.environ, "LINKIS_URL": faulty_linkis.url, "LINKIS_USER": faulty_linkis.user,
           "LINKIS_TOKEN": faulty_linkis.token, "LINKIS_CONFIG": str(home / "config.toml"),
           "LINKIS_PROGRESS": "none", "IPYTHONDIR": str(home / "ipython")}
    env.pop("LINKIS_PASSWORD", None)
    km, client = start_new_kernel(kernel_name="python3", env=env)
    try:
        execute(client, "%load_ext linkis_magic")
        execute(client, "%%linkis hive --quiet\ncreate database shop; "
                        "create table shop.orders (order_id int, item string, amount double); "
                        "create table customers (customer_id int, name string)")
        yield client
    finally:
        client.stop_channels()
        km.shutdown_kernel(now=True)


def execute(kc, code: str) -> None:
    reply = kc.execute_interactive(code, timeout=TIMEOUT)
    assert reply["content"]["status"] == "ok", reply["content"]


def complete(kc, code: str, cursor: str | None = None) -> tuple[list[str], str]:
    """The matches for Tab at ``cursor`` (the text before the cursor; default: the end), and
    the text they replace."""
    position = len(code) if cursor is None else code.index(cursor) + len(cursor)
    msg_id = kc.complete(code, position)
    while True:
        reply = kc.get_shell_msg(timeout=TIMEOUT)
        if reply["parent_header"].get("msg_id") == msg_id:
            content = reply["content"]
            assert content["status"] == "ok"
            return content["matches"], code[content["cursor_start"]:content["cursor_end"]]


def test_tables_and_databases_after_from(kc):
    matches, replaced = complete(kc, "%%linkis hive\nselect * from cu")
    assert "customers" in matches and replaced == "cu"
    matches, _ = complete(kc, "%%linkis hive\nselect * from ")
    assert {"customers", "shop."} <= set(matches)


def test_the_tables_of_a_database(kc):
    matches, replaced = complete(kc, "%%linkis hive\nselect * from shop.or")
    assert matches == ["shop.orders"] and replaced == "shop.or"


def test_columns_after_an_alias(kc):
    code = "%%linkis hive\nselect o.it, o.amount from shop.orders o where o.amount > 1"
    matches, replaced = complete(kc, code, cursor="select o.it")
    assert matches == ["o.item"] and replaced == "o.it"
    matches, _ = complete(kc, code, cursor="where o.")
    assert set(matches) == {"o.order_id", "o.item", "o.amount"}


def test_columns_of_the_statements_tables_and_keywords(kc):
    matches, _ = complete(kc, "%%linkis hive\nselect na from customers", cursor="select na")
    assert "name" in matches
    matches, _ = complete(kc, "%%linkis hive\nSEL")
    assert matches == ["SELECT"]


def test_a_table_created_by_the_previous_cell(kc):
    assert "shop.returns" not in complete(kc, "%%linkis hive\nselect * from shop.")[0]
    execute(kc, "%%linkis hive --quiet\ncreate table shop.returns (order_id int, reason string)")
    assert "shop.returns" in complete(kc, "%%linkis hive\nselect * from shop.")[0]


def test_the_magic_line_completes_engines_and_options(kc):
    assert complete(kc, "%%linkis tri")[0] == ["trino"]
    assert complete(kc, "%%linkis hive --tim")[0] == ["--timeout"]


def test_python_completion_is_untouched_outside_linkis_cells(kc):
    execute(kc, "numbers = [1, 2]")
    assert "numbers" in complete(kc, "numb")[0]


def test_a_slow_gateway_gets_keywords_at_once(kc, faults):
    execute(kc, "%%linkis hive --quiet\ncreate table slow_one (a int)")  # the catalog forgets: it must ask again
    faults.delay(r"/datasource/", 5.0, times=None)
    started = time.monotonic()
    matches, _ = complete(kc, "%%linkis hive\nselect * from customers where an")  # asks for the columns
    took = time.monotonic() - started
    assert matches == ["and"]
    assert took < 1.5, f"completion waited {took:.2f} s for a gateway that takes 5 s"


def test_an_unreachable_gateway_gets_keywords_and_no_error(kc, faults):
    execute(kc, "%%linkis hive --quiet\ncreate table gone_one (a int)")  # the catalog forgets
    faults.reset_connections(r"/datasource/", times=None)
    started = time.monotonic()
    matches, _ = complete(kc, "%%linkis hive\nselect * from customers where an")
    took = time.monotonic() - started
    assert matches == ["and"]
    assert took < 1.5, f"completion took {took:.2f} s against a gateway that resets connections"
    faults.clear()
    matches, _ = complete(kc, "%%linkis hive\nselect * from customers where na")
    assert matches == []  # it does not ask again at once after a failure: keywords only, for a while
