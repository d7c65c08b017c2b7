"""Every error is application/problem+json, and every response carries its request id."""

import logging
import re
from typing import Any

import httpx
import pytest

from api.core.actor import Role
from api.core.schemas import encode_cursor
from api.core.settings import get_settings
from api.identity import accounts
from tests.factories import StaffFactory

PROBLEM = "application/problem+json"
TYPES = "https://stepwise.example/problems/"
LOGIN = "/api/v1/auth/login"
JSON = {"content-type": "application/json"}
GENERATED_ID = re.compile(r"^[0-9a-f]{32}$")


def _problem(response: httpx.Response) -> dict[str, Any]:
    assert response.headers["content-type"] == PROBLEM
    body: dict[str, Any] = response.json()
    return body


def _validation(*errors: tuple[str, str]) -> dict[str, Any]:
    return {
        "type": TYPES + "validation-error",
        "title": "The request is not valid",
        "status": 400,
        "detail": "; ".join(f"{field}: {reason}" for field, reason in errors),
        "errors": [{"field": field, "reason": reason} for field, reason in errors],
    }


def _login_body_of_size(size: int) -> bytes:
    """A well-formed login body exactly ``size`` bytes long (the password takes the slack)."""
    frame = b'{"email":"a@test.example","password":""}'
    body = frame[:-2] + b"x" * (size - len(frame)) + frame[-2:]
    assert len(body) == size
    return body


# -- request bodies -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b'{"email": "a@test.example",', "could not be read: Input data was truncated"),
        (
            b"{email: 1}",
            "could not be read: JSON is malformed: object keys must be strings (byte 1)",
        ),
    ],
)
async def test_body_when_json_is_malformed_is_400_problem(
    client: httpx.AsyncClient, content: bytes, reason: str
) -> None:
    response = await client.post(LOGIN, content=content, headers=JSON)

    assert response.status_code == 400
    assert _problem(response) == _validation(("body", reason))


async def test_body_with_unknown_field_is_400_naming_the_field(client: httpx.AsyncClient) -> None:
    response = await client.post(
        LOGIN, json={"email": "a@test.example", "password": "whatever-123", "is_admin": True}
    )

    assert response.status_code == 400
    assert _problem(response) == _validation(("is_admin", "Extra inputs are not permitted"))


async def test_body_with_wrong_type_is_400_naming_the_field(client: httpx.AsyncClient) -> None:
    response = await client.post(LOGIN, json={"email": 42, "password": "whatever-123"})

    assert response.status_code == 400
    assert _problem(response) == _validation(("email", "Input should be a valid string"))


async def test_body_missing_a_field_is_400_naming_the_field(client: httpx.AsyncClient) -> None:
    response = await client.post(LOGIN, json={"email": "a@test.example"})

    assert response.status_code == 400
    assert _problem(response) == _validation(("password", "Field required"))


async def test_body_with_bad_nested_value_is_400_naming_its_path(
    client: httpx.AsyncClient, staff: StaffFactory
) -> None:
    admin = await staff.signed_in(Role.ADMIN)

    response = await client.post(
        "/api/v1/staff",
        json={"email": "new@test.example", "full_name": "New", "roles": ["admin", "janitor"]},
        headers=admin.headers,
    )

    assert response.status_code == 400
    assert _problem(response) == _validation(
        ("roles.1", "Input should be 'admin', 'facilitator' or 'supervisor'")
    )


def test_max_body_bytes_default_is_one_mebibyte() -> None:
    assert get_settings().service.max_body_bytes == 1_048_576


async def test_body_over_the_limit_is_413_problem(client: httpx.AsyncClient) -> None:
    limit = get_settings().service.max_body_bytes

    response = await client.post(LOGIN, content=_login_body_of_size(limit * 11 // 10), headers=JSON)

    assert response.status_code == 413
    assert _problem(response) == {
        "type": TYPES + "request-too-large",
        "title": "Request body too large",
        "status": 413,
        "detail": "Request Entity Too Large",
    }


async def test_body_over_the_limit_sent_chunked_is_413(client: httpx.AsyncClient) -> None:
    limit = get_settings().service.max_body_bytes
    body = _login_body_of_size(limit + 1)

    async def chunks() -> Any:  # no Content-Length: the limit holds while streaming
        for start in range(0, len(body), 65_536):
            yield body[start : start + 65_536]

    response = await client.post(LOGIN, content=chunks(), headers=JSON)

    assert response.request.headers["transfer-encoding"] == "chunked"
    assert response.status_code == 413
    assert _problem(response)["type"] == TYPES + "request-too-large"


async def test_body_exactly_at_the_limit_is_read_not_refused(client: httpx.AsyncClient) -> None:
    limit = get_settings().service.max_body_bytes

    response = await client.post(LOGIN, content=_login_body_of_size(limit), headers=JSON)

    assert response.status_code == 400  # read and validated: the password is too long
    assert _problem(response) == _validation(
        ("password", "String should have at most 1024 characters")
    )


# -- text the database cannot store (PostgreSQL answered these with a 500) ------------------


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        (LOGIN, {"email": "nul\u0000@test.example", "password": "whatever-123"}, "email"),
        (LOGIN, {"email": "a@test.example", "password": "nul\u0000"}, "password"),
        (
            "/api/v1/staff",
            {"email": "a@test.example", "full_name": "A\u0000", "roles": ["admin"]},
            "full_name",
        ),
    ],
)
async def test_body_with_nul_character_is_400_naming_the_field(
    client: httpx.AsyncClient, staff: StaffFactory, path: str, body: dict[str, Any], field: str
) -> None:
    admin = await staff.signed_in(Role.ADMIN)

    response = await client.post(path, json=body, headers=admin.headers)

    assert response.status_code == 400
    assert _problem(response) == _validation(
        (field, "Value error, must not contain NUL characters")
    )


async def test_email_too_long_once_lower_cased_is_400(
    client: httpx.AsyncClient, staff: StaffFactory
) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    email = "\u0130" * 240 + "@x.example"  # 251 characters; "İ".lower() is two
    reason = "Value error, must be at most 254 characters once lower-cased"

    login = await client.post(LOGIN, json={"email": email, "password": "whatever-123"})
    create = await client.post(
        "/api/v1/staff",
        json={"email": email, "full_name": "Long", "roles": ["admin"]},
        headers=admin.headers,
    )

    assert (login.status_code, create.status_code) == (400, 400)
    assert _problem(login) == _validation(("email", reason))
    assert _problem(create) == _validation(("email", reason))


@pytest.mark.parametrize("query", ["entity=%00", "entity_id=staff%00user"])
async def test_query_with_nul_character_is_400_naming_the_parameter(
    client: httpx.AsyncClient, staff: StaffFactory, query: str
) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    name = query.partition("=")[0]

    response = await client.get(f"/api/v1/audit?{query}", headers=admin.headers)

    assert response.status_code == 400
    assert _problem(response) == _validation(
        (name, "Expected `str` matching regex '^[^\\\\x00]*$'")
    )


async def test_cursor_hiding_a_nul_character_is_400(
    client: httpx.AsyncClient, staff: StaffFactory
) -> None:
    admin = await staff.signed_in(Role.ADMIN)

    response = await client.get(
        "/api/v1/staff", params={"cursor": encode_cursor("\u0000")}, headers=admin.headers
    )

    assert response.status_code == 400
    assert _problem(response) == _validation(("cursor", "is not a cursor this API gave"))


# -- routing ------------------------------------------------------------------------------------


async def test_unknown_route_is_404_problem(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/no-such-thing")

    assert response.status_code == 404
    assert _problem(response) == {
        "type": TYPES + "not-found",
        "title": "Not found",
        "status": 404,
        "detail": "Not Found",
    }


async def test_wrong_method_is_405_problem_with_allow(client: httpx.AsyncClient) -> None:
    response = await client.delete("/health/live")

    assert response.status_code == 405
    assert set(response.headers["allow"].split(", ")) == {"GET", "OPTIONS"}
    assert _problem(response) == {
        "type": TYPES + "method-not-allowed",
        "title": "Method not allowed",
        "status": 405,
        "detail": "Method Not Allowed",
    }


# -- unexpected errors --------------------------------------------------------------------------


PATIENT_DETAIL = "1985-12-10"


async def _explode(**_: Any) -> None:
    # Like a driver error quoting a query argument (a date of birth, say).
    raise RuntimeError("invalid input for query argument $6: " + repr(PATIENT_DETAIL))


async def test_unexpected_error_is_500_problem_with_correlation_id(
    client: httpx.AsyncClient, staff: StaffFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    monkeypatch.setattr(accounts, "get_own_account", _explode)

    response = await client.get("/api/v1/auth/me", headers=admin.headers)

    assert response.status_code == 500
    assert _problem(response) == {
        "type": TYPES + "internal-error",
        "title": "Something went wrong on our side",
        "status": 500,
        "detail": "The error was logged; quote the correlation id if you report it.",
        "correlation_id": response.headers["X-Request-ID"],
    }


async def test_unexpected_error_logs_stack_and_id_but_not_the_token(
    client: httpx.AsyncClient,
    staff: StaffFactory,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    monkeypatch.setattr(accounts, "get_own_account", _explode)
    caplog.set_level(logging.DEBUG)

    response = await client.get(
        "/api/v1/auth/me", headers={**admin.headers, "X-Request-ID": "support-ticket-0042"}
    )

    errors = [record for record in caplog.records if record.name == "stepwise.errors"]
    assert response.status_code == 500
    assert _problem(response)["correlation_id"] == "support-ticket-0042"
    assert [record.levelname for record in errors] == ["ERROR"]
    assert (
        errors[0]
        .getMessage()
        .startswith("unhandled RuntimeError (its text withheld: it may hold patient data)\n")
    )
    assert errors[0].correlation_id == "support-ticket-0042"  # type: ignore[attr-defined]
    assert "in _explode" in caplog.text  # the stack, down to the frame that raised
    # The exception's own text can carry query arguments (patient details): never logged.
    assert PATIENT_DETAIL not in caplog.text
    everything_logged = caplog.text + "".join(str(vars(record)) for record in caplog.records)
    assert admin.token not in everything_logged
    assert admin.token.split(".")[2] not in everything_logged  # not even the signature


# -- request ids --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "content", "status"),
    [
        ("GET", "/health/live", None, 200),
        ("OPTIONS", "/health/live", None, 204),
        ("POST", LOGIN, b"{", 400),
        ("GET", "/api/v1/auth/me", None, 401),
        ("GET", "/nowhere", None, 404),
        ("PUT", "/health/live", None, 405),
        ("POST", LOGIN, b"x" * 1_200_000, 413),
    ],
)
async def test_every_response_carries_a_request_id(
    client: httpx.AsyncClient, method: str, path: str, content: bytes | None, status: int
) -> None:
    response = await client.request(method, path, content=content, headers=JSON)

    assert response.status_code == status
    assert GENERATED_ID.match(response.headers["X-Request-ID"])


@pytest.mark.parametrize(
    "incoming", ["req-1234", "0f9a8b7c-6d5e-4f3a-9b2c-1d0e9f8a7b6c", "A.b_C-d" + "x" * 57]
)
async def test_request_id_when_well_formed_is_echoed(
    client: httpx.AsyncClient, incoming: str
) -> None:
    response = await client.get("/health/live", headers={"X-Request-ID": incoming})

    assert response.status_code == 200
    assert response.headers["X-Request-ID"] == incoming


@pytest.mark.parametrize(
    "incoming",
    [
        "has spaces in it",
        "x" * 200,
        "x" * 65,  # one over the longest accepted
        "req-123",  # one under the shortest accepted
        "semi;colon-1234",
        "new\\nline-12345",
        "",
    ],
)
async def test_request_id_when_malformed_is_replaced(
    client: httpx.AsyncClient, incoming: str
) -> None:
    response = await client.get("/health/live", headers={"X-Request-ID": incoming})

    assert response.status_code == 200
    assert response.headers["X-Request-ID"] != incoming
    assert GENERATED_ID.match(response.headers["X-Request-ID"])


async def test_request_id_differs_for_each_request(client: httpx.AsyncClient) -> None:
    ids = {(await client.get("/health/live")).headers["X-Request-ID"] for _ in range(5)}

    assert len(ids) == 5


@pytest.mark.parametrize("depth", [100, 5_000, 100_000])
async def test_body_nested_deeper_than_any_form_needs_is_400_not_500(
    client: httpx.AsyncClient, staff: StaffFactory, depth: int
) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    nested = "[" * depth + "]" * depth  # 200 kB at the deepest: under the body limit
    body = '{"name": "Deep", "problems": ["stress"], "min_group_size": 6, ' + (
        f'"max_group_size": 12, "summary": {nested}, "session_plan": [{{"title": "One"}}]}}'
    )

    response = await client.post("/api/v1/courses", content=body, headers={**admin.headers, **JSON})

    assert response.status_code == 400
    assert _problem(response)["type"] == TYPES + "validation-error"
