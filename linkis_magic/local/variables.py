"""``${variable}`` substitution as the Linkis entrance does it (§10).

Priority, highest first: in-code definitions (``--@set k=v`` for the SQL family, ``#@set`` for
python and shell, ``//@set`` scala, ``!!@set`` java), then ``params.variable``. ``user``,
``execute_user`` and ``submit_user`` are always the server's values. ``run_date`` defaults to
yesterday (``yyyyMMdd``) and derives a family of dates; ``${name+n}`` / ``${name-n}`` shift dates
by days (months for ``run_mon``) and do arithmetic on numbers. Undefined names stay as written.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Mapping

#: Language families by runType (§9, Linkis ``CodeAndRunTypeUtils``).
_FAMILIES = {
    "sql": {"sql", "hql", "jdbc", "hive", "psql", "fql", "tsql", "nebula", "ngql", "aisql", "starrocks"},
    "python": {"python", "py", "pyspark", "py3"},
    "shell": {"sh", "shell"},
    "scala": {"scala"},
    "java": {"java"},
    "json": {"json", "data_calc"},
}
_SET_PREFIX = {"sql": "--@set", "python": "#@set", "shell": "#@set", "scala": "//@set", "java": "!!@set"}

_REFERENCE = re.compile(r"\$\{\s*([A-Za-z_][\w.]*)\s*(?:([-+*/])\s*(\d+(?:\.\d+)?)\s*)?\}")
_DAY, _DAY_STD, _MONTH, _MONTH_STD = "%Y%m%d", "%Y-%m-%d", "%Y%m", "%Y-%m"


@dataclass(frozen=True)
class _Value:
    """A variable's text plus, for dates, what arithmetic means for it."""

    text: str
    day: date | None = None
    pattern: str = ""
    months: bool = False  # run_mon shifts by months, the day family by days


def language(run_type: str) -> str | None:
    """The family a runType belongs to, or None when Linkis would skip substitution."""
    lowered = run_type.lower()
    return next((family for family, members in _FAMILIES.items() if lowered in members), None)


def substitute(code: str, run_type: str, variables: Mapping[str, object] | None, user: str,
               today: date | None = None) -> str:
    """``code`` with every defined ``${...}`` replaced (§10)."""
    family = language(run_type)
    if family is None:
        return code
    merged = {str(key): str(value) for key, value in (variables or {}).items()}
    merged.update(in_code_definitions(code, family))
    merged.update(user=user, execute_user=user, submit_user=user)
    values = {name: _Value(text) for name, text in merged.items()}
    values.update(date_family(merged.get("run_date"), today or date.today()))
    return _REFERENCE.sub(lambda match: _resolve(match, values), code)


def in_code_definitions(code: str, family: str) -> dict[str, str]:
    """``k=v`` pairs from the family's ``@set`` comment lines (the lines stay in the code)."""
    prefix = _SET_PREFIX.get(family)
    if prefix is None:
        return {}
    pattern = re.compile(rf"^\s*{re.escape(prefix)}\s+([^=\s]+)\s*=(.*)$", re.MULTILINE)
    return {name: value.strip() for name, value in pattern.findall(code)}


def date_family(run_date: str | None, today: date) -> dict[str, _Value]:
    """``run_date`` (default yesterday) and the variables Linkis derives from it (§10)."""
    day = _parse_day(run_date) if run_date else today - timedelta(days=1)
    if day is None:
        return {}
    anchors = {
        "run_date": day,
        "run_today": day + timedelta(days=1),
        "run_month_begin": day.replace(day=1),
        "run_month_end": _month_end(day),
        "run_quarter_begin": date(day.year, 3 * ((day.month - 1) // 3) + 1, 1),
        "run_quarter_end": _month_end(date(day.year, 3 * ((day.month - 1) // 3) + 3, 1)),
        "run_half_year_begin": date(day.year, 1 if day.month <= 6 else 7, 1),
        "run_half_year_end": date(day.year, 6, 30) if day.month <= 6 else date(day.year, 12, 31),
        "run_year_begin": date(day.year, 1, 1),
        "run_year_end": date(day.year, 12, 31),
    }
    family: dict[str, _Value] = {}
    for name, anchor in anchors.items():
        family[name] = _Value(anchor.strftime(_DAY), anchor, _DAY)
        family[f"{name}_std"] = _Value(anchor.strftime(_DAY_STD), anchor, _DAY_STD)
    family["run_mon"] = _Value(day.strftime(_MONTH), day, _MONTH, months=True)
    family["run_mon_std"] = _Value(day.strftime(_MONTH_STD), day, _MONTH_STD, months=True)
    return family


def _parse_day(text: str) -> date | None:
    for pattern in (_DAY, _DAY_STD):
        try:
            return datetime.strptime(text.strip(), pattern).date()
        except ValueError:
            continue
    return None


def _month_end(day: date) -> date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def _resolve(match: re.Match, values: Mapping[str, _Value]) -> str:
    name, operator, operand = match.groups()
    value = values.get(name)
    if value is None:
        return match.group(0)  # undefined: left unchanged (§10)
    if operator is None:
        return value.text
    result = _shift_date(value, operator, operand) if value.day else _arithmetic(value.text, operator, operand)
    return match.group(0) if result is None else result


def _shift_date(value: _Value, operator: str, operand: str) -> str | None:
    if operator not in "+-" or not operand.isdigit():
        return None
    amount = int(operand) if operator == "+" else -int(operand)
    if not value.months:
        return (value.day + timedelta(days=amount)).strftime(value.pattern)
    month_index = value.day.year * 12 + value.day.month - 1 + amount
    return date(month_index // 12, month_index % 12 + 1, 1).strftime(value.pattern)


def _arithmetic(text: str, operator: str, operand: str) -> str | None:
    # Linkis only computes with values that look numeric and do not start with a 0 (§10).
    if text.startswith("0") and not text.startswith("0.") and text != "0":
        return None
    try:
        left, right = Decimal(text), Decimal(operand)
    except InvalidOperation:
        return None
    if operator == "/" and right == 0:
        return None
    result = {"+": left + right, "-": left - right, "*": left * right, "/": left / right}[operator]
    return format(result.normalize(), "f") if result != result.to_integral_value() else str(int(result))
