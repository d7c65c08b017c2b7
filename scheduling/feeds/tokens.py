"""Feed URLs: make one (the token shown once, only its SHA-256 kept), list them, revoke one.

Who may make or manage a feed for whom:

- facilitator feeds: a facilitator for themself; admins for any active facilitator;
- venue feeds: admins;
- patient feeds: admins, or a facilitator of a group the patient is (or was) enrolled in.

The creator of a feed may always revoke it. Every write is audited; a patient feed's
creation and revocation are also recorded against the patient (patient-record writes).
"""

import hashlib
import re
import secrets
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from api.core.actor import Actor, Role
from api.core.database import for_update, write_transaction
from api.core.errors import Forbidden, InvalidInput, NotFound
from api.core.schemas import DEFAULT_PAGE_SIZE, Page, decode_cursor, encode_cursor
from api.identity import audit
from api.identity.tables import StaffUser
from groups.access import facilitates_patient
from groups.tables import Patient
from scheduling.schemas.feeds import (
    CalendarFeedCreate,
    CalendarFeedCreated,
    CalendarFeedRead,
    FeedOwnerKind,
)
from scheduling.tables import CalendarFeed, Venue

ENTITY = "calendar_feed"
TOKEN_BYTES = 32  # 256 bits of randomness; the brief's floor is 128
_FILENAME = re.compile(r"([A-Za-z0-9_-]{43})\.ics")  # token_urlsafe(32) is 43 characters
_BAD_CURSOR = [{"field": "cursor", "reason": "is not a cursor this API gave"}]
_COLUMNS = (
    CalendarFeed.id,
    CalendarFeed.owner_kind,
    CalendarFeed.owner_id,
    CalendarFeed.created_by,
    CalendarFeed.created_at,
    CalendarFeed.revoked_at,
)


def new_token() -> str:
    """A fresh secret for a feed URL."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def hash_token(token: str) -> str:
    """What is stored and looked up: the token's SHA-256, 64 hex digits."""
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def feed_path(token: str) -> str:
    """The feed's address on this service."""
    return f"/feeds/{token}.ics"


def token_from_filename(filename: str) -> str | None:
    """The token in ``{token}.ics``, or None when the name is not one we could have issued."""
    match = _FILENAME.fullmatch(filename)  # not match: "$" would let a final newline in
    return match.group(1) if match else None


async def _may_manage(owner_kind: FeedOwnerKind, owner_id: UUID, by: Actor) -> bool:
    """Whether the actor may make, list or revoke feeds of this owner."""
    if by.user_id is None or by.has_any(Role.ADMIN):
        return True
    if owner_kind is FeedOwnerKind.FACILITATOR:
        return by.has_any(Role.FACILITATOR) and owner_id == by.user_id
    if owner_kind is FeedOwnerKind.PATIENT:
        return by.has_any(Role.FACILITATOR) and await facilitates_patient(by, owner_id)
    return False


async def _owner_exists(owner_kind: FeedOwnerKind, owner_id: UUID) -> bool:
    if owner_kind is FeedOwnerKind.FACILITATOR:
        staff = (
            await StaffUser.select(StaffUser.roles, StaffUser.is_active)
            .where(StaffUser.id == owner_id)
            .first()
        )
        return staff is not None and staff["is_active"] and Role.FACILITATOR in staff["roles"]
    if owner_kind is FeedOwnerKind.VENUE:
        return bool(await Venue.exists().where(Venue.id == owner_id))
    return bool(await Patient.exists().where(Patient.id == owner_id))


_NO_OWNER = {
    FeedOwnerKind.FACILITATOR: "No active facilitator with this id.",
    FeedOwnerKind.VENUE: "No venue with this id.",
    FeedOwnerKind.PATIENT: "No patient with this id.",
}
_NOT_YOURS = {
    FeedOwnerKind.FACILITATOR: "Facilitators make feeds of their own sessions only.",
    FeedOwnerKind.VENUE: "Only admins make venue feeds.",
    FeedOwnerKind.PATIENT: "You do not facilitate a group this patient is enrolled in.",
}


async def _require_may_manage(owner_kind: FeedOwnerKind, owner_id: UUID, by: Actor) -> None:
    if await _may_manage(owner_kind, owner_id, by):
        return
    # A patient the caller cannot reach: say 404 when there is no such patient at all.
    if owner_kind is FeedOwnerKind.PATIENT and not await _owner_exists(owner_kind, owner_id):
        raise NotFound(_NO_OWNER[owner_kind])
    raise Forbidden(_NOT_YOURS[owner_kind])


async def _record(by: Actor, action: str, row: dict[str, Any], *, now: datetime) -> None:
    await audit.record(by, f"{ENTITY}.{action}", ENTITY, row["id"], now=now)
    if row["owner_kind"] == FeedOwnerKind.PATIENT:
        await audit.record(by, f"patient.{ENTITY}.{action}", "patient", row["owner_id"], now=now)


async def create_feed(new: CalendarFeedCreate, *, by: Actor, now: datetime) -> CalendarFeedCreated:
    """A new feed; its URL (and so its token) is in this answer and nowhere else, ever."""
    token = new_token()
    feed = CalendarFeed(
        token_hash=hash_token(token),
        owner_kind=new.owner_kind.value,
        owner_id=str(new.owner_id),
        created_by=by.user_id,
        created_at=now,
    )
    async with write_transaction():
        await _require_may_manage(new.owner_kind, new.owner_id, by)
        if not await _owner_exists(new.owner_kind, new.owner_id):
            raise NotFound(_NO_OWNER[new.owner_kind])
        await feed.save()
        await _record(by, "create", {"id": feed.id, **new.model_dump()}, now=now)
    return CalendarFeedCreated(
        id=feed.id,
        owner_kind=new.owner_kind,
        owner_id=new.owner_id,
        created_by=by.user_id,
        created_at=now,
        revoked_at=None,
        url_path=feed_path(token),
    )


def _after(cursor: str | None) -> list[Any]:
    """Keyset condition for the page after ``cursor`` in (created_at, id) descending order."""
    if cursor is None:
        return []
    raw_at, raw_id = decode_cursor(cursor, str, str)
    try:
        after_at, after_id = datetime.fromisoformat(raw_at), UUID(raw_id)
    except ValueError as error:
        raise InvalidInput(_BAD_CURSOR) from error
    if after_at.utcoffset() is None or after_at.utcoffset():
        raise InvalidInput(_BAD_CURSOR)  # we write UTC; anything else was not ours
    return [
        (CalendarFeed.created_at < after_at)
        | ((CalendarFeed.created_at == after_at) & (CalendarFeed.id < after_id))
    ]


async def list_feeds(
    *,
    by: Actor,
    now: datetime,
    owner_kind: FeedOwnerKind | None = None,
    owner_id: UUID | None = None,
    include_revoked: bool = False,
    cursor: str | None = None,
    limit: int = DEFAULT_PAGE_SIZE,
) -> Page[CalendarFeedRead]:
    """Feeds newest first: the caller's own (made by or for them), or one owner's.

    Naming an owner needs the right to manage that owner's feeds. Patient ids shown are
    recorded as patient reads.
    """
    if (owner_kind is None) != (owner_id is None):
        missing = "owner_id" if owner_id is None else "owner_kind"
        raise InvalidInput([{"field": missing, "reason": "is required with the other owner field"}])
    conditions: list[Any] = _after(cursor)
    if owner_kind is not None and owner_id is not None:
        await _require_may_manage(owner_kind, owner_id, by)
        conditions += [CalendarFeed.owner_kind == owner_kind.value]
        conditions += [CalendarFeed.owner_id == str(owner_id)]
    else:
        conditions.append(
            (CalendarFeed.created_by == by.user_id)
            | (
                (CalendarFeed.owner_kind == FeedOwnerKind.FACILITATOR.value)
                & (CalendarFeed.owner_id == str(by.user_id))
            )
        )
    if not include_revoked:
        conditions.append(CalendarFeed.revoked_at.is_null())
    query = (
        CalendarFeed.select(*_COLUMNS)
        .where(*conditions)
        .order_by(CalendarFeed.created_at, CalendarFeed.id, ascending=False)
        .limit(limit + 1)
    )
    async with write_transaction():  # the reads of patient ids are written with the page
        rows = await query
        items = [CalendarFeedRead.model_validate(row) for row in rows[:limit]]
        patients = [item.owner_id for item in items if item.owner_kind is FeedOwnerKind.PATIENT]
        await audit.record_reads(by, "patient", dict.fromkeys(patients), now=now)
    next_cursor = None
    if len(rows) > limit:
        last = items[-1]
        next_cursor = encode_cursor(last.created_at.astimezone(UTC).isoformat(), str(last.id))
    return Page[CalendarFeedRead](items=items, next_cursor=next_cursor)


async def revoke_feed(feed_id: UUID, *, by: Actor, now: datetime) -> None:
    """Revoke at once: the next fetch of its URL is a 404. Revoking twice changes nothing."""
    async with write_transaction():
        row = await for_update(
            CalendarFeed.select(*_COLUMNS).where(CalendarFeed.id == feed_id)
        ).first()
        if row is None:
            raise NotFound("No calendar feed with this id.")
        kind = FeedOwnerKind(row["owner_kind"])
        mine = by.user_id is not None and row["created_by"] == by.user_id
        if not mine and not await _may_manage(kind, UUID(row["owner_id"]), by):
            raise Forbidden("You may revoke only feeds you made or may manage.")
        if row["revoked_at"] is not None:
            return
        await CalendarFeed.update({CalendarFeed.revoked_at: now}).where(CalendarFeed.id == feed_id)
        await _record(by, "revoke", row, now=now)
