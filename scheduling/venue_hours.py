"""A venue's opening hours (the whole week replaced at once) and closures.

A closure may be created over existing bookings: closures happen (a boiler breaks), and
refusing to record one would leave the system claiming the venue is open. The bookings
stand; the answer lists the non-cancelled ones it now overlaps so an admin can move them.
New bookings inside the closure are refused by the booking rules.
"""

from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from api.core.actor import Actor
from api.core.database import read_transaction, write_transaction
from api.core.errors import InvalidInput, NotFound
from api.core.schemas import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, Page, decode_cursor, encode_cursor
from api.core.settings import get_settings
from api.identity import audit
from scheduling.rules.hours import opening_hours_problems
from scheduling.rules.opening import OpeningRange
from scheduling.schemas.venues import (
    ClosureCreate,
    ClosureCreated,
    ClosureRead,
    OpeningHoursRead,
    OpeningHoursUpdate,
    OverlappedBookingRead,
    VenueOpeningRangeRead,
)
from scheduling.tables import Closure, OpeningHours, RoomBooking
from scheduling.venues import (
    ENTITY,
    hold_bookings_of,
    require_admin,
    require_reader,
    require_venue,
)

MAX_CLOSURE_DAYS = 366  # a year, leap day included; longer than that is archiving
MAX_OVERLAPPED_LISTED = MAX_PAGE_SIZE
_CLOSURE_COLUMNS = (
    Closure.id,
    Closure.venue.as_alias("venue_id"),
    Closure.start_date,
    Closure.end_date,
    Closure.reason,
    Closure.created_at,
)


def _hhmm(value: time) -> str:
    return value.strftime("%H:%M")


def _parse(value: str) -> time:
    # The schema already holds the value to "HH:MM" (00:00-23:59).
    return time.fromisoformat(value)


async def _read_hours(venue_id: UUID) -> OpeningHoursRead:
    rows = (
        await OpeningHours.select(
            OpeningHours.weekday, OpeningHours.opens_at, OpeningHours.closes_at
        )
        .where(OpeningHours.venue == venue_id)
        .order_by(OpeningHours.weekday, OpeningHours.opens_at)
    )
    ranges = [
        VenueOpeningRangeRead(
            weekday=row["weekday"],
            opens_at=_hhmm(row["opens_at"]),
            closes_at=_hhmm(row["closes_at"]),
        )
        for row in rows
    ]
    return OpeningHoursRead(venue_id=venue_id, ranges=ranges)


async def get_opening_hours(venue_id: UUID, *, by: Actor) -> OpeningHoursRead:
    """The venue's week, by weekday then opening time."""
    require_reader(by)
    async with read_transaction():
        await require_venue(venue_id)
        return await _read_hours(venue_id)


async def replace_opening_hours(
    venue_id: UUID, week: OpeningHoursUpdate, *, by: Actor, now: datetime
) -> OpeningHoursRead:
    """Replace the whole week in one transaction, or refuse it naming each bad entry."""
    require_admin(by)
    ranges = [
        OpeningRange(weekday=r.weekday, opens_at=_parse(r.opens_at), closes_at=_parse(r.closes_at))
        for r in week.ranges
    ]
    problems = opening_hours_problems(ranges)
    if problems:
        raise InvalidInput(
            [
                {
                    "field": f"ranges[{p.index}]" + (f".{p.field}" if p.field else ""),
                    "reason": p.reason,
                }
                for p in problems
            ]
        )
    async with write_transaction():
        await require_venue(venue_id)
        await hold_bookings_of(venue_id)
        await OpeningHours.delete().where(OpeningHours.venue == venue_id)
        if ranges:
            await OpeningHours.insert(
                *(
                    OpeningHours(
                        venue=venue_id,
                        weekday=r.weekday,
                        opens_at=r.opens_at,
                        closes_at=r.closes_at,
                    )
                    for r in ranges
                )
            )
        await audit.record(by, "venue.set_opening_hours", ENTITY, venue_id, now=now)
        return await _read_hours(venue_id)


def _closure_cursor(cursor: str) -> Any:
    start, after_id = decode_cursor(cursor, str, str)
    try:
        start_date, last_id = date.fromisoformat(start), UUID(after_id)
    except ValueError as error:
        raise InvalidInput([{"field": "cursor", "reason": "is not a cursor this API gave"}]) from (
            error
        )
    return (Closure.start_date > start_date) | (
        (Closure.start_date == start_date) & (Closure.id > last_id)
    )


async def list_closures(
    venue_id: UUID,
    *,
    by: Actor,
    from_date: date | None = None,
    to_date: date | None = None,
    cursor: str | None = None,
    limit: int = DEFAULT_PAGE_SIZE,
) -> Page[ClosureRead]:
    """The venue's closures by start date, those touching [from_date, to_date] if given."""
    require_reader(by)
    if from_date is not None and to_date is not None and to_date < from_date:
        raise InvalidInput([{"field": "to", "reason": "must not be before from"}])
    conditions: list[Any] = [Closure.venue == venue_id]
    if from_date is not None:
        conditions.append(Closure.end_date >= from_date)
    if to_date is not None:
        conditions.append(Closure.start_date <= to_date)
    if cursor is not None:
        conditions.append(_closure_cursor(cursor))
    async with read_transaction():
        await require_venue(venue_id)
        rows = (
            await Closure.select(*_CLOSURE_COLUMNS)
            .where(*conditions)
            .order_by(Closure.start_date, Closure.id)
            .limit(limit + 1)
        )
    items = [ClosureRead.model_validate(row) for row in rows[:limit]]
    last = items[-1] if items else None
    next_cursor = (
        encode_cursor(last.start_date.isoformat(), str(last.id))
        if last and len(rows) > limit
        else None
    )
    return Page[ClosureRead](items=items, next_cursor=next_cursor)


def _local_midnight(day: date, zone: ZoneInfo) -> datetime:
    # No zone in use changes its clocks at midnight, so midnight always exists once.
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)


async def _overlapped_bookings(venue_id: UUID, start: date, end: date) -> list[dict[str, Any]]:
    """Non-cancelled bookings in the venue's rooms between the dates (local), in one query."""
    zone = ZoneInfo(get_settings().service.time_zone)
    from_at = _local_midnight(start, zone)
    until_at = _local_midnight(end + timedelta(days=1), zone)
    rows: list[dict[str, Any]] = (
        await RoomBooking.select(
            RoomBooking.id,
            RoomBooking.room.as_alias("room_id"),
            RoomBooking.room.name.as_alias("room_name"),
            RoomBooking.starts_at,
            RoomBooking.ends_at,
            RoomBooking.purpose,
            RoomBooking.status,
        )
        .where(
            RoomBooking.room.venue == venue_id,
            RoomBooking.starts_at < until_at,
            RoomBooking.ends_at > from_at,
            RoomBooking.status != "cancelled",
        )
        .order_by(RoomBooking.starts_at, RoomBooking.id)
        .limit(MAX_OVERLAPPED_LISTED + 1)
    )
    return rows


async def create_closure(
    venue_id: UUID, new: ClosureCreate, *, by: Actor, now: datetime
) -> ClosureCreated:
    """Record a closure; answer it with the bookings it now overlaps (they are not moved)."""
    require_admin(by)
    if new.end_date < new.start_date:
        raise InvalidInput([{"field": "end_date", "reason": "must not be before start_date"}])
    if (new.end_date - new.start_date).days + 1 > MAX_CLOSURE_DAYS:
        raise InvalidInput(
            [{"field": "end_date", "reason": f"a closure lasts at most {MAX_CLOSURE_DAYS} days"}]
        )
    async with write_transaction():
        await require_venue(venue_id)
        await hold_bookings_of(venue_id)
        closure = Closure(
            venue=venue_id,
            start_date=new.start_date,
            end_date=new.end_date,
            reason=new.reason,
            created_at=now,
        )
        await closure.save()
        await audit.record(by, "venue.add_closure", ENTITY, venue_id, now=now)
        overlapped = await _overlapped_bookings(venue_id, new.start_date, new.end_date)
    return ClosureCreated(
        id=closure.id,
        venue_id=venue_id,
        start_date=new.start_date,
        end_date=new.end_date,
        reason=new.reason,
        created_at=now,
        overlapping_bookings=[
            OverlappedBookingRead.model_validate(row) for row in overlapped[:MAX_OVERLAPPED_LISTED]
        ],
        more_overlapping_bookings=len(overlapped) > MAX_OVERLAPPED_LISTED,
    )


async def delete_closure(venue_id: UUID, closure_id: UUID, *, by: Actor, now: datetime) -> None:
    """Remove a closure of this venue (the venue's audit history keeps the fact)."""
    require_admin(by)
    async with write_transaction():
        deleted = (
            await Closure.delete()
            .where(Closure.id == closure_id, Closure.venue == venue_id)
            .returning(Closure.id)
        )
        if not deleted:
            raise NotFound("No closure with this id at this venue.")
        await audit.record(by, "venue.remove_closure", ENTITY, venue_id, now=now)
