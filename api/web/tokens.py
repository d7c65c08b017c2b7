"""Access tokens whose verification is remembered.

PyJWT re-checks every character of a token's base64 on each decode (about 80 us here,
a quarter of a primary-key read's whole cost). A token string that verified once, with
this process's key and rules, verifies the same way again: only its expiry can change,
and that is checked on every use. Revocation is the session lookup's job, not this.
"""

from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, Self

from litestar.exceptions import NotAuthorizedException
from litestar.security.jwt import Token

_REMEMBERED_TOKENS = 4096


class RememberedToken(Token):
    """A Litestar JWT whose successful verification is cached by the token string."""

    @classmethod
    def decode(
        cls,
        encoded_token: str,
        secret: str,
        algorithm: str,
        audience: Any = None,
        issuer: Any = None,
        require_claims: Any = None,
        verify_exp: bool = True,
        verify_nbf: bool = True,
        strict_audience: bool = False,
    ) -> Self:
        """Verify once; afterwards only check that the token has not expired."""
        token: Self = _verified(
            cls,  # type: ignore[arg-type]
            encoded_token,
            secret,
            algorithm,
            _frozen(audience),
            _frozen(issuer),
            _frozen(require_claims),
            verify_exp,
            verify_nbf,
            strict_audience,
        )
        if verify_exp and token.exp <= datetime.now(UTC):
            raise NotAuthorizedException("Invalid token")
        return token


def _frozen(value: Any) -> Any:
    return tuple(value) if isinstance(value, list | tuple) else value


@lru_cache(maxsize=_REMEMBERED_TOKENS)
def _verified(
    cls: type[Token],
    encoded_token: str,
    secret: str,
    algorithm: str,
    audience: Any,
    issuer: Any,
    require_claims: Any,
    verify_exp: bool,
    verify_nbf: bool,
    strict_audience: bool,
) -> Any:
    # Failures raise and are not cached; only tokens that verified are remembered.
    return Token.decode.__func__(  # type: ignore[attr-defined]
        cls,
        encoded_token=encoded_token,
        secret=secret,
        algorithm=algorithm,
        audience=list(audience) if isinstance(audience, tuple) else audience,
        issuer=list(issuer) if isinstance(issuer, tuple) else issuer,
        require_claims=list(require_claims) if isinstance(require_claims, tuple) else None,
        verify_exp=verify_exp,
        verify_nbf=verify_nbf,
        strict_audience=strict_audience,
    )
