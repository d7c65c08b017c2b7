"""Identity tables: staff users, their sign-in sessions, login attempts and the audit log."""

from piccolo.columns import (
    UUID,
    Array,
    BigSerial,
    Boolean,
    ForeignKey,
    Integer,
    Timestamptz,
    Varchar,
)
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.columns.defaults.uuid import UUID4
from piccolo.table import Table


class StaffUser(Table):
    """A member of staff who signs in: admin, facilitator, supervisor (any mix)."""

    id = UUID(primary_key=True, default=UUID4())
    email = Varchar(length=254, unique=True, index=True)
    full_name = Varchar(length=200)
    roles = Array(base_column=Varchar(length=20))
    password_hash = Varchar(length=200)
    must_change_password = Boolean(default=False)
    is_active = Boolean(default=True)
    version = Integer(default=1)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class StaffSession(Table):
    """One issued access token (its ``jti``); logout or deactivation revokes it at once."""

    id = UUID(primary_key=True, default=UUID4())
    user = ForeignKey(references=StaffUser, null=False, index=True, on_delete=OnDelete.restrict)
    issued_at = Timestamptz(default=TimestamptzNow())
    expires_at = Timestamptz(default=TimestamptzNow())
    revoked_at = Timestamptz(null=True, default=None)


class LoginAttempt(Table):
    """A sign-in attempt, kept to slow down password guessing per account and per address."""

    id = BigSerial(primary_key=True)
    email = Varchar(length=254, index=True)
    client_address = Varchar(length=64, index=True)
    attempted_at = Timestamptz(default=TimestamptzNow(), index=True)
    succeeded = Boolean(default=False)


class AuditEntry(Table):
    """Who read or wrote what, when. Append-only: nothing updates or deletes a row."""

    id = BigSerial(primary_key=True)
    at = Timestamptz(default=TimestamptzNow(), index=True)
    actor = ForeignKey(references=StaffUser, null=True, index=True, on_delete=OnDelete.restrict)
    actor_kind = Varchar(length=20, default="staff")
    action = Varchar(length=60)
    entity = Varchar(length=60, index=True)
    entity_id = Varchar(length=64, index=True)
    request_id = Varchar(length=64, null=True, default=None)
