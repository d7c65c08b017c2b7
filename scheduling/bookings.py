"""Booking rooms: create, move or edit, cancel. Every check and the write share one transaction.

The overlap rule holds two ways. The service looks for a clash inside its write
transaction, after locking the room row (PostgreSQL; on SQLite the transaction is
BEGIN IMMEDIATE, which already serialises writers), so concurrent bookings of one room
queue and the later ones see the earlier. On PostgreSQL the exclusion constraint
``room_booking_no_overlap`` also refuses an overlapping row written by anything else;
its error becomes the same RoomUnavailable problem.
"""

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from asyncpg.exceptions import ExclusionViolationError  # type: ignore[import-untyped]

from api.core.actor import Actor, Role
from api.core.database import for_update, is_postgres, write_transaction
from api.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from api.core.prepared import PreparedSelect
from api.identity import audit
from api.identity.versioning import require_current_version
from scheduling.booking_checks import check_venue_rules, venue_problem
from scheduling.booking_queries import (
    BOOKING_COLUMNS,
    CANCELLED,
    booking_read,
    find_clash,
    get_booking,
    service_zone,
)
from scheduling.errors import Archived, InvalidLocalTime, RoomUnavailable
from scheduling.rules import booking as rules
from scheduling.rules.opening import ClosureSpan, OpeningRange
from scheduling.rules.wallclock import AmbiguousLocalTime, NonexistentLocalTime, to_instant
from scheduling.schemas.bookings import BookingCreate, BookingRead, BookingUpdate
from scheduling.tables import Closure, Room, RoomBooking, Venue

_ENTITY = "room_booking"


class BookingCancelled(Conflict):
    """The booking is cancelled: it stays as history and cannot be edited or cancelled again."""

    code = "booking-cancelled"
    title = "The booking is cancelled"


def _require_admin(by: Actor) -> None:
    if by.user_id is not None and not by.has_any(Role.ADMIN):
        raise Forbidden("Only admins book rooms.")


def to_utc(field: str, value: datetime, zone: ZoneInfo) -> datetime:
    """An instant from what a person sent: with an offset as given, naive as wall clock."""
    problem = rules.year_problem(field, value) or rules.minute_problem(field, value)
    if problem is not None:
        raise InvalidInput([{"field": problem.field, "reason": problem.reason}])
    try:
        return to_instant(value, zone)
    except (NonexistentLocalTime, AmbiguousLocalTime) as error:
        raise InvalidLocalTime([{"field": field, "reason": str(error)}]) from error


def check_slot(starts_at: datetime, ends_at: datetime, zone: ZoneInfo) -> None:
    """400 naming the field when the slot is malformed."""
    problems = rules.slot_problems(starts_at, ends_at, zone)
    if problems:
        raise InvalidInput([{"field": p.field, "reason": p.reason} for p in problems])


def _check_subject(kind: str | None, subject_id: str | None) -> None:
    if (kind is None) != (subject_id is None):
        missing = "subject_id" if subject_id is None else "subject_kind"
        raise InvalidInput([{"field": missing, "reason": "give subject_kind and subject_id both"}])


def _room_to_lock(room_id: Any) -> Any:
    query = Room.select(
        Room.id, Room.name, Room.is_archived, Room.venue.as_alias("venue_id")
    ).where(Room.id == room_id)
    if is_postgres():
        # Bookings of one room queue here; NO KEY UPDATE lets other rows reference the room.
        return query.lock_rows("NO KEY UPDATE")
    return query


_ROOM_LOCKED = PreparedSelect(_room_to_lock, arity=1)
# The venue's facts, read in a statement of their own once the room is locked: a change
# to the venue (archive, hours, closures) locks its room rows first, so a booking queued
# behind one reads what it committed. (A join in the locking statement would re-read
# only the room's row when the lock is granted, and see the venue as it was before.)
_VENUE_COLUMNS = (
    "SELECT v.name AS venue_name, v.is_archived AS venue_is_archived, "
    "v.opens_on_bank_holidays AS opens_on_bank_holidays, o.weekday AS weekday, "
    "o.opens_at AS opens_at, o.closes_at AS closes_at"
)
_VENUE_ON_DAY = PreparedSelect(
    lambda venue_id, weekday, day: Venue.raw(
        _VENUE_COLUMNS + ", c.start_date AS start_date, c.end_date AS end_date, "
        "c.reason AS reason FROM venue v "
        "LEFT JOIN opening_hours o ON o.venue = v.id AND o.weekday = {} "
        "LEFT JOIN closure c ON c.venue = v.id AND c.start_date <= {} AND c.end_date >= {} "
        "WHERE v.id = {}",
        weekday,
        day,
        day,
        venue_id,
    ),
    arity=3,
)
_INSERT_COLUMNS = (
    "id",
    "room",
    "starts_at",
    "ends_at",
    "purpose",
    "status",
    "booked_by",
    "subject_kind",
    "subject_id",
    "version",
    "created_at",
    "updated_at",
)
# Run through PreparedSelect for its compile-once; it answers no rows.
_INSERT = PreparedSelect(
    lambda *values: RoomBooking.raw(
        f"INSERT INTO room_booking ({', '.join(_INSERT_COLUMNS)}) "  # noqa: S608 - fixed names
        f"VALUES ({', '.join('{}' for _ in _INSERT_COLUMNS)})",
        *values,
    ),
    arity=len(_INSERT_COLUMNS),
)


async def _lock_room(room_id: UUID) -> dict[str, Any]:
    """The room, locked until commit (PostgreSQL); 404 if there is none."""
    room = await _ROOM_LOCKED.first(room_id)
    if room is None:
        raise NotFound("No room with this id.", field="room_id")
    return room


def _venue_facts(room: dict[str, Any], rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The room with its venue's facts; 409 Archived if the venue or the room is."""
    if not rows:  # pragma: no cover - the room's foreign key holds its venue
        raise NotFound("No room with this id.", field="room_id")
    venue = rows[0]
    if venue["venue_is_archived"]:
        raise Archived(f"{venue['venue_name']} is archived and takes no new bookings.")
    if room["is_archived"]:
        raise Archived(f"{room['name']} is archived and takes no new bookings.")
    return {
        **room,
        "venue_name": venue["venue_name"],
        "opens_on_bank_holidays": bool(venue["opens_on_bank_holidays"]),
    }


def _opening(rows: list[dict[str, Any]]) -> list[OpeningRange]:
    spans = dict.fromkeys(
        (row["weekday"], row["opens_at"], row["closes_at"])
        for row in rows
        if row["opens_at"] is not None
    )
    return [OpeningRange(*span) for span in spans]


def _closures(rows: list[dict[str, Any]]) -> list[ClosureSpan]:
    spans = dict.fromkeys(
        (row["start_date"], row["end_date"], row["reason"])
        for row in rows
        if row["start_date"] is not None
    )
    return [ClosureSpan(*span) for span in spans]


async def _ensure_bookable(
    room_id: UUID,
    starts_at: datetime,
    ends_at: datetime,
    zone: ZoneInfo,
    *,
    other_than: UUID | None = None,
) -> None:
    """Every rule but the slot's shape: room and venue live, venue open, room free."""
    room = await _lock_room(room_id)
    slot = rules.local_slot(starts_at, ends_at, zone)
    rows = await _VENUE_ON_DAY.fetch(room["venue_id"], slot.day.weekday(), slot.day)
    venue = _venue_facts(room, rows)
    check_venue_rules(venue, slot, _opening(rows), _closures(rows))
    clash = await find_clash(room_id, starts_at, ends_at, other_than=other_than)
    if clash is not None:
        raise room_unavailable(clash, zone)


def room_unavailable(clash: dict[str, Any] | None, zone: ZoneInfo) -> RoomUnavailable:
    """The 409 naming the clashing booking (if it is still there to name)."""
    if clash is None:
        return RoomUnavailable("Another booking of the room overlaps this time: reload and retry.")
    slot = rules.local_slot(clash["starts_at"], clash["ends_at"], zone)
    return RoomUnavailable(
        f"The room is already booked {slot.describe()} on {slot.day.isoformat()} "
        f"(booking {clash['id']}).",
        clashing_booking_id=str(clash["id"]),
        clashing_starts_at=_utc_text(clash["starts_at"]),
        clashing_ends_at=_utc_text(clash["ends_at"]),
    )


def _utc_text(value: datetime) -> str:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


async def _refused_by_constraint(
    room_id: UUID, starts_at: datetime, ends_at: datetime, zone: ZoneInfo, other_than: UUID | None
) -> RoomUnavailable:
    # The transaction has rolled back; the clashing row committed before the refusal.
    return room_unavailable(
        await find_clash(room_id, starts_at, ends_at, other_than=other_than), zone
    )


async def book_in_transaction(
    room_id: UUID,
    starts_at: datetime,
    ends_at: datetime,
    *,
    purpose: str,
    status: str = "confirmed",
    subject_kind: str | None = None,
    subject_id: str | None = None,
    by: Actor,
    now: datetime,
) -> RoomBooking:
    """Inside the CALLER's write transaction: every booking rule, then the insert, audited.

    For services that book as part of a larger change (a group's schedule): the caller
    owns the transaction, so a refusal here rolls back the whole change. Instants are
    UTC. On PostgreSQL the exclusion constraint may still refuse a racing booking at
    insert; the caller catches ``ExclusionViolationError`` outside its transaction and
    reports it (``refused_by_constraint`` names the clash).
    """
    _require_admin(by)
    zone = service_zone()
    check_slot(starts_at, ends_at, zone)
    _check_subject(subject_kind, subject_id)
    row = RoomBooking(
        room=room_id,
        starts_at=starts_at,
        ends_at=ends_at,
        purpose=purpose,
        status=status,
        booked_by=by.user_id,
        subject_kind=subject_kind,
        subject_id=subject_id,
        created_at=now,
        updated_at=now,
    )
    await _ensure_bookable(room_id, starts_at, ends_at, zone)
    await _INSERT.fetch(*(getattr(row, column) for column in _INSERT_COLUMNS))
    row._exists_in_db = True
    await audit.record(by, f"{_ENTITY}.create", _ENTITY, row.id, now=now)
    return row


@dataclass(frozen=True, slots=True)
class SeriesSlot:
    """One booking of a series: UTC instants, its purpose and what it is for."""

    starts_at: datetime
    ends_at: datetime
    purpose: str
    subject_id: str | None = None


def _first_overlap(
    rows: Sequence[dict[str, Any]], starts_at: datetime, ends_at: datetime
) -> dict[str, Any] | None:
    return next(
        (r for r in rows if rules.overlaps(r["starts_at"], r["ends_at"], starts_at, ends_at)),
        None,
    )


async def _venue_days(
    room: dict[str, Any], slots: Sequence[rules.LocalSlot]
) -> tuple[dict[str, Any], list[OpeningRange], list[ClosureSpan]]:
    """The venue's facts and hours on the series' weekdays, and its closures: two queries."""
    days = [slot.day for slot in slots]
    weekdays = ", ".join(str(weekday) for weekday in sorted({day.weekday() for day in days}))
    rows = await Venue.raw(
        f"{_VENUE_COLUMNS} FROM venue v LEFT JOIN opening_hours o "
        f"ON o.venue = v.id AND o.weekday IN ({weekdays}) WHERE v.id = {{}}",
        room["venue_id"],
    )
    venue = _venue_facts(room, rows)
    closures = await Closure.select(Closure.start_date, Closure.end_date, Closure.reason).where(
        Closure.venue == room["venue_id"],
        Closure.start_date <= max(days),
        Closure.end_date >= min(days),
    )
    return venue, _opening(rows), [ClosureSpan(**row) for row in closures]


async def book_series_in_transaction(
    room_id: UUID,
    slots: Sequence[SeriesSlot],
    *,
    status: str = "confirmed",
    subject_kind: str | None = None,
    by: Actor,
    now: datetime,
) -> list[RoomBooking]:
    """Inside the CALLER's write transaction: book one room for many slots, all or nothing.

    The same rules as ``book_in_transaction`` (room and venue live, venue open, no
    closure or bank holiday, room free, no two slots of the series overlapping), checked
    with a fixed number of queries whatever the number of slots; the first rule broken
    is raised. Each booking is audited. As there, a PostgreSQL exclusion refusal surfaces
    at the caller.
    """
    _require_admin(by)
    if not slots:
        return []
    zone = service_zone()
    ordered = sorted(slots, key=lambda slot: slot.starts_at)
    for slot in ordered:
        check_slot(slot.starts_at, slot.ends_at, zone)
        _check_subject(subject_kind, slot.subject_id)
    for earlier, later in itertools.pairwise(ordered):
        if later.starts_at < earlier.ends_at:
            raise InvalidInput([{"field": "slots", "reason": "two slots of the series overlap"}])
    local = [rules.local_slot(slot.starts_at, slot.ends_at, zone) for slot in ordered]
    room, hours, closures = await _venue_days(await _lock_room(room_id), local)
    for day in local:
        failures = rules.rule_failures(
            day,
            opening=hours,
            closures=closures,
            opens_on_bank_holidays=room["opens_on_bank_holidays"],
        )
        if failures:
            raise venue_problem(failures[0], room["venue_name"])
    existing = (
        await RoomBooking.select(RoomBooking.id, RoomBooking.starts_at, RoomBooking.ends_at)
        .where(
            RoomBooking.room == room_id,
            RoomBooking.starts_at > ordered[0].starts_at - rules.MAX_SLOT_LENGTH,
            RoomBooking.starts_at < max(slot.ends_at for slot in ordered),
            RoomBooking.ends_at > ordered[0].starts_at,
            RoomBooking.status != CANCELLED,
        )
        .order_by(RoomBooking.starts_at)
    )
    for slot in ordered:
        clash = _first_overlap(existing, slot.starts_at, slot.ends_at)
        if clash is not None:
            raise room_unavailable(clash, zone)
    rows = [
        RoomBooking(
            room=room_id,
            starts_at=slot.starts_at,
            ends_at=slot.ends_at,
            purpose=slot.purpose,
            status=status,
            booked_by=by.user_id,
            subject_kind=subject_kind,
            subject_id=slot.subject_id,
            created_at=now,
            updated_at=now,
        )
        for slot in slots
    ]
    await RoomBooking.insert(*rows)
    for row in rows:
        await audit.record(by, f"{_ENTITY}.create", _ENTITY, row.id, now=now)
    return rows


async def move_in_transaction(
    booking_id: UUID, starts_at: datetime, ends_at: datetime, *, by: Actor, now: datetime
) -> None:
    """Inside the CALLER's write transaction: move a live booking, every rule re-checked.

    The booking must exist and not be cancelled (409). Instants are UTC. As with
    ``book_in_transaction``, a PostgreSQL exclusion refusal surfaces at the caller.
    """
    _require_admin(by)
    zone = service_zone()
    row: dict[str, Any] | None = await for_update(
        RoomBooking.select(RoomBooking.room.as_alias("room_id"), RoomBooking.status).where(
            RoomBooking.id == booking_id
        )
    ).first()
    if row is None:
        raise NotFound("No booking with this id.")
    if row["status"] == CANCELLED:
        raise BookingCancelled("This booking is cancelled; book the room again instead.")
    await _move(booking_id, row["room_id"], starts_at, ends_at, zone)
    await RoomBooking.update(
        {
            RoomBooking.starts_at: starts_at,
            RoomBooking.ends_at: ends_at,
            RoomBooking.version: RoomBooking.version + 1,
            RoomBooking.updated_at: now,
        }
    ).where(RoomBooking.id == booking_id)
    await audit.record(by, f"{_ENTITY}.update", _ENTITY, booking_id, now=now)


async def cancel_in_transaction(booking_ids: Sequence[UUID], *, by: Actor, now: datetime) -> None:
    """Inside the CALLER's write transaction: cancel these bookings (rows kept), audited.

    Bookings already cancelled are left as they are.
    """
    _require_admin(by)
    if not booking_ids:
        return
    live = await RoomBooking.select(RoomBooking.id).where(
        RoomBooking.id.is_in(list(booking_ids)), RoomBooking.status != CANCELLED
    )
    ids = [entry["id"] for entry in live]
    if not ids:
        return
    await RoomBooking.update(
        {
            RoomBooking.status: CANCELLED,
            RoomBooking.version: RoomBooking.version + 1,
            RoomBooking.updated_at: now,
        }
    ).where(RoomBooking.id.is_in(ids))
    for booking_id in ids:
        await audit.record(by, f"{_ENTITY}.cancel", _ENTITY, booking_id, now=now)


async def refused_by_constraint(
    room_id: UUID, starts_at: datetime, ends_at: datetime, *, other_than: UUID | None = None
) -> RoomUnavailable:
    """After PostgreSQL's exclusion constraint refused a booking: the 409 naming the clash."""
    return await _refused_by_constraint(room_id, starts_at, ends_at, service_zone(), other_than)


async def book_room(new: BookingCreate, *, by: Actor, now: datetime) -> BookingRead:
    """Book a room, or say which rule refuses it (404, 409 with the rule, 400 for the input)."""
    _require_admin(by)
    zone = service_zone()
    starts_at = to_utc("starts_at", new.starts_at, zone)
    ends_at = to_utc("ends_at", new.ends_at, zone)
    check_slot(starts_at, ends_at, zone)
    _check_subject(new.subject_kind, new.subject_id)
    try:
        async with write_transaction():
            row = await book_in_transaction(
                new.room_id,
                starts_at,
                ends_at,
                purpose=new.purpose,
                status=new.status,
                subject_kind=new.subject_kind,
                subject_id=new.subject_id,
                by=by,
                now=now,
            )
    except ExclusionViolationError:
        raise await _refused_by_constraint(new.room_id, starts_at, ends_at, zone, None) from None
    return booking_read({**row.to_dict(), "room_id": new.room_id, "booked_by_id": by.user_id}, zone)


async def _current(booking_id: UUID, expected_version: int | None) -> dict[str, Any]:
    await require_current_version(RoomBooking, booking_id, expected_version)
    row: dict[str, Any] | None = (
        await RoomBooking.select(*BOOKING_COLUMNS).where(RoomBooking.id == booking_id).first()
    )
    if row is None:  # pragma: no cover - the version check has just found and locked it
        raise NotFound("No booking with this id.")
    if row["status"] == CANCELLED:
        raise BookingCancelled("This booking is cancelled; book the room again instead.")
    return row


def _edits(changes: BookingUpdate, current: dict[str, Any]) -> dict[Any, Any]:
    """The columns the PATCH changes (a field sent with its current value changes nothing)."""
    wanted: dict[Any, Any] = {}
    if changes.purpose is not None:
        wanted[RoomBooking.purpose] = changes.purpose
    if changes.status is not None:
        wanted[RoomBooking.status] = changes.status
    for field in ("subject_kind", "subject_id"):
        if field in changes.model_fields_set:  # null here unlinks
            wanted[getattr(RoomBooking, field)] = getattr(changes, field)
    return {
        column: value for column, value in wanted.items() if current[column._meta.name] != value
    }


async def _move(
    booking_id: UUID, room_id: UUID, starts_at: datetime, ends_at: datetime, zone: ZoneInfo
) -> None:
    check_slot(starts_at, ends_at, zone)
    await _ensure_bookable(room_id, starts_at, ends_at, zone, other_than=booking_id)


async def update_booking(
    booking_id: UUID,
    changes: BookingUpdate,
    *,
    expected_version: int | None,
    by: Actor,
    now: datetime,
) -> BookingRead:
    """Edit a booking if ``expected_version`` is current; a move re-checks every rule."""
    _require_admin(by)
    zone = service_zone()
    new_start = None if changes.starts_at is None else to_utc("starts_at", changes.starts_at, zone)
    new_end = None if changes.ends_at is None else to_utc("ends_at", changes.ends_at, zone)
    moved_to: tuple[UUID, datetime, datetime] | None = None
    try:
        async with write_transaction():
            current = await _current(booking_id, expected_version)
            values = _edits(changes, current)
            _check_subject(
                values.get(RoomBooking.subject_kind, current["subject_kind"]),
                values.get(RoomBooking.subject_id, current["subject_id"]),
            )
            target = (
                changes.room_id or current["room_id"],
                new_start or current["starts_at"],
                new_end or current["ends_at"],
            )
            if target != (current["room_id"], current["starts_at"], current["ends_at"]):
                moved_to = target
                await _move(booking_id, *target, zone)
                values |= {
                    RoomBooking.room: target[0],
                    RoomBooking.starts_at: target[1],
                    RoomBooking.ends_at: target[2],
                }
            if values:
                values |= {
                    RoomBooking.version: RoomBooking.version + 1,
                    RoomBooking.updated_at: now,
                }
                await RoomBooking.update(values).where(RoomBooking.id == booking_id)
                await audit.record(by, f"{_ENTITY}.update", _ENTITY, booking_id, now=now)
    except ExclusionViolationError:
        if moved_to is None:  # pragma: no cover - only a move can overlap
            raise
        raise await _refused_by_constraint(*moved_to, zone, booking_id) from None
    return await get_booking(booking_id)


async def cancel_booking(
    booking_id: UUID, *, expected_version: int | None, by: Actor, now: datetime
) -> BookingRead:
    """Cancel: the row stays (status cancelled) and the slot is free. Twice is a 409."""
    _require_admin(by)
    async with write_transaction():
        await _current(booking_id, expected_version)
        await RoomBooking.update(
            {
                RoomBooking.status: CANCELLED,
                RoomBooking.version: RoomBooking.version + 1,
                RoomBooking.updated_at: now,
            }
        ).where(RoomBooking.id == booking_id)
        await audit.record(by, f"{_ENTITY}.cancel", _ENTITY, booking_id, now=now)
    return await get_booking(booking_id)
