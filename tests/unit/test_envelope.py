"""Envelope parsing (docs/protocol.md §1): errors arrive on every HTTP status."""

import pytest

from linkis_magic.client import gateway_root, parse_envelope, raise_for_envelope
from linkis_magic.errors import LinkisAuthError, LinkisProtocolError, LinkisRequestError


def test_success_returns_data():
    body = {"method": "/api/entrance/submit", "status": 0, "message": "OK",
            "data": {"execID": "exec_id018", "taskID": 12}}
    assert raise_for_envelope(parse_envelope(200, body)) == {"execID": "exec_id018", "taskID": 12}


def test_warning_status_is_not_an_error():
    assert raise_for_envelope(parse_envelope(206, {"status": 4, "message": "w", "data": {"a": 1}})) == {"a": 1}


def test_null_data_becomes_empty_dict():
    assert parse_envelope(200, {"method": None, "status": 0, "message": "OK", "data": None}).data == {}


def test_error_keeps_message_errcode_and_stack():
    body = {"method": None, "status": 1,
            "message": "error code(错误码): 80027, error message(错误信息): The path needs to be within "
                       "the user's own workspace path.",
            "data": {"errorMsg": {"errCode": 80027, "desc": "..."}, "stack": "java.lang.Exception\n\tat x"}}
    with pytest.raises(LinkisRequestError) as info:
        raise_for_envelope(parse_envelope(400, body))
    error = info.value
    assert "within the user's own workspace" in str(error)
    assert (error.err_code, error.stack, error.http_status) == (80027, "java.lang.Exception\n\tat x", 400)
    assert error._render_traceback_()[1].strip() == "errCode: 80027"


def test_not_logged_in_is_an_auth_error():
    body = {"method": "/api/rest_j/v1/entrance/submit", "status": -1,
            "message": "You are not logged in, please login first(您尚未登录，请先登录)!", "data": {}}
    with pytest.raises(LinkisAuthError, match="not logged in") as info:
        raise_for_envelope(parse_envelope(401, body))
    assert isinstance(info.value, PermissionError)
    assert info.value.method == "/api/rest_j/v1/entrance/submit"


@pytest.mark.parametrize("status", [1, 2, 3])
def test_refusals_are_request_errors(status):
    with pytest.raises(LinkisRequestError, match="no"):
        raise_for_envelope(parse_envelope(400, {"status": status, "message": "no", "data": {}}))


@pytest.mark.parametrize("body", [
    {"timestamp": 1, "path": "/api/rest_j/v1/entrance/x/status", "status": 500,
     "error": "Internal Server Error", "message": "", "requestId": "ab"},
    "<html><body>502 Bad Gateway</body></html>",
    ["not", "an", "object"],
    {"status": "0", "message": "OK", "data": {}},
    {"data": {}},
])
def test_non_envelopes_are_protocol_errors(body):
    with pytest.raises(LinkisProtocolError, match="HTTP 500: not a Linkis response") as info:
        parse_envelope(500, body)
    assert info.value.http_status == 500


def test_protocol_error_excerpt_is_short():
    with pytest.raises(LinkisProtocolError) as info:
        parse_envelope(502, "x" * 5000)
    assert len(str(info.value)) < 260


@pytest.mark.parametrize("url", ["http://gw:9001", "http://gw:9001/", "http://gw:9001/api/rest_j/v1",
                                 "http://gw:9001/api/rest_j/v1/"])
def test_gateway_root_accepts_both_forms(url):
    assert gateway_root(url) == "http://gw:9001"


def test_gateway_root_needs_a_scheme():
    with pytest.raises(ValueError, match="http"):
        gateway_root("gw:9001")


def test_gateway_root_refuses_a_url_with_credentials_without_repeating_them():
    with pytest.raises(ValueError, match="must not hold a user or password") as info:
        gateway_root("https://alice:hunter2@gw:9001")
    assert "hunter2" not in str(info.value) and "alice" not in str(info.value)
