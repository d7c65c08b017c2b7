"""Staff accounts: create, read, list, edit, deactivate, reset and change passwords."""

import secrets
from collections.abc import Sequence
from datetime import datetime
from functools import cache
from typing import Any
from uuid import UUID

from api.core.actor import Actor, Role
from api.core.database import is_postgres, write_transaction
from api.core.errors import Conflict, Forbidden, InvalidInput, NotAuthenticated, NotFound
from api.core.json_rows import json_object, page_json
from api.core.prepared import Param, PreparedSelect, PreparedVariants
from api.core.schemas import DEFAULT_PAGE_SIZE, Page, decode_cursor, encode_cursor
from api.core.settings import get_settings
from api.identity import audit
from api.identity.hashing import hash_password, verify_password
from api.identity.rules.passwords import password_problems
from api.identity.schemas import StaffUserCreate, StaffUserRead, StaffUserUpdate
from api.identity.sessions import revoke_sessions_of
from api.identity.tables import StaffUser
from api.identity.versioning import require_current_version, write_versioned

_READ_COLUMNS = (
    StaffUser.id,
    StaffUser.email,
    StaffUser.full_name,
    StaffUser.roles,
    StaffUser.is_active,
    StaffUser.must_change_password,
    StaffUser.version,
    StaffUser.created_at,
    StaffUser.updated_at,
)
_ENTITY = "staff_user"
_LIST_VARIANTS = PreparedVariants()
_LIST_JSON_VARIANTS = PreparedVariants()
_ONE_USER = PreparedSelect(
    lambda user_id: StaffUser.select(*_READ_COLUMNS).where(StaffUser.id == user_id).first(),
    arity=1,
    point_read=True,
    raw_rows=True,
)


def _require_admin(by: Actor) -> None:
    if not by.has_any(Role.ADMIN):
        raise Forbidden("Only admins manage staff accounts.")


def _check_password(password: str, email: str) -> None:
    problems = password_problems(
        password, min_length=get_settings().security.password_min_length, email=email
    )
    if problems:
        raise InvalidInput([{"field": "password", "reason": reason} for reason in problems])


def one_time_password() -> str:
    """A random password for a new account or a reset, to be changed at first sign-in."""
    return secrets.token_urlsafe(15)


async def _email_taken(email: str, *, other_than: UUID | None = None) -> bool:
    query = StaffUser.exists().where(StaffUser.email == email)
    if other_than is not None:
        query = query.where(StaffUser.id != other_than)
    return bool(await query)


async def create_staff_user(
    new: StaffUserCreate, *, by: Actor, now: datetime, password: str | None = None
) -> tuple[StaffUserRead, str | None]:
    """Create an account. Without ``password`` it gets a one-time password, returned once.

    ``by`` must be an admin, or the system (the CLI creating the first admin).
    """
    if by.user_id is not None:
        _require_admin(by)
    if password is not None:
        _check_password(password, new.email)
    chosen = password if password is not None else one_time_password()
    password_hash = await hash_password(chosen)
    async with write_transaction():
        if await _email_taken(new.email):
            raise Conflict("A staff account with this email already exists.", field="email")
        user = StaffUser(
            email=new.email,
            full_name=new.full_name,
            roles=sorted({role.value for role in new.roles}),
            password_hash=password_hash,
            must_change_password=password is None,
            created_at=now,
            updated_at=now,
        )
        await user.save()
        await audit.record(by, "staff_user.create", _ENTITY, user.id, now=now)
    read = await get_staff_user(user.id, by=by)
    return read, (None if password is not None else chosen)


async def get_staff_user(user_id: UUID, *, by: Actor) -> StaffUserRead:
    """One account; admins see anyone, others only themselves."""
    if by.user_id != user_id and by.user_id is not None:
        _require_admin(by)
    row = await _ONE_USER.first(user_id)
    if row is None:
        raise NotFound("No staff account with this id.")
    return StaffUserRead.model_validate(row)


async def get_own_account(*, by: Actor) -> StaffUserRead:
    """The signed-in user's own account."""
    if by.user_id is None:
        raise NotAuthenticated()
    return await get_staff_user(by.user_id, by=by)


def _list_shape(
    role: Role | None, include_inactive: bool, cursor: str | None, limit: int
) -> tuple[str | None, tuple[Any, ...]]:
    """The cursor's email, and the key of the prepared variant these filters need."""
    after_email = decode_cursor(cursor, str)[0] if cursor is not None else None
    return after_email, (include_inactive, role, after_email is not None, limit)


def _next_cursor(rows: list[dict[str, Any]], limit: int) -> str | None:
    # The query reads one row more than the page: its presence means there is a next page.
    return encode_cursor(rows[limit - 1]["email"]) if len(rows) > limit else None


async def list_staff_users(
    *,
    by: Actor,
    role: Role | None = None,
    include_inactive: bool = False,
    cursor: str | None = None,
    limit: int = DEFAULT_PAGE_SIZE,
) -> Page[StaffUserRead]:
    """Accounts in email order, a page at a time (keyset: flat cost at any depth)."""
    _require_admin(by)
    after_email, shape = _list_shape(role, include_inactive, cursor, limit)
    prepared = _LIST_VARIANTS.get(
        shape,
        lambda after: _list_query(
            _READ_COLUMNS,
            include_inactive=include_inactive,
            role=role,
            after=after if after_email is not None else None,
            limit=limit,
        ),
        arity=1,
        point_read=True,
        raw_rows=True,
    )
    rows = await prepared.fetch(after_email)
    return Page[StaffUserRead].model_validate(
        {"items": rows[:limit], "next_cursor": _next_cursor(rows, limit)}
    )


async def staff_users_page_json(
    *,
    by: Actor,
    role: Role | None = None,
    include_inactive: bool = False,
    cursor: str | None = None,
    limit: int = DEFAULT_PAGE_SIZE,
) -> bytes:
    """The same page as ``list_staff_users``, as the JSON body the API answers.

    The database writes each row's JSON (``api.core.json_rows``): per-row conversion and
    validation in Python cost more than the query. The bytes are those pydantic writes.
    """
    _require_admin(by)
    after_email, shape = _list_shape(role, include_inactive, cursor, limit)
    postgres = _on_postgres()
    prepared = _LIST_JSON_VARIANTS.get(
        shape,
        lambda after: _list_query(
            (
                json_object(StaffUserRead, _READ_COLUMNS, postgres=postgres).as_alias("item"),
                StaffUser.email,
            ),
            include_inactive=include_inactive,
            role=role,
            after=after if after_email is not None else None,
            limit=limit,
        ),
        arity=1,
        point_read=True,
        raw_rows=True,
        # PostgreSQL: one row back, not limit + 1: the page's texts in order, and the email
        # of its last row when a row follows it (the next cursor's key). SQLite 3.40 has no
        # ordered aggregate: there the rows come back as they are.
        wrap=(
            'SELECT array_agg(page."item" ORDER BY page."email") AS "items",'  # noqa: S608 - only an int goes in
            f' (array_agg(page."email" ORDER BY page."email"))[{int(limit)}] AS "last_email",'
            ' count(*) AS "found" FROM ({query}) AS page'
        )
        if postgres
        else None,
    )
    rows = await prepared.fetch(after_email)
    if postgres:
        items: list[str] = rows[0]["items"] or []
        last_email = rows[0]["last_email"] if rows[0]["found"] > limit else None
    else:
        items = [row["item"] for row in rows]
        last_email = rows[limit - 1]["email"] if len(rows) > limit else None
    return page_json(items[:limit], encode_cursor(last_email) if last_email is not None else None)


@cache
def _on_postgres() -> bool:
    # The engine is fixed for the process (Piccolo binds tables to it at import).
    return is_postgres()


def _list_query(
    columns: Sequence[Any],
    *,
    include_inactive: bool,
    role: Role | None,
    after: Param | None,
    limit: int,
) -> Any:
    query = StaffUser.select(*columns).order_by(StaffUser.email).limit(limit + 1)
    conditions: list[Any] = []
    if not include_inactive:
        conditions.append(StaffUser.is_active.eq(True))
    if role is not None:
        conditions.append(StaffUser.roles.any(role.value))
    if after is not None:
        conditions.append(StaffUser.email > after)
    return query.where(*conditions) if conditions else query


async def update_staff_user(
    user_id: UUID,
    changes: StaffUserUpdate,
    *,
    expected_version: int | None,
    by: Actor,
    now: datetime,
) -> StaffUserRead:
    """Edit an account if ``expected_version`` is still current (else 412)."""
    _require_admin(by)
    values: dict[Any, Any] = {}
    if changes.email is not None:
        values[StaffUser.email] = changes.email
    if changes.full_name is not None:
        values[StaffUser.full_name] = changes.full_name
    if changes.roles is not None:
        if user_id == by.user_id and Role.ADMIN not in changes.roles:
            raise Conflict("You cannot remove your own admin role.", field="roles")
        values[StaffUser.roles] = sorted({role.value for role in changes.roles})
    async with write_transaction():
        await require_current_version(StaffUser, user_id, expected_version)
        if changes.email is not None and await _email_taken(changes.email, other_than=user_id):
            raise Conflict("A staff account with this email already exists.", field="email")
        if values:
            values[StaffUser.updated_at] = now
            values[StaffUser.version] = StaffUser.version + 1
            await StaffUser.update(values).where(StaffUser.id == user_id)
            await audit.record(by, "staff_user.update", _ENTITY, user_id, now=now)
    return await get_staff_user(user_id, by=by)


async def set_active(
    user_id: UUID, *, active: bool, expected_version: int | None, by: Actor, now: datetime
) -> StaffUserRead:
    """Deactivate (tokens stop working at once) or reactivate an account."""
    _require_admin(by)
    if user_id == by.user_id and not active:
        raise Conflict("You cannot deactivate your own account.")
    async with write_transaction():
        await write_versioned(
            StaffUser,
            user_id,
            {StaffUser.is_active: active},
            expected_version=expected_version,
            now=now,
        )
        if not active:
            await revoke_sessions_of(user_id, now=now)
        action = "staff_user.reactivate" if active else "staff_user.deactivate"
        await audit.record(by, action, _ENTITY, user_id, now=now)
    return await get_staff_user(user_id, by=by)


async def reset_password(user_id: UUID, *, by: Actor, now: datetime) -> str:
    """Give an account a one-time password that must be changed at the next sign-in."""
    if by.user_id is not None:
        _require_admin(by)
    chosen = one_time_password()
    password_hash = await hash_password(chosen)
    async with write_transaction():
        updated = (
            await StaffUser.update(
                {
                    StaffUser.password_hash: password_hash,
                    StaffUser.must_change_password: True,
                    StaffUser.updated_at: now,
                    StaffUser.version: StaffUser.version + 1,
                }
            )
            .where(StaffUser.id == user_id)
            .returning(StaffUser.id)
        )
        if not updated:
            raise NotFound("No staff account with this id.")
        await revoke_sessions_of(user_id, now=now)
        await audit.record(by, "staff_user.reset_password", _ENTITY, user_id, now=now)
    return chosen


async def change_own_password(
    current_password: str, new_password: str, *, by: Actor, now: datetime
) -> None:
    """Change the signed-in user's password; other sessions of theirs are signed out."""
    if by.user_id is None:
        raise NotAuthenticated()
    row = (
        await StaffUser.select(StaffUser.email, StaffUser.password_hash)
        .where(StaffUser.id == by.user_id)
        .first()
    )
    if row is None or not await verify_password(row["password_hash"], current_password):
        raise InvalidInput(
            [{"field": "current_password", "reason": "is not your current password"}]
        )
    if new_password == current_password:
        raise InvalidInput(
            [{"field": "new_password", "reason": "must differ from the current one"}]
        )
    problems = password_problems(
        new_password, min_length=get_settings().security.password_min_length, email=row["email"]
    )
    if problems:
        raise InvalidInput([{"field": "new_password", "reason": reason} for reason in problems])
    password_hash = await hash_password(new_password)
    async with write_transaction():
        await StaffUser.update(
            {
                StaffUser.password_hash: password_hash,
                StaffUser.must_change_password: False,
                StaffUser.updated_at: now,
                StaffUser.version: StaffUser.version + 1,
            }
        ).where(StaffUser.id == by.user_id)
        await revoke_sessions_of(by.user_id, now=now, keep=by.session_id)
        await audit.record(by, "staff_user.change_password", _ENTITY, by.user_id, now=now)
