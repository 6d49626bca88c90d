import io
import json
import logging
from datetime import UTC, datetime

import pytest
from pydantic import BaseModel, ValidationError

from miyraa.logs import HANDLER_NAME, OWNED_LOGGERS, configure_logging
from miyraa.ratelimit import client_hash
from miyraa.settings import Settings

SECRET = "unit-test-secret"


@pytest.fixture
def json_lines():
    saved = {
        name: (logging.getLogger(name).handlers[:], logging.getLogger(name).propagate)
        for name in OWNED_LOGGERS
    }
    root_handlers = logging.getLogger().handlers[:]
    configure_logging(Settings(_env_file=None, client_hash_secret=SECRET, log_level="INFO"))
    [handler] = [h for h in logging.getLogger("miyraa").handlers if h.get_name() == HANDLER_NAME]
    stream = io.StringIO()
    handler.setStream(stream)

    def read() -> list[dict]:
        return [json.loads(line) for line in stream.getvalue().splitlines()]

    yield read
    for name, (handlers, propagate) in saved.items():
        logging.getLogger(name).handlers, logging.getLogger(name).propagate = handlers, propagate
    logging.getLogger().handlers = root_handlers


def test_lines_are_json_with_the_standard_fields(json_lines):
    logging.getLogger("miyraa.request").info("request", extra={"endpoint": "/fingerprint", "status": 200})
    [line] = json_lines()
    assert line["message"] == "request"
    assert (line["level"], line["logger"], line["endpoint"], line["status"]) == (
        "INFO", "miyraa.request", "/fingerprint", 200,
    )  # fmt: skip
    logged_at = datetime.strptime(line["ts"], "%Y-%m-%dT%H:%M:%S%z")  # ISO 8601 with its UTC offset
    assert abs((datetime.now(UTC) - logged_at).total_seconds()) < 60


def test_access_log_is_split_into_fields_and_hides_the_address(json_lines):
    logging.getLogger("bentoml.access").info(
        "%s (%s) (%s) %.3fms",
        "198.51.100.23:51234",
        "scheme=http,method=POST,path=/fingerprint,type=application/json,length=20",
        "status=200,type=application/json,length=700",
        12.3456,
    )
    [line] = json_lines()
    assert "198.51.100.23" not in json.dumps(line)
    assert line["client_hash"] == client_hash(SECRET.encode(), "198.51.100.23")
    assert (line["message"], line["method"], line["path"], line["status"], line["duration_ms"]) == (
        "access", "POST", "/fingerprint", 200, 12.346,
    )  # fmt: skip


def test_a_websocket_access_line_hides_the_address(json_lines):
    # BentoML's form for websocket connections (bentoml/_internal/server/http/access.py)
    logging.getLogger("bentoml.access").info(
        "%s (scheme=%s,path=%s) - Connection closed", "203.0.113.7:51234", "ws", "/livez"
    )
    [line] = json_lines()
    assert "203.0.113.7" not in json.dumps(line)
    hashed = client_hash(SECRET.encode(), "203.0.113.7")
    assert line["message"] == f"{hashed} (scheme=ws,path=/livez) - Connection closed"


def test_validation_tracebacks_lose_the_input(json_lines):
    class Body(BaseModel):
        text: int

    secret_text = "my card is 4111 1111 1111 1111 call me"
    with pytest.raises(ValidationError) as caught:
        Body.model_validate({"text": secret_text})
    logging.getLogger("bentoml._internal.server.http_app").error(
        "Exception on /fingerprint [POST]", exc_info=(ValidationError, caught.value, None)
    )
    [line] = json_lines()
    assert secret_text not in json.dumps(line)
    assert (line["level"], line["message"]) == ("WARNING", "invalid request: text: int_parsing")
    assert "exc_info" not in line


def test_a_field_name_we_did_not_define_is_not_logged(json_lines):
    class Body(BaseModel, extra="forbid"):
        texts: list[str]

    with pytest.raises(ValidationError) as caught:
        Body.model_validate({"texts": ["a", 3], "jane.roe@example.org": 1})
    logging.getLogger("bentoml._internal.server.http_app").error(
        "Exception on /fingerprint [POST]", exc_info=(ValidationError, caught.value, None)
    )
    [line] = json_lines()
    assert "jane.roe" not in json.dumps(line)
    assert line["message"] == "invalid request: texts.1: string_type; <unknown field>: extra_forbidden"


def test_a_path_that_is_no_route_is_logged_as_other(json_lines):
    logging.getLogger("bentoml.access").info(
        "%s (%s) (%s) %.3fms",
        "198.51.100.23:5000",
        "scheme=http,method=POST,path=/fingerprint/jane.roe@example.org,type=application/json,length=2",
        "status=404,type=text/plain,length=9",
        1.0,
    )
    [line] = json_lines()
    assert "jane.roe" not in json.dumps(line)
    assert (line["path"], line["status"]) == ("other", 404)


def test_each_line_is_printed_once(json_lines):
    logging.getLogger("bentoml.access").warning("once")
    logging.getLogger("uvicorn.error").warning("once")
    assert [line["message"] for line in json_lines()] == ["once", "once"]
