"""Remembered token verification: a cached token still expires, a bad one is never cached."""

from datetime import UTC, datetime, timedelta

import jwt
import pytest
import time_machine
from litestar.exceptions import NotAuthorizedException

from api.web.tokens import RememberedToken

SECRET = "s" * 48
RULES = {"audience": ["aud"], "issuer": ["iss"], "require_claims": ["sub", "exp", "jti"]}


def _token(*, expires_in: timedelta, secret: str = SECRET) -> str:
    now = datetime.now(UTC)
    claims = {
        "sub": "user",
        "jti": "session",
        "aud": "aud",
        "iss": "iss",
        "iat": int(now.timestamp()),
        "exp": int((now + expires_in).timestamp()),
    }
    return jwt.encode(claims, secret, algorithm="HS256")


def _decode(encoded: str) -> RememberedToken:
    return RememberedToken.decode(encoded, SECRET, "HS256", **RULES)  # type: ignore[arg-type]


def test_remembered_token_is_refused_once_it_expires() -> None:
    encoded = _token(expires_in=timedelta(minutes=5))
    assert _decode(encoded).sub == "user"

    with (
        time_machine.travel(datetime.now(UTC) + timedelta(minutes=6)),
        pytest.raises(NotAuthorizedException),
    ):
        _decode(encoded)


def test_token_signed_with_another_key_is_refused_every_time() -> None:
    forged = _token(expires_in=timedelta(minutes=5), secret="x" * 48)

    for _ in range(2):
        with pytest.raises(NotAuthorizedException):
            _decode(forged)


def test_token_checked_under_other_rules_is_verified_again() -> None:
    encoded = _token(expires_in=timedelta(minutes=5))
    _decode(encoded)

    with pytest.raises(NotAuthorizedException):
        RememberedToken.decode(encoded, SECRET, "HS256", audience=["other"], issuer=["iss"])
