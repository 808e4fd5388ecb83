"""Hypothesis: the parsers of what a gateway or a user sends never raise anything but our errors.

Envelope, status, progress, log and result-page parsing see bodies from any gateway (or any proxy
in front of one); the magic's line parser sees whatever a user types. Each either returns a value
of the promised shape or raises a ``LinkisError`` (``UsageError`` for the magic).
"""

from __future__ import annotations

import math

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from IPython.core.error import UsageError

from linkis_magic.client import Envelope, parse_envelope, raise_for_envelope
from linkis_magic.errors import LinkisError
from linkis_magic.job import parse_progress, parse_status
from linkis_magic.logs import log_lines
from linkis_magic.magic import CellRequest, parse_cell
from linkis_magic.protocol import JobStatus
from linkis_magic.results import convert_column, to_frame

FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20)
json_values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4)
                           | st.dictionaries(st.text(max_size=8), inner, max_size=4), max_leaves=12)
envelope_like = st.fixed_dictionaries(
    {"status": st.sampled_from([-1, 0, 1, 2, 3, 4]) | st.integers() | scalars, "message": scalars},
    optional={"method": scalars, "data": json_values})
http_statuses = st.sampled_from([200, 206, 400, 401, 403, 412, 500, 502, 503]) | st.integers(100, 599)
data_types = st.sampled_from(["int", "bigint", "long", "double", "float", "decimal(10,2)", "decimal", "boolean",
                              "date", "timestamp", "string", "varchar(5)", "NULL", "map", "void"]) | scalars
cells = st.none() | st.sampled_from(["NULL", "", "1", "-1", "1.5", "1e400", "nan", "true", "false", "2024-01-01",
                                     "2024-01-01 12:00:00.123", "9999999999999999999999"]) | st.text(max_size=12)


@FUZZ
@given(http_statuses, envelope_like | json_values)
def test_envelope_parsing(http_status, body):
    try:
        envelope = parse_envelope(http_status, body)
    except LinkisError:
        return
    assert isinstance(envelope, Envelope) and isinstance(envelope.data, dict)
    try:
        data = raise_for_envelope(envelope)
    except LinkisError as error:
        assert error.message
    else:
        assert isinstance(data, dict)


@FUZZ
@given(json_values | st.text().map(lambda t: t + "f"))
def test_progress_parsing(value):
    progress = parse_progress(value)
    assert isinstance(progress, float) and not math.isnan(progress) and 0.0 <= progress <= 1.0


@FUZZ
@given(json_values | st.sampled_from([s.value for s in JobStatus]))
def test_status_parsing(value):
    try:
        assert isinstance(parse_status(value), JobStatus)
    except LinkisError:
        pass


@FUZZ
@given(json_values, st.integers(0, 5))
def test_log_parsing(log, level):
    lines = log_lines(log, level)
    assert isinstance(lines, list) and all(isinstance(line, str) for line in lines)


@FUZZ
@given(st.lists(cells, max_size=8), data_types)
def test_column_typing(column, data_type):
    converted = convert_column(column, data_type)
    assert len(converted) == len(column)


page_columns = st.lists(st.fixed_dictionaries({"columnName": scalars, "dataType": data_types},
                                              optional={"comment": scalars}), max_size=4) | json_values
page_rows = st.lists(st.lists(cells, max_size=5), max_size=6) | json_values


@FUZZ
@given(page_columns, page_rows)
def test_result_page_parsing(columns, rows):
    try:
        frame = to_frame(columns, rows)
    except LinkisError:
        return
    assert isinstance(frame, pd.DataFrame) and frame.shape[1] == len(columns)
    if columns:
        assert len(frame) == len(rows)


line_words = st.sampled_from(["hive", "spark-3.4.4", "-o", "df", "--limit", "10", "-5", "--var", "a=1", "=x",
                              "--conf", "k=v", "--timeout", "0", "1.5", "--progress", "text", "bogus", "--quiet",
                              "--run-type", "'", '"', "\\", "--creator", "x-y", "--", "-", "$", "\x00"]) | st.text(
    max_size=10)


@FUZZ
@given(st.lists(line_words, max_size=8).map(" ".join), st.text(max_size=30))
def test_magic_line_parsing(line, cell):
    try:
        request = parse_cell(line, cell)
    except UsageError as error:
        assert str(error) and "\n" not in str(error).strip()
        return
    assert isinstance(request, CellRequest) and request.code.strip()
