"""The OpenAPI document at /schema/openapi.json says what the server enforces, and a client
generator reads it without a warning."""

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from litestar import Litestar

from api.core.schemas import RequestModel
from api.web.problems import PROBLEM_MEDIA_TYPE
from api.web.public_routes import PUBLIC_ROUTES

PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
HTTP_METHODS = frozenset({"get", "put", "post", "delete", "options", "head", "patch", "trace"})
GENERATOR = Path(sys.executable).parent / "openapi-python-client"
FILE_CONTENT_TYPES = {
    "image/svg+xml": "application/octet-stream",
    "text/csv": "application/octet-stream",
    "text/calendar": "application/octet-stream",
}


@pytest.fixture(scope="module")
async def document(app: Litestar) -> dict[str, Any]:
    """The document as a client fetches it (no database needed)."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        response = await http.get("/schema/openapi.json")
    assert response.status_code == 200
    served: dict[str, Any] = response.json()
    return served


def _operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method in HTTP_METHODS:
                yield method.upper(), path, operation


def _request_model_names() -> set[str]:
    names, pending = set(), list(RequestModel.__subclasses__())
    while pending:
        model = pending.pop()
        names.add(model.__name__)
        pending.extend(model.__subclasses__())
    return names


def test_openapi_version_is_3_1(document: dict[str, Any]) -> None:
    assert re.fullmatch(r"3\.1\.\d+", document["openapi"])


def test_openapi_lists_every_public_route(document: dict[str, Any]) -> None:
    documented = {(method, path) for method, path, _ in _operations(document)}

    assert documented >= PUBLIC_ROUTES
    assert len(documented) > len(PUBLIC_ROUTES)


def test_openapi_every_staff_operation_documents_401_and_403(document: dict[str, Any]) -> None:
    missing = [
        (method, path, sorted(operation["responses"]))
        for method, path, operation in _operations(document)
        if (method, path) not in PUBLIC_ROUTES
        and not {"401", "403"} <= operation["responses"].keys()
    ]

    assert missing == []


def test_openapi_public_operations_do_not_claim_role_checks(document: dict[str, Any]) -> None:
    claims = [
        (method, path)
        for method, path, operation in _operations(document)
        if (method, path) in PUBLIC_ROUTES and "403" in operation["responses"]
    ]

    assert claims == []


def test_openapi_bearer_token_is_the_default_and_public_operations_opt_out(
    document: dict[str, Any],
) -> None:
    schemes = document["components"]["securitySchemes"]
    opted_out = {
        (method, path)
        for method, path, operation in _operations(document)
        if operation.get("security", document["security"]) == []
    }

    assert document["security"] == [{"BearerToken": []}]
    assert schemes["BearerToken"]["type"] == "http"
    assert schemes["BearerToken"]["scheme"] == "Bearer"
    assert opted_out == PUBLIC_ROUTES


def test_openapi_operations_with_bodies_document_400_and_413(document: dict[str, Any]) -> None:
    with_body = [(m, p, o) for m, p, o in _operations(document) if "requestBody" in o]
    missing = [
        (method, path, sorted(operation["responses"]))
        for method, path, operation in with_body
        if not {"400", "413"} <= operation["responses"].keys()
    ]

    assert missing == []
    assert len(with_body) >= 4  # login, password, staff create and edit


def test_openapi_every_error_response_is_the_shared_problem(document: dict[str, Any]) -> None:
    wrong = []
    for method, path, operation in _operations(document):
        for status, response in operation["responses"].items():
            if int(status) < 400:
                continue
            content = response.get("content", {})
            if content != {PROBLEM_MEDIA_TYPE: {"schema": PROBLEM_REF}}:
                wrong.append((method, path, status, content))

    assert wrong == []


def test_openapi_problem_schema_requires_type_title_status(document: dict[str, Any]) -> None:
    problem = document["components"]["schemas"]["Problem"]

    assert problem["required"] == ["type", "title", "status"]
    assert set(problem["properties"]) == {
        "type",
        "title",
        "status",
        "detail",
        "errors",
        "correlation_id",
    }


def test_openapi_request_models_refuse_unknown_fields(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    present = _request_model_names() & set(schemas)

    assert {"LoginRequest", "PasswordChange", "StaffUserCreate", "StaffUserUpdate"} <= present
    assert {name: schemas[name].get("additionalProperties") for name in present} == {
        name: False for name in present
    }


def test_openapi_request_bodies_all_use_request_models(document: dict[str, Any]) -> None:
    names = _request_model_names()
    refs = [
        operation["requestBody"]["content"]["application/json"]["schema"].get("$ref", "")
        for _, _, operation in _operations(document)
        if "requestBody" in operation
    ]

    assert [ref for ref in refs if ref.rpartition("/")[2] not in names] == []


def test_openapi_python_client_generates_without_warnings(
    document: dict[str, Any], tmp_path: Path
) -> None:
    source = tmp_path / "openapi.json"
    source.write_text(json.dumps(document))
    # Operations that answer files (SVG charts, CSV exports, calendars) come back as bytes.
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"content_type_overrides": FILE_CONTENT_TYPES}))
    output = tmp_path / "client"
    # Its post-hooks run ruff, which lives beside it in the virtualenv.
    env = {**os.environ, "PATH": f"{GENERATOR.parent}{os.pathsep}{os.environ.get('PATH', '')}"}

    result = subprocess.run(  # noqa: S603 - fixed argv, our own venv's binary
        [
            str(GENERATOR),
            "generate",
            "--path",
            str(source),
            "--output-path",
            str(output),
            "--meta",
            "none",
            "--config",
            str(config),
            "--fail-on-warning",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )

    printed = result.stdout + result.stderr
    assert result.returncode == 0, printed
    assert [line for line in printed.splitlines() if "warning" in line.lower()] == []
    assert [line for line in printed.splitlines() if "error" in line.lower()] == []
    models = {path.stem for path in (output / "models").glob("*.py")}
    assert {"problem", "login_request", "staff_user_create", "staff_user_read"} <= models
    assert {path.name for path in (output / "api").iterdir() if path.is_dir()} >= {
        "auth",
        "staff",
        "audit",
        "health",
    }
