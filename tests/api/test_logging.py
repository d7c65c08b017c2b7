"""Logs: one JSON object per line with the request id; the access log names route templates."""

import io
import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import httpx
import pytest

from api.core.actor import Role
from api.core.context import request_id_var
from api.core.logging import configure_logging
from api.core.settings import Settings
from api.web.app import create_app
from tests.factories import StaffFactory

PASSWORD = "a-secret-log-passphrase-4"
WRONG_PASSWORD = "a-wrong-log-passphrase-5"
QUERY_NEEDLE = "needle-search-term"


@contextmanager
def _logging_restored() -> Iterator[None]:
    """Put the root logger back as it was (configure_logging replaces its handlers)."""
    root = logging.getLogger()
    access = logging.getLogger("uvicorn.access")
    saved = (root.handlers[:], root.level, access.disabled)
    try:
        yield
    finally:
        root.handlers[:], level, access.disabled = saved
        root.setLevel(level)


def _json_logs() -> io.StringIO:
    """Configure JSON lines and keep what the configured handler writes."""
    configure_logging(level="INFO", json_lines=True)
    (handler,) = logging.getLogger().handlers
    assert isinstance(handler, logging.StreamHandler)
    stream = io.StringIO()
    handler.setStream(stream)
    return stream


def _lines(stream: io.StringIO) -> list[dict[str, Any]]:
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    for line in lines:
        datetime.fromisoformat(line.pop("at"))  # every line has a parseable time
    return lines


def test_configure_logging_json_lines_one_object_per_line_with_request_id() -> None:
    log = logging.getLogger("stepwise.test")
    with _logging_restored():
        stream = _json_logs()
        token = request_id_var.set("req-0123456789")
        try:
            log.info("two\nlines for %s", "one record", extra={"count": 3})
        finally:
            request_id_var.reset(token)
        log.warning("outside any request")
        log.debug("below the level")
        uvicorn_access_disabled = logging.getLogger("uvicorn.access").disabled
        lines = _lines(stream)

    assert lines == [
        {
            "level": "info",
            "logger": "stepwise.test",
            "message": "two\nlines for one record",
            "request_id": "req-0123456789",
            "count": 3,
        },
        {
            "level": "warning",
            "logger": "stepwise.test",
            "message": "outside any request",
            "request_id": None,
        },
    ]
    assert uvicorn_access_disabled is True


def test_configure_logging_json_lines_keep_an_exception_in_the_same_object() -> None:
    log = logging.getLogger("stepwise.test")
    with _logging_restored():
        stream = _json_logs()
        try:
            raise ValueError("broken on purpose")
        except ValueError:
            log.exception("it failed")
        (line,) = _lines(stream)

    exception = line.pop("exception")
    assert line == {
        "level": "error",
        "logger": "stepwise.test",
        "message": "it failed",
        "request_id": None,
    }
    assert exception.startswith("Traceback (most recent call last):")
    assert exception.endswith("ValueError: broken on purpose")


def _access(line: dict[str, Any], request_id: str) -> dict[str, Any]:
    assert line.pop("duration_ms") >= 0
    assert line.pop("request_id") == request_id
    return line


async def test_access_log_names_route_templates_and_never_secrets_or_query(
    staff: StaffFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    user = await staff.create(Role.ADMIN, password=PASSWORD)
    monkeypatch.setenv("STEPWISE_ACCESS_LOG", "true")
    with _logging_restored():
        app = create_app(Settings())
        stream = _json_logs()
        transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50001))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            logged = StaffFactory(http)
            login = await logged.login(user.email, PASSWORD)
            token = login.json()["access_token"]
            read = await http.get(
                f"/api/v1/staff/{user.id}",
                params={"q": QUERY_NEEDLE},
                headers={"Authorization": f"Bearer {token}"},
            )
            failed = await logged.login(user.email, WRONG_PASSWORD)
        raw = stream.getvalue().splitlines()
        lines = _lines(stream)

    # The test's own HTTP client (httpx) logs full URLs; every other line is the service's.
    client_loggers = ("httpx", "httpcore")
    service_text = "\n".join(
        text
        for text, line in zip(raw, lines, strict=True)
        if not line["logger"].startswith(client_loggers)
    )
    access = [line for line in lines if line["logger"] == "stepwise.access"]
    assert (login.status_code, read.status_code, failed.status_code) == (200, 200, 401)
    assert [
        _access(line, response.headers["X-Request-ID"])
        for line, response in zip(access, [login, read, failed], strict=True)
    ] == [
        {
            "level": "info",
            "logger": "stepwise.access",
            "message": "POST /api/v1/auth/login 200",
            "method": "POST",
            "route": "/api/v1/auth/login",
            "status": 200,
        },
        {
            "level": "info",
            "logger": "stepwise.access",
            "message": "GET /api/v1/staff/{user_id} 200",
            "method": "GET",
            "route": "/api/v1/staff/{user_id}",
            "status": 200,
        },
        {
            "level": "info",
            "logger": "stepwise.access",
            "message": "POST /api/v1/auth/login 401",
            "method": "POST",
            "route": "/api/v1/auth/login",
            "status": 401,
        },
    ]
    for secret in (PASSWORD, WRONG_PASSWORD, token, QUERY_NEEDLE, str(user.id), user.email):
        assert secret not in service_text
