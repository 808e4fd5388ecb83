"""Parsing a %%linkis line and cell: pure, no shell, no network."""

from __future__ import annotations

import pytest
from IPython.core.error import UsageError

from linkis_magic.commands import SUBCOMMANDS
from linkis_magic.magic import parse_cell, parse_pairs


def test_every_option_lands_in_the_request():
    request = parse_cell(
        "spark-3.4.4 -o df --limit 5 --var a=1 --var b=x=y --conf spark.x=2 "
        "--runtime-conf r=3 --timeout 7.5 --run-type py --progress text --quiet --creator NB",
        "select 1",
    )
    assert request.engine == "spark-3.4.4" and request.code == "select 1"
    assert (request.output, request.limit, request.timeout) == ("df", 5, 7.5)
    assert request.variables == {"a": "1", "b": "x=y"}
    assert (request.startup, request.runtime) == ({"spark.x": "2"}, {"r": "3"})
    assert (request.run_type, request.progress, request.quiet, request.creator) == (
        "py", "text", True, "NB")
    assert request.flags() == {"progress": "text", "creator": "NB", "timeout": 7.5, "limit": 5}


def test_defaults_leave_every_setting_to_the_lower_layers():
    request = parse_cell("hive", "select 1")
    assert request.flags() == {"progress": None, "creator": None, "timeout": None, "limit": None}
    assert request.variables == {} and not request.quiet


@pytest.mark.parametrize(
    ("line", "cell", "message"),
    [
        ("", "select 1", "engine"),
        ("hive --bogus", "select 1", "unrecognized arguments: --bogus"),
        ("hive", "  \n ", "the cell is empty"),
        ("hive --limit ten", "select 1", "invalid int value"),
        ("hive --limit 0", "select 1", "--limit must be a positive"),
        ("hive --timeout -3", "select 1", "--timeout must be a positive"),
        ("hive -o 1x", "select 1", "-o needs a Python variable name"),
        ("hive --var novalue", "select 1", "--var needs NAME=VALUE"),
        ("hive --conf =1", "select 1", "--conf needs NAME=VALUE"),
        ("hive --progress fancy", "select 1", "invalid choice"),
        ("hive --var 'a=1", "select 1", "cannot parse the options"),
        ("-o", "select 1", "argument -o/--output: expected one argument"),
        ("hive --limit", "select 1", "argument --limit: expected one argument"),
        ("hive --limit x", "select 1", "invalid int value"),
        ("hive 'unclosed", "select 1", "cannot parse the options"),
    ],
)
def test_bad_input_is_a_plain_one_line_usage_error(line, cell, message):
    with pytest.raises(UsageError, match=message) as info:
        parse_cell(line, cell)
    assert type(info.value) is UsageError
    assert "\n" not in str(info.value)


def test_pairs_keep_everything_after_the_first_equals_sign():
    assert parse_pairs(["k=a=b", "e="], "--var") == {"k": "a=b", "e": ""}


def test_every_line_command_has_usage_and_help():
    assert {"jobs", "status", "log", "kill", "result", "connect", "help"} <= set(SUBCOMMANDS)
    assert all(c.usage.split()[0] == name for name, c in SUBCOMMANDS.items())


def test_the_help_page_shows_usage_and_examples():
    from linkis_magic.magic import LinkisMagics

    page = LinkisMagics.linkis_cell.__doc__
    assert page.lstrip(": \n").startswith("%%linkis [-o VAR]")
    assert "In [1]: %%linkis hive" in page and "--runtime-conf" in page
