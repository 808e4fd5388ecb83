"""Python values as Linkis variables: ``--vars NAME`` (a dict of the notebook) and IPython's own
``{expr}`` on the magic line, against the real gateway's variable substitution (§10)."""

from __future__ import annotations

import datetime

import pytest
from IPython.core.error import UsageError
from IPython.utils.capture import capture_output


def cell(ip, options: str, code: str):
    with capture_output():
        return ip.run_cell_magic("linkis", options, code)


def test_a_dict_of_the_notebook_becomes_linkis_variables(ip):
    ip.user_ns["params"] = {"city": "porto", "n": 3, "ratio": 0.5, "day": datetime.date(2024, 5, 1),
                            "at": datetime.datetime(2024, 5, 1, 12, 30)}
    frame = cell(ip, "hive --vars params", "select '${city}' as city, ${n} * 2 as n2, ${ratio} as r, "
                                            "'${day}' as day, '${at}' as at")
    assert frame.iloc[0].tolist() == ["porto", 6, 0.5, "2024-05-01", "2024-05-01 12:30:00"]


def test_a_var_flag_wins_over_the_dict(ip):
    ip.user_ns["params"] = {"city": "porto"}
    assert cell(ip, "hive --vars params --var city=lisbon", "select '${city}' as city")["city"].tolist() == ["lisbon"]


def test_ipython_expands_braces_on_the_magic_line(ip):
    ip.user_ns["day"] = "20240501"
    ip.run_cell("result = None")
    with capture_output():
        ip.run_cell("%%linkis hive -o result --var day={day}\nselect '${day}' as day")
    assert ip.user_ns["result"]["day"].tolist() == ["20240501"]


@pytest.mark.parametrize("value, message", [
    ("not a dict", "--vars params: needs a dict of variables, not a str"),
    ({"rows": [1, 2]}, "--vars params: rows is a list; values must be str, int, float, date or datetime"),
    ({"flag": True}, "--vars params: flag is a bool; values must be"),
    ({"a b": 1}, "--vars params: the key 'a b' is not a variable name"),
])
def test_values_linkis_cannot_take_are_refused_in_one_line(ip, local_linkis, value, message):
    ip.user_ns["params"] = value
    since = local_linkis.mark()
    with pytest.raises(UsageError) as info:
        cell(ip, "hive --vars params", "select 1")
    assert str(info.value).startswith(message) and "\n" not in str(info.value)
    assert not [r for r in local_linkis.requests_since(since) if r.path.endswith("/submit")]


def test_a_missing_name_is_refused(ip, local_linkis):
    ip.user_ns.pop("nothing_here", None)
    since = local_linkis.mark()
    with pytest.raises(UsageError, match="--vars nothing_here: no variable 'nothing_here' in the notebook") as info:
        cell(ip, "hive --vars nothing_here", "select 1")
    assert "\n" not in str(info.value)
    assert not [r for r in local_linkis.requests_since(since) if r.path.endswith("/submit")]
