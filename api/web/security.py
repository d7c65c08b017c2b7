"""Bearer tokens (JWT naming a server-side session), role guards and the acting user."""

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from litestar import Request
from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler
from litestar.security.jwt import JWTAuth, Token

from api.core import clock
from api.core.actor import Actor, Role
from api.core.context import request_id_var
from api.core.errors import PasswordChangeRequired
from api.core.settings import Settings
from api.identity.sessions import actor_for_session
from api.web.tokens import RememberedToken

JWT_ALGORITHM = "HS256"  # the only algorithm accepted: no "none", no key confusion
REQUIRED_CLAIMS = ("sub", "jti", "exp", "iat", "iss", "aud")
PUBLIC_OPT = "exclude_from_auth"
PASSWORD_CHANGE_OPT = "allowed_before_password_change"  # noqa: S105 - an opt key
STAFF_AUTH_STATE = "staff_auth"  # app.state key of the JWTAuth that signs staff tokens
Guard = Callable[[ASGIConnection[Any, Any, Any, Any], BaseRouteHandler], Awaitable[None]]


def _as_uuid(value: object) -> UUID | None:
    try:
        return UUID(str(value))
    except ValueError:
        return None


async def _retrieve_actor(
    token: Token, connection: ASGIConnection[Any, Any, Any, Any]
) -> Actor | None:
    session_id, user_id = _as_uuid(token.jti), _as_uuid(token.sub)
    if session_id is None or user_id is None:
        return None
    return await actor_for_session(
        session_id, user_id, request_id=request_id_var.get(), now=clock.now()
    )


async def _is_revoked(token: Token, connection: ASGIConnection[Any, Any, Any, Any]) -> bool:
    # _retrieve_actor has already refused revoked, expired and deactivated sessions in
    # the same query; this guards against a token whose jti is not a session at all.
    return _as_uuid(token.jti) is None


def staff_jwt_auth(settings: Settings) -> JWTAuth[Actor, Token]:
    """JWT auth for /api/v1: issuer, audience and claims required; one algorithm."""
    security = settings.security
    return JWTAuth[Actor, Token](
        retrieve_user_handler=_retrieve_actor,
        revoked_token_handler=_is_revoked,
        token_secret=settings.signing_key(),
        algorithm=JWT_ALGORITHM,
        accepted_issuers=[security.token_issuer],
        accepted_audiences=[security.staff_token_audience],
        strict_audience=True,
        require_claims=list(REQUIRED_CLAIMS),
        token_cls=RememberedToken,
        # Anchored: Litestar matches these anywhere in the path.
        exclude=["^/schema(/|$)"],
        exclude_opt_key=PUBLIC_OPT,
        default_token_expiration=timedelta(minutes=security.access_token_minutes),
    )


def issue_token(
    auth: JWTAuth[Actor, Token],
    *,
    user_id: UUID,
    session_id: UUID,
    expires_at: datetime,
    settings: Settings,
) -> str:
    """Sign a token for a session."""
    return auth.create_token(
        identifier=str(user_id),
        token_expiration=expires_at - clock.now(),
        token_issuer=settings.security.token_issuer,
        token_audience=settings.security.staff_token_audience,
        token_unique_jwt_id=str(session_id),
    )


def _signed_in_actor(connection: ASGIConnection[Any, Any, Any, Any]) -> Actor | None:
    """The actor the auth middleware set, or None where it did not run.

    The middleware skips OPTIONS (Litestar's automatic handlers), where reading
    ``connection.user`` raises a 500; a guarded route answers those 401 instead.
    """
    actor = connection.scope.get("user")
    return actor if isinstance(actor, Actor) else None


def requires(*roles: Role) -> Guard:
    """A guard admitting staff holding any of ``roles``; the roles are kept for the route audit."""

    async def guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        actor = _signed_in_actor(connection)
        if actor is None:
            raise NotAuthorizedException()
        if not actor.has_any(*roles):
            raise PermissionDeniedException("Your role does not allow this.")

    guard.required_roles = frozenset(roles)  # type: ignore[attr-defined]
    return guard


async def signed_in(
    connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler
) -> None:
    """Every staff route: a signed-in user whose password is not pending a change."""
    if handler.opt.get(PUBLIC_OPT):
        return
    actor = _signed_in_actor(connection)
    if actor is None:
        raise NotAuthorizedException()
    if actor.must_change_password and not handler.opt.get(PASSWORD_CHANGE_OPT):
        raise PasswordChangeRequired(
            "Change your one-time password first: POST /api/v1/auth/password."
        )


async def provide_actor(request: Request[Any, Any, Any]) -> Actor:
    """The signed-in staff member, for handlers that take ``actor: Actor``."""
    actor = request.user
    if not isinstance(actor, Actor):
        raise NotAuthorizedException()
    return actor
