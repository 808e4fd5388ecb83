"""``${variable}`` substitution (§10): priorities, the run_date family, arithmetic."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from linkis_magic.local.variables import VariableError, date_family, in_code_definitions, language, substitute

TODAY = date(2024, 3, 1)  # yesterday is 2024-02-29, a leap day


def sub(code: str, run_type: str = "hql", variables=None, user: str = "alice") -> str:
    return substitute(code, run_type, variables, user, today=TODAY)


def test_run_date_defaults_to_yesterday_and_derives_its_family():
    assert sub("${run_date} ${run_date_std} ${run_today} ${run_today_std}") == \
        "20240229 2024-02-29 20240301 2024-03-01"
    assert sub("${run_month_begin} ${run_month_end_std} ${run_mon} ${run_mon_std}") == \
        "20240201 2024-02-29 202402 2024-02"
    assert sub("${run_quarter_begin} ${run_quarter_end} ${run_half_year_end} ${run_year_begin_std}") == \
        "20240101 20240331 20240630 2024-01-01"


def test_run_date_from_params_moves_the_whole_family():
    assert sub("${run_date_std} ${run_month_end}", variables={"run_date": "20231130"}) == "2023-11-30 20231130"
    assert sub("${run_today}", variables={"run_date": "2023-12-31"}) == "20240101"


@pytest.mark.parametrize("code, expected", [
    ("${run_date-1}", "20240228"), ("${run_date + 1}", "20240301"), ("${run_date_std-29}", "2024-01-31"),
    ("${run_mon-2}", "202312"), ("${run_mon_std+11}", "2025-01"),
    ("${n+2}", "12"), ("${n*3}", "30"), ("${n/4}", "2.5"), ("${n-15}", "-5"),
    ("${zero_led+1}", "${zero_led+1}"), ("${word+1}", "${word+1}"), ("${n/0}", "${n/0}"),
])
def test_arithmetic(code, expected):
    assert sub(code, variables={"n": "10", "zero_led": "007", "word": "abc"}) == expected


def test_priorities_in_code_over_params_and_user_forced():
    code = "select '${a}', '${b}', '${user}', '${execute_user}'\n--@set a=from_code"
    result = sub(code, variables={"a": "from_params", "b": "b1", "user": "mallory"})
    assert result.splitlines()[0] == "select 'from_code', 'b1', 'alice', 'alice'"
    assert result.splitlines()[1] == "--@set a=from_code"  # the definition stays in the code


def test_undefined_variables_stay_as_written():
    assert sub("${nope} ${ also_nope }") == "${nope} ${ also_nope }"


def test_set_syntax_depends_on_the_language():
    assert sub("print('${k}')\n#@set k=py", "python") == "print('py')\n#@set k=py"
    assert sub("echo ${k}\n#@set k=sh", "shell") == "echo sh\n#@set k=sh"
    assert sub("select '${k}'\n#@set k=wrong", "sql") == "select '${k}'\n#@set k=wrong"
    assert in_code_definitions("--@set x = 1\n  --@set y=two words ", "sql") == {"x": "1", "y": "two words"}


def test_run_types_outside_the_families_are_not_substituted():
    assert language("tsql") == "sql" and language("PY") == "python" and language("r") is None
    assert sub("${run_date}", "r") == "${run_date}"


def test_unparseable_run_date_leaves_the_family_undefined():
    assert date_family("yesterday", TODAY) == {}
    assert sub("${run_date} ${run_date_std}", variables={"run_date": "soon"}) == "soon ${run_date_std}"


@pytest.mark.parametrize("code, expected", [
    ("&{yyyy-MM-dd}", "2024-02-29"), ("&{yyyy-MM-dd%-2d}", "2024-02-27"), ("&{ yyyyMMdd%+1d }", "20240301"),
    ("&{yyyy-MM%+1M}", "2024-03"), ("&{yyyy-MM-dd%-1y}", "2023-02-28"), ("&{yyyy-MM-01%-2M}", "2023-12-01"),
    ("&{yyyyMMddHH%-1H}", "2024022823"), ("&{yy/M/d%+1M%+1d}", "24/3/30"), ("&{yyyy-MM-dd%}", "2024-02-29"),
    ("&{yyyy-MM-dd%-xd}", "&{yyyy-MM-dd%-xd}"), ("&{EEE yyyy}", "&{EEE yyyy}"), ("&{yyyy", "&{yyyy"),
])
def test_date_patterns_format_run_date_after_their_shifts(code, expected):
    assert sub(code) == expected


def test_date_patterns_follow_run_date_and_variables_come_first():
    assert sub("&{yyyy-MM-dd%-1d}", variables={"run_date": "20230101"}) == "2022-12-31"
    assert sub("&{${fmt}%+1d}", variables={"fmt": "yyyyMMdd"}) == "20240301"


def test_run_today_h_is_run_today_at_the_current_hour():
    now = datetime(2024, 3, 1, 7, 30)
    hours = substitute("${run_today_h} ${run_today_h_std} ${run_today_h-8} ${run_today_h_std+17}", "sql", None,
                       "alice", today=now)
    assert hours == "2024030107 2024-03-01 07 2024022923 2024-03-02 00"
    given = substitute("${run_today_h_std}", "sql", {"run_today_h": "2023010203"}, "alice", today=now)
    assert given == "2023-01-02 03"


def test_month_variables_shift_by_months():
    assert sub("${run_month_begin-1} ${run_month_end-1} ${run_month_end_std+1} ${run_year_end-1}") == \
        "20240101 20240131 2024-03-31 20241230"


def test_an_operator_without_operand_on_a_defined_variable_is_refused():
    with pytest.raises(VariableError, match=r"\[\$\{run_date- \}\] expression is not right") as info:
        sub("select ${run_date- }")
    assert info.value.err_code == 20042
    assert sub("select ${undefined+}") == "select ${undefined+}"
