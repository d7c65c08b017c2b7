"""Schemathesis against the app's own OpenAPI document, signed in as an admin.

The app runs as a real uvicorn process on a free loopback port, on this pass's test
database. Not in this process: Schemathesis calls are synchronous and would need a second
event loop, while the Piccolo engine, and so its connection pool, is one per process.
The `database` fixture empties the tables before each operation's test, as for any other.

Only these checks run: no server errors; status codes, content types, headers and bodies
as documented. Half the generated path ids are swapped for a real account's, so the
handlers behind the 404s get exercised too.
"""

import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from api.core import clock
from api.core.actor import Actor, Role
from api.identity import accounts
from api.identity.schemas import StaffUserCreate
from api.web.app import create_app
from api.web.openapi import finish_openapi
from tests.factories import DEFAULT_PASSWORD

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
ROOT = Path(__file__).resolve().parents[2]
ADMIN_EMAIL = "schemathesis-admin@test.example"
LOGIN = "/api/v1/auth/login"
LOGOUT = "/api/v1/auth/logout"
STARTUP_SECONDS = 30.0

# The document /schema/openapi.json serves (finish_openapi returns it; calling it again changes
# nothing); the first test checks the server under test serves exactly this.
schema = schemathesis.openapi.from_dict(finish_openapi(create_app()))


@dataclass(frozen=True)
class Server:
    """The API on loopback, and where its log goes."""

    url: str
    log: Path


@dataclass(frozen=True)
class Accounts:
    """The admin the calls are made as, and another account for path ids to name."""

    admin_headers: dict[str, str]
    target_id: uuid.UUID


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _log_tail(log: Path, since: int = 0) -> str:
    with log.open("rb") as lines:
        lines.seek(since)
        return lines.read().decode(errors="replace")[-6_000:]


def _wait_until_live(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the API exited with {process.returncode}:\n{_log_tail(log)}")
        try:
            if httpx.get(f"{url}/health/ready", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    pytest.fail(f"the API did not answer within {STARTUP_SECONDS} s:\n{_log_tail(log)}")


@pytest.fixture(scope="module")
def server(migrated: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """uvicorn serving create_app() on the pass's database (the environment says which)."""
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    log_path = tmp_path_factory.mktemp("schemathesis") / "api.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(  # noqa: S603 - fixed argv: this interpreter, our app
            [
                sys.executable,
                "-m",
                "uvicorn",
                "api.web.app:create_app",
                "--factory",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--no-access-log",
            ],
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            _wait_until_live(url, process, log_path)
            yield Server(url=url, log=log_path)
        finally:
            process.terminate()
            process.wait(timeout=10)


def _sign_in(server: Server) -> dict[str, str]:
    response = httpx.post(
        f"{server.url}{LOGIN}",
        json={"email": ADMIN_EMAIL, "password": DEFAULT_PASSWORD},
        timeout=10,
    )
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


@pytest.fixture
async def signed_in(server: Server, database: None) -> Accounts:
    """An admin who is also a supervisor (so clinical routes are reached, not refused),
    signed in through the API, and a facilitator to aim at."""
    system, now = Actor.system(), clock.now()
    await accounts.create_staff_user(
        StaffUserCreate(
            email=ADMIN_EMAIL, full_name="Fuzz Admin", roles=[Role.ADMIN, Role.SUPERVISOR]
        ),
        by=system,
        now=now,
        password=DEFAULT_PASSWORD,
    )
    target, _ = await accounts.create_staff_user(
        StaffUserCreate(email="target@test.example", full_name="Target", roles=[Role.FACILITATOR]),
        by=system,
        now=now,
    )
    return Accounts(admin_headers=_sign_in(server), target_id=target.id)


def test_server_under_test_serves_the_document_being_tested(server: Server) -> None:
    response = httpx.get(f"{server.url}/schema/openapi.json", timeout=10)

    assert response.status_code == 200
    assert response.json() == schema.raw_schema


def _aim_at_real_account(case: schemathesis.Case, server: Server, signed_in: Accounts) -> None:
    """For about half the cases, name the real account; for half of those, its current ETag."""
    generated = (case.path_parameters or {}).get("user_id")
    try:
        parsed = uuid.UUID(str(generated))
    except ValueError:
        return  # not a UUID (or no id at all): keep what was generated
    if parsed.int % 2:
        return
    assert case.path_parameters is not None
    case.path_parameters["user_id"] = str(signed_in.target_id)
    if case.headers and "If-Match" in case.headers and parsed.int % 4 == 0:
        current = httpx.get(
            f"{server.url}/api/v1/staff/{signed_in.target_id}",
            headers=signed_in.admin_headers,
            timeout=10,
        )
        case.headers["If-Match"] = current.headers["ETag"]


@schema.parametrize()
@settings(
    max_examples=25,
    deadline=None,
    database=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
        HealthCheck.data_too_large,
    ],
)
def test_api_conforms_to_its_openapi_document(
    case: schemathesis.Case, server: Server, signed_in: Accounts
) -> None:
    _aim_at_real_account(case, server, signed_in)
    # Signing out revokes the token it carries: give each of those calls a fresh one.
    headers = _sign_in(server) if case.path == LOGOUT else signed_in.admin_headers

    logged_before = server.log.stat().st_size
    try:
        response = case.call_and_validate(base_url=server.url, headers=headers, checks=CHECKS)
    except BaseException:  # schemathesis's FailureGroup is a BaseExceptionGroup
        print(f"The API logged:\n{_log_tail(server.log, logged_before)}")  # the 500's stack
        raise

    # Schemathesis drops or mangles the token in some cases; ours is never refused.
    ours = response.request.headers.get("Authorization") == headers["Authorization"]
    refused = ours and response.status_code == 401
    assert not refused or case.path == LOGIN or case.method == "OPTIONS", response.text
