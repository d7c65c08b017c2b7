"""Signing in and out: throttled password checks, issued sessions, the per-request lookup."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from api.core.actor import Actor, Role
from api.core.database import write_transaction
from api.core.errors import NotAuthenticated, TooManyAttempts
from api.core.prepared import PreparedSelect
from api.core.settings import get_settings
from api.identity import audit
from api.identity.hashing import hash_password, hasher, verify_password
from api.identity.tables import LoginAttempt, StaffSession, StaffUser

_WRONG_CREDENTIALS = "The email or password is not right."
_ROLE_VALUES = frozenset(role.value for role in Role)


# Every authenticated request runs this: built once (see api.core.prepared).
_SESSION_WITH_USER = PreparedSelect(
    lambda session_id, user_id: (
        StaffSession.select(
            StaffSession.revoked_at,
            StaffSession.expires_at,
            StaffSession.user.roles.as_alias("roles"),
            StaffSession.user.is_active.as_alias("is_active"),
            StaffSession.user.must_change_password.as_alias("must_change_password"),
        )
        .where(StaffSession.id == session_id, StaffSession.user == user_id)
        .first()
    ),
    arity=2,
    point_read=True,
)


@dataclass(frozen=True, slots=True)
class Grant:
    """What a successful sign-in gives: the session a token names, and its expiry."""

    session_id: UUID
    user_id: UUID
    expires_at: datetime
    password_change_required: bool


async def _recent_failures(email: str, client_address: str, since: datetime) -> tuple[int, int]:
    """Failures since ``since``: for the account since its last success, and for the address."""
    account_rows = await (
        LoginAttempt.select(LoginAttempt.succeeded)
        .where(LoginAttempt.email == email, LoginAttempt.attempted_at > since)
        .order_by(LoginAttempt.attempted_at, ascending=False)
        .limit(get_settings().security.login_failures_per_account)
    )
    account_failures = 0
    for row in account_rows:
        if row["succeeded"]:
            break
        account_failures += 1
    address_failures = await LoginAttempt.count().where(
        LoginAttempt.client_address == client_address,
        LoginAttempt.attempted_at > since,
        LoginAttempt.succeeded.eq(False),
    )
    return account_failures, address_failures


async def log_in(
    email: str, password: str, *, client_address: str, request_id: str | None, now: datetime
) -> Grant:
    """Check a password and open a session, or refuse (401), or slow the caller down (429)."""
    security = get_settings().security
    email = email.strip().lower()
    window = timedelta(minutes=security.login_lockout_minutes)
    account_failures, address_failures = await _recent_failures(email, client_address, now - window)
    if (
        account_failures >= security.login_failures_per_account
        or address_failures >= security.login_failures_per_address
    ):
        raise TooManyAttempts(
            "Too many failed sign-ins: wait a few minutes, or ask an admin to reset the password.",
            retry_after_seconds=int(window.total_seconds()),
        )
    user = await StaffUser.objects().where(StaffUser.email == email).first()
    matches = await verify_password(user.password_hash if user else None, password)
    if user is None or not matches or not user.is_active:
        await LoginAttempt.insert(
            LoginAttempt(email=email, client_address=client_address, attempted_at=now)
        )
        raise NotAuthenticated(_WRONG_CREDENTIALS)
    new_hash = (
        await hash_password(password) if hasher().check_needs_rehash(user.password_hash) else None
    )
    session = StaffSession(
        user=user.id,
        issued_at=now,
        expires_at=now + timedelta(minutes=security.access_token_minutes),
    )
    async with write_transaction():
        await LoginAttempt.insert(
            LoginAttempt(
                email=email, client_address=client_address, attempted_at=now, succeeded=True
            )
        )
        await session.save()
        if new_hash is not None:
            await StaffUser.update({StaffUser.password_hash: new_hash}).where(
                StaffUser.id == user.id
            )
        await audit.record(
            Actor(user_id=user.id, request_id=request_id),
            "auth.login",
            "staff_user",
            user.id,
            now=now,
        )
    return Grant(
        session_id=session.id,
        user_id=user.id,
        expires_at=session.expires_at,
        password_change_required=user.must_change_password,
    )


async def log_out(*, by: Actor, now: datetime) -> None:
    """Revoke the session the caller's token names."""
    if by.session_id is None or by.user_id is None:
        raise NotAuthenticated()
    async with write_transaction():
        await StaffSession.update({StaffSession.revoked_at: now}).where(
            StaffSession.id == by.session_id, StaffSession.revoked_at.is_null()
        )
        await audit.record(by, "auth.logout", "staff_user", by.user_id, now=now)


async def revoke_sessions_of(user_id: UUID, *, now: datetime, keep: UUID | None = None) -> None:
    """Revoke a user's live sessions (inside the caller's transaction)."""
    query = StaffSession.update({StaffSession.revoked_at: now}).where(
        StaffSession.user == user_id, StaffSession.revoked_at.is_null()
    )
    if keep is not None:
        query = query.where(StaffSession.id != keep)
    await query


async def actor_for_session(
    session_id: UUID, user_id: UUID, *, request_id: str | None, now: datetime
) -> Actor | None:
    """The per-request check, one query: a live session of an active user, or None."""
    row = await _SESSION_WITH_USER.first(session_id, user_id)
    if row is None or row["revoked_at"] is not None or row["expires_at"] <= now:
        return None
    if not row["is_active"]:
        return None
    return Actor(
        user_id=user_id,
        roles=frozenset(Role(role) for role in row["roles"] if role in _ROLE_VALUES),
        request_id=request_id,
        session_id=session_id,
        must_change_password=bool(row["must_change_password"]),
    )
