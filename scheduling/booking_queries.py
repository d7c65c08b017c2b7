"""Reading bookings: one booking, a room's bookings over local dates, and clash lookups.

Every booking lies within one local date (rules.booking.slot_problems), so "the bookings
on local dates ``from``..``to``" are exactly those starting in that range: one index range
on (room, starts_at), flat cost however long the room's history.
"""

import re
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from api.core.errors import InvalidInput, NotFound
from api.core.prepared import PreparedSelect
from api.core.schemas import DEFAULT_PAGE_SIZE, Page, decode_cursor, encode_cursor
from api.core.settings import get_settings
from scheduling.rules.booking import MAX_SLOT_LENGTH
from scheduling.schemas.bookings import BookingRead, BookingStatus
from scheduling.tables import Room, RoomBooking

MAX_RANGE_DAYS = 93
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
CANCELLED = "cancelled"
BOOKING_COLUMNS = (
    RoomBooking.id,
    RoomBooking.room.as_alias("room_id"),
    RoomBooking.starts_at,
    RoomBooking.ends_at,
    RoomBooking.purpose,
    RoomBooking.status,
    RoomBooking.booked_by.as_alias("booked_by_id"),
    RoomBooking.subject_kind,
    RoomBooking.subject_id,
    RoomBooking.version,
    RoomBooking.created_at,
    RoomBooking.updated_at,
)


def service_zone() -> ZoneInfo:
    """The wall clock people read and type (settings: Europe/London by default)."""
    return ZoneInfo(get_settings().service.time_zone)


def with_local_times(row: dict[str, Any], zone: ZoneInfo) -> dict[str, Any]:
    """The row plus its instants as the service's wall clock shows them."""
    return {
        **row,
        "local_starts_at": row["starts_at"].astimezone(zone),
        "local_ends_at": row["ends_at"].astimezone(zone),
    }


def booking_read(row: dict[str, Any], zone: ZoneInfo) -> BookingRead:
    """A selected booking row as the API shows it."""
    return BookingRead.model_validate({**with_local_times(row, zone), "time_zone": zone.key})


async def get_booking(booking_id: UUID) -> BookingRead:
    """One booking (cancelled ones too), or 404."""
    row = await RoomBooking.select(*BOOKING_COLUMNS).where(RoomBooking.id == booking_id).first()
    if row is None:
        raise NotFound("No booking with this id.")
    return booking_read(row, service_zone())


def _clash_query(
    room_id: Any, after: Any, starts_at: Any, ends_at: Any, other_than: Any = None
) -> Any:
    conditions: list[Any] = [
        RoomBooking.room == room_id,
        # No booking is longer than MAX_SLOT_LENGTH: bounds the index range scanned.
        RoomBooking.starts_at > after,
        RoomBooking.starts_at < ends_at,
        RoomBooking.ends_at > starts_at,
        RoomBooking.status != CANCELLED,
    ]
    if other_than is not None:
        conditions.append(RoomBooking.id != other_than)
    return (
        RoomBooking.select(RoomBooking.id, RoomBooking.starts_at, RoomBooking.ends_at)
        .where(*conditions)
        .order_by(RoomBooking.starts_at)
        .first()
    )


_CLASH = PreparedSelect(_clash_query, arity=4)
_CLASH_OTHER_THAN = PreparedSelect(_clash_query, arity=5)


async def find_clash(
    room_id: UUID, starts_at: datetime, ends_at: datetime, *, other_than: UUID | None = None
) -> dict[str, Any] | None:
    """The earliest non-cancelled booking of the room overlapping ``[starts_at, ends_at)``."""
    after = starts_at - MAX_SLOT_LENGTH
    if other_than is None:
        return await _CLASH.first(room_id, after, starts_at, ends_at)
    return await _CLASH_OTHER_THAN.first(room_id, after, starts_at, ends_at, other_than)


def local_dates(raw_from: str | None, raw_to: str | None) -> tuple[date, date]:
    """The ``from`` and ``to`` query values as dates (YYYY-MM-DD); a 400 naming the one at fault.

    Parsed here, not by the framework, so the problem names the fields as the client sent them.
    """
    parsed = []
    for field, raw in (("from", raw_from), ("to", raw_to)):
        if raw is None:
            raise InvalidInput([{"field": field, "reason": "is required (a date, YYYY-MM-DD)"}])
        try:
            if not _ISO_DATE.fullmatch(raw):
                raise ValueError(raw)
            parsed.append(date.fromisoformat(raw))
        except ValueError as error:
            raise InvalidInput([{"field": field, "reason": "must be a date, YYYY-MM-DD"}]) from (
                error
            )
    return parsed[0], parsed[1]


def local_range(from_date: date, to_date: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """UTC instants bounding local dates ``from_date``..``to_date`` inclusive (at most 93)."""
    if to_date < from_date:
        raise InvalidInput([{"field": "to", "reason": "must be on or after from"}])
    if (to_date - from_date).days >= MAX_RANGE_DAYS:
        raise InvalidInput(
            [{"field": "to", "reason": f"the range may cover at most {MAX_RANGE_DAYS} days"}]
        )
    start = datetime.combine(from_date, time(0), tzinfo=zone).astimezone(UTC)
    end = datetime.combine(to_date + timedelta(days=1), time(0), tzinfo=zone).astimezone(UTC)
    return start, end


def status_conditions(status: BookingStatus | None, *, include_cancelled: bool) -> list[Any]:
    """A status filter wins; otherwise cancelled bookings only when asked for."""
    if status is not None:
        return [RoomBooking.status == status]
    return [] if include_cancelled else [RoomBooking.status != CANCELLED]


def cursor_key(cursor: str | None) -> tuple[datetime, UUID] | None:
    """The (starts_at, id) a cursor this API gave names; 400 for any other."""
    if cursor is None:
        return None
    raw_start, raw_id = decode_cursor(cursor, str, str)
    try:
        after_start, after_id = datetime.fromisoformat(raw_start), UUID(raw_id)
    except ValueError as error:
        raise InvalidInput([{"field": "cursor", "reason": "is not a cursor this API gave"}]) from (
            error
        )
    if after_start.utcoffset() != timedelta(0):  # we write UTC; others could overflow
        raise InvalidInput([{"field": "cursor", "reason": "is not a cursor this API gave"}])
    return after_start, after_id


def after_key(after_start: Any, after_id: Any) -> Any:
    """Keyset condition for rows after (``after_start``, ``after_id``) in (starts_at, id) order."""
    return (RoomBooking.starts_at > after_start) | (
        (RoomBooking.starts_at == after_start) & (RoomBooking.id > after_id)
    )


def after_cursor(cursor: str | None) -> list[Any]:
    """Keyset condition for the page after ``cursor`` in (starts_at, id) order."""
    key = cursor_key(cursor)
    return [] if key is None else [after_key(*key)]


def next_cursor(rows: list[dict[str, Any]], limit: int) -> str | None:
    """The cursor after the last row shown, when there are more."""
    if len(rows) <= limit:
        return None
    last = rows[limit - 1]
    return encode_cursor(last["starts_at"].astimezone(UTC).isoformat(), str(last["id"]))


async def list_room_bookings(
    room_id: UUID,
    *,
    from_date: date,
    to_date: date,
    status: BookingStatus | None = None,
    include_cancelled: bool = False,
    cursor: str | None = None,
    limit: int = DEFAULT_PAGE_SIZE,
) -> Page[BookingRead]:
    """A room's bookings on local dates ``from_date``..``to_date``, by start, a page at a time."""
    zone = service_zone()
    start, end = local_range(from_date, to_date, zone)
    conditions = after_cursor(cursor)
    if not await Room.exists().where(Room.id == room_id):
        raise NotFound("No room with this id.")
    rows = (
        await RoomBooking.select(*BOOKING_COLUMNS)
        .where(
            RoomBooking.room == room_id,
            RoomBooking.starts_at >= start,
            RoomBooking.starts_at < end,
            *status_conditions(status, include_cancelled=include_cancelled),
            *conditions,
        )
        .order_by(RoomBooking.starts_at, RoomBooking.id)
        .limit(limit + 1)
    )
    return Page[BookingRead](
        items=[booking_read(row, zone) for row in rows[:limit]],
        next_cursor=next_cursor(rows, limit),
    )
