"""Signing in and out through HTTP: tokens, revocation, forged tokens, throttling."""

from datetime import UTC, datetime, timedelta

import httpx
import jwt
import pytest

from api.core.actor import Role
from api.core.settings import get_settings
from tests.factories import StaffFactory

PROBLEM = "application/problem+json"


def _problem(response: httpx.Response) -> dict[str, object]:
    assert response.headers["content-type"] == PROBLEM
    body: dict[str, object] = response.json()
    return body


async def test_login_with_right_password_answers_bearer_token(staff: StaffFactory) -> None:
    user = await staff.create(Role.ADMIN)

    response = await staff.login(user.email)

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"access_token", "token_type", "expires_in", "password_change_required"}
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == get_settings().security.access_token_minutes * 60
    assert body["password_change_required"] is False


async def test_login_email_is_case_insensitive(staff: StaffFactory) -> None:
    user = await staff.create(email="Case@Test.Example")

    response = await staff.login("CASE@test.example")

    assert response.status_code == 200
    assert user.email == "case@test.example"


@pytest.mark.parametrize(
    ("email", "password"),
    [("known@test.example", "wrong-password-123"), ("unknown@test.example", "whatever-123")],
)
async def test_login_with_wrong_credentials_is_401_and_does_not_say_which(
    staff: StaffFactory, email: str, password: str
) -> None:
    await staff.create(email="known@test.example")

    response = await staff.login(email, password)

    assert response.status_code == 401
    assert _problem(response) == {
        "type": "https://stepwise.example/problems/not-authenticated",
        "title": "Sign-in required",
        "status": 401,
        "detail": "The email or password is not right.",
    }


async def test_logout_revokes_the_token_at_once(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    assert (await client.get("/api/v1/auth/me", headers=admin.headers)).status_code == 200

    logout = await client.post("/api/v1/auth/logout", headers=admin.headers)
    after = await client.get("/api/v1/auth/me", headers=admin.headers)

    assert logout.status_code == 204
    assert after.status_code == 401
    assert _problem(after)["type"] == "https://stepwise.example/problems/not-authenticated"


async def test_deactivated_users_token_stops_working_on_next_request(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    facilitator = await staff.signed_in(Role.FACILITATOR)
    read = await client.get(f"/api/v1/staff/{facilitator.user.id}", headers=admin.headers)

    deactivated = await client.post(
        f"/api/v1/staff/{facilitator.user.id}/deactivate",
        headers={**admin.headers, "If-Match": read.headers["ETag"]},
    )
    after = await client.get("/api/v1/auth/me", headers=facilitator.headers)
    login_again = await staff.login(facilitator.user.email)

    assert deactivated.status_code == 200
    assert deactivated.json()["is_active"] is False
    assert after.status_code == 401
    assert login_again.status_code == 401


def _forge(**overrides: object) -> str:
    settings = get_settings()
    now = datetime.now(UTC)
    claims: dict[str, object] = {
        "sub": "00000000-0000-4000-8000-000000000001",
        "jti": "00000000-0000-4000-8000-000000000002",
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(minutes=5)).timestamp()),
        "iss": settings.security.token_issuer,
        "aud": settings.security.staff_token_audience,
    }
    key = overrides.pop("_key", settings.signing_key())
    algorithm = overrides.pop("_alg", "HS256")
    claims.update(overrides)
    claims = {name: value for name, value in claims.items() if value is not None}
    return jwt.encode(claims, str(key), algorithm=str(algorithm))


def _alg_none_token(sub: str, jti: str) -> str:
    import base64
    import json

    def part(data: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    now = int(datetime.now(UTC).timestamp())
    settings = get_settings()
    payload = {
        "sub": sub,
        "jti": jti,
        "iat": now,
        "exp": now + 300,
        "iss": settings.security.token_issuer,
        "aud": settings.security.staff_token_audience,
    }
    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(payload)}."


@pytest.mark.parametrize(
    "case",
    [
        "wrong_audience",
        "wrong_issuer",
        "expired",
        "alg_none",
        "missing_jti",
        "missing_aud",
        "missing_iss",
        "wrong_key",
        "not_a_uuid_subject",
        "garbage",
        "revoked_session_reused_for_other_user",
    ],
)
async def test_forged_or_stale_tokens_are_401_never_500(
    staff: StaffFactory, client: httpx.AsyncClient, case: str
) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    claims = jwt.decode(admin.token, options={"verify_signature": False})
    sub, jti = claims["sub"], claims["jti"]
    past = int((datetime.now(UTC) - timedelta(minutes=1)).timestamp())
    tokens = {
        "wrong_audience": lambda: _forge(sub=sub, jti=jti, aud="stepwise-mobile"),
        "wrong_issuer": lambda: _forge(sub=sub, jti=jti, iss="someone-else"),
        "expired": lambda: _forge(sub=sub, jti=jti, exp=past, iat=past - 60),
        "alg_none": lambda: _alg_none_token(sub, jti),
        "missing_jti": lambda: _forge(sub=sub, jti=None),
        "missing_aud": lambda: _forge(sub=sub, jti=jti, aud=None),
        "missing_iss": lambda: _forge(sub=sub, jti=jti, iss=None),
        "wrong_key": lambda: _forge(sub=sub, jti=jti, _key="x" * 48),
        "not_a_uuid_subject": lambda: _forge(sub="admin", jti=jti),
        "garbage": lambda: "not.a.token",
        "revoked_session_reused_for_other_user": lambda: _forge(
            sub="00000000-0000-4000-8000-000000000009", jti=jti
        ),
    }

    response = await client.get(
        "/api/v1/auth/me", headers={"Authorization": f"Bearer {tokens[case]()}"}
    )

    assert response.status_code == 401
    assert _problem(response)["type"] == "https://stepwise.example/problems/not-authenticated"


async def test_repeated_failures_lock_the_account_with_retry_after(staff: StaffFactory) -> None:
    user = await staff.create()
    limit = get_settings().security.login_failures_per_account
    for _ in range(limit):
        assert (await staff.login(user.email, "wrong-password-xyz")).status_code == 401

    locked = await staff.login(user.email)  # even the right password waits out the lock

    assert locked.status_code == 429
    assert locked.headers["Retry-After"] == str(get_settings().security.login_lockout_minutes * 60)
    assert _problem(locked)["type"] == "https://stepwise.example/problems/too-many-attempts"


async def test_a_success_resets_the_account_failure_count(staff: StaffFactory) -> None:
    user = await staff.create()
    limit = get_settings().security.login_failures_per_account
    for _ in range(limit - 1):
        await staff.login(user.email, "wrong-password-xyz")
    assert (await staff.login(user.email)).status_code == 200

    for _ in range(limit - 1):
        await staff.login(user.email, "wrong-password-xyz")

    assert (await staff.login(user.email)).status_code == 200


async def test_one_address_guessing_many_accounts_is_slowed(staff: StaffFactory) -> None:
    limit = get_settings().security.login_failures_per_address
    for number in range(limit):
        await staff.login(f"nobody{number}@test.example", "wrong-password-xyz")
    user = await staff.create()

    response = await staff.login(user.email)

    assert response.status_code == 429
