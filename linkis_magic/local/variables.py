"""``${variable}`` substitution as the Linkis entrance does it (§10).

Priority, highest first: in-code definitions (``--@set k=v`` for the SQL family, ``#@set`` for
python and shell, ``//@set`` scala, ``!!@set`` java), then ``params.variable``. ``user``,
``execute_user`` and ``submit_user`` are always the server's values. ``run_date`` defaults to
yesterday (``yyyyMMdd``) and derives a family of dates; ``${name+n}`` / ``${name-n}`` shift dates
by days (months for ``run_mon`` and ``run_month_begin/end``, hours for ``run_today_h``) and do
arithmetic on numbers. Undefined names stay as written.

Then date patterns: ``&{yyyy-MM-dd%-2d}`` formats ``run_date`` (midnight) with a Java date pattern
after shifting it by each ``%±N<unit>`` (units ``y M d H m s``), as Linkis's
``VariableOperationUtils`` does (§10 writes the form with ``$``; Linkis's marker is ``&``).
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation

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
_INCOMPLETE = re.compile(r"\$\{\s*([A-Za-z_][\w.]*)\s*[-+*/]\s*\}")  # "${run_date-}": no operand
_DATE_PATTERN = re.compile(r"&\{([^}]*)\}")
_JAVA_FIELD = re.compile(r"([A-Za-z'])\1*")  # one pattern letter repeated: "yyyy", "MM", "d"
_DAY, _DAY_STD, _MONTH, _MONTH_STD = "%Y%m%d", "%Y-%m-%d", "%Y%m", "%Y-%m"
_HOUR, _HOUR_STD = "%Y%m%d%H", "%Y-%m-%d %H"
#: Units of a ``%±N<unit>`` shift, in the order Linkis looks for them in the shift text.
_SHIFT_UNITS = {"y": "years", "M": "months", "d": "days", "H": "hours", "m": "minutes", "s": "seconds"}


class VariableError(ValueError):
    """An expression Linkis refuses; the entrance interceptor fails the job with ``err_code``."""

    def __init__(self, err_code: int, message: str) -> None:
        super().__init__(message)
        self.err_code = err_code


@dataclass(frozen=True)
class _Value:
    """A variable's text plus, for dates, what arithmetic means for it."""

    text: str
    moment: datetime | None = None
    pattern: str = ""
    unit: str = "days"  # what ``+1`` adds: "days", "months" (keeping begin/end of month) or "hours"
    month_end: bool = False  # a month shift of run_month_end lands on the month's last day


def language(run_type: str) -> str | None:
    """The family a runType belongs to, or None when Linkis would skip substitution."""
    lowered = run_type.lower()
    return next((family for family, members in _FAMILIES.items() if lowered in members), None)


def substitute(code: str, run_type: str, variables: Mapping[str, object] | None, user: str,
               today: date | None = None) -> str:
    """``code`` with every defined ``${...}`` and every ``&{pattern}`` replaced (§10).

    ``today`` defaults to now; a :class:`datetime` also gives ``run_today_h`` its hour. Raises
    :class:`VariableError` for an operator without operand on a defined variable (``${n+}``).
    """
    family = language(run_type)
    if family is None:
        return code
    merged = {str(key): str(value) for key, value in (variables or {}).items()}
    merged.update(in_code_definitions(code, family))
    merged.update(user=user, execute_user=user, submit_user=user)
    values = {name: _Value(text) for name, text in merged.items()}
    dates = date_family(merged.get("run_date"), today or datetime.now(), merged.get("run_today_h"))
    values.update(dates)
    _check_complete(code, values)
    code = _REFERENCE.sub(lambda match: _resolve(match, values), code)
    run_date = dates["run_date"].moment if dates else None
    return code if run_date is None else _DATE_PATTERN.sub(lambda match: _format_pattern(match, run_date), code)


def in_code_definitions(code: str, family: str) -> dict[str, str]:
    """``k=v`` pairs from the family's ``@set`` comment lines (the lines stay in the code)."""
    prefix = _SET_PREFIX.get(family)
    if prefix is None:
        return {}
    pattern = re.compile(rf"^\s*{re.escape(prefix)}\s+([^=\s]+)\s*=(.*)$", re.MULTILINE)
    return {name: value.strip() for name, value in pattern.findall(code)}


def date_family(run_date: str | None, today: date, run_today_h: str | None = None) -> dict[str, _Value]:
    """``run_date`` (default yesterday) and the variables Linkis derives from it (§10)."""
    day = _parse_day(run_date) if run_date else _as_date(today) - timedelta(days=1)
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
        # Month-type variables count in months: ${run_month_begin-1} is the previous month's first day.
        unit = "months" if name.startswith("run_month_") else "days"
        moment = datetime.combine(anchor, datetime.min.time())
        for suffix, pattern in (("", _DAY), ("_std", _DAY_STD)):
            family[name + suffix] = _Value(anchor.strftime(pattern), moment, pattern, unit, name.endswith("_end"))
    month = datetime.combine(day.replace(day=1), datetime.min.time())
    family["run_mon"] = _Value(month.strftime(_MONTH), month, _MONTH, "months")
    family["run_mon_std"] = _Value(month.strftime(_MONTH_STD), month, _MONTH_STD, "months")
    family.update(_hour_family(anchors["run_today"], today, run_today_h))
    return family


def _hour_family(run_today: date, now: date, given: str | None) -> dict[str, _Value]:
    """``run_today_h(_std)``: run_today at the clock's current hour, unless given as yyyyMMddHH."""
    hour = now.hour if isinstance(now, datetime) else 0
    moment = datetime.combine(run_today, datetime.min.time()).replace(hour=hour)
    if given:
        try:
            moment = datetime.strptime(given.strip(), _HOUR)
        except ValueError:
            pass  # Linkis would fail the job here; keeping the clock's hour is the gentler answer
    return {"run_today_h": _Value(moment.strftime(_HOUR), moment, _HOUR, "hours"),
            "run_today_h_std": _Value(moment.strftime(_HOUR_STD), moment, _HOUR_STD, "hours")}


def _as_date(value: date) -> date:
    return value.date() if isinstance(value, datetime) else value


def _parse_day(text: str) -> date | None:
    for pattern in (_DAY, _DAY_STD):
        try:
            return datetime.strptime(text.strip(), pattern).date()
        except ValueError:
            continue
    return None


def _month_end(day: date) -> date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def _check_complete(code: str, values: Mapping[str, _Value]) -> None:
    # Linkis's parserVar throws 20042 for these, but only for defined names (others stay as written).
    for match in _INCOMPLETE.finditer(code):
        if match.group(1) in values:
            raise VariableError(20042, f"[{match.group(0)}] expression is not right, please check")


def _resolve(match: re.Match, values: Mapping[str, _Value]) -> str:
    name, operator, operand = match.groups()
    value = values.get(name)
    if value is None:
        return match.group(0)  # undefined: left unchanged (§10)
    if operator is None:
        return value.text
    result = _shift_date(value, operator, operand) if value.moment else _arithmetic(value.text, operator, operand)
    return match.group(0) if result is None else result


def _shift_date(value: _Value, operator: str, operand: str) -> str | None:
    if operator not in "+-" or not operand.isdigit():
        return None
    amount = int(operand) if operator == "+" else -int(operand)
    if value.unit == "months":
        first = _add_months(value.moment.replace(day=1), amount)
        return (_month_end(first) if value.month_end else first).strftime(value.pattern)
    return (value.moment + timedelta(**{value.unit: amount})).strftime(value.pattern)


def _add_months(moment: datetime, months: int) -> datetime:
    """``moment`` moved by whole months, the day clamped to the target month (Java ``plusMonths``)."""
    index = moment.year * 12 + moment.month - 1 + months
    year, month = divmod(index, 12)
    return moment.replace(year=year, month=month + 1,
                          day=min(moment.day, calendar.monthrange(year, month + 1)[1]))


def _format_pattern(match: re.Match, run_date: datetime) -> str:
    """One ``&{pattern%shift...}``; left as written when Linkis would skip it (a bad pattern or shift)."""
    pattern, *shifts = match.group(1).strip().split("%")
    moment = run_date
    try:
        for shift in shifts:
            moment = _shift_moment(moment, shift)
    except ValueError:
        return match.group(0)
    formatted = _java_format(moment, pattern)
    return match.group(0) if formatted is None else formatted


def _shift_moment(moment: datetime, shift: str) -> datetime:
    """Apply one ``±N<unit>``: the first unit letter found decides (Linkis ``changeDateTime``)."""
    unit = next((letter for letter in _SHIFT_UNITS if letter in shift), None)
    if unit is None:
        return moment
    amount = int(shift.replace(unit, ""))
    if unit in "yM":
        return _add_months(moment, amount * 12 if unit == "y" else amount)
    return moment + timedelta(**{_SHIFT_UNITS[unit]: amount})


def _java_format(moment: datetime, pattern: str) -> str | None:
    """``moment`` in a Java ``DateTimeFormatter`` pattern of ``y M d H m s`` letters, or None for a
    pattern using anything else (names, quotes) that this gateway does not render."""
    fields = {"y": moment.year, "M": moment.month, "d": moment.day, "H": moment.hour, "m": moment.minute,
              "s": moment.second}
    tokens = [run.group(0) for run in _JAVA_FIELD.finditer(pattern)]
    if any(token[0] not in fields or (token[0] != "y" and len(token) > 2) for token in tokens):
        return None

    def render(run: re.Match) -> str:
        token = run.group(0)
        value = fields[token[0]] % 100 if token == "yy" else fields[token[0]]
        return str(value).zfill(len(token))
    return _JAVA_FIELD.sub(render, pattern)


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
