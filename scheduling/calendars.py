"""A venue's calendar over local dates: one answer, five queries whatever its size."""

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any
from uuid import UUID

from api.core.database import read_transaction
from api.core.errors import NotFound
from api.core.prepared import PreparedSelect, PreparedVariants
from scheduling.booking_queries import (
    BOOKING_COLUMNS,
    CANCELLED,
    after_key,
    cursor_key,
    local_range,
    next_cursor,
    service_zone,
    with_local_times,
)
from scheduling.rules.opening import bank_holiday_in_england
from scheduling.schemas.bookings import (
    BookingStatus,
    CalendarBankHolidayRead,
    VenueCalendarRead,
)
from scheduling.tables import Closure, OpeningHours, Room, RoomBooking, Venue

CALENDAR_PAGE_SIZE = 1000


def bank_holidays_between(from_date: date, to_date: date) -> list[CalendarBankHolidayRead]:
    """England's bank holidays on ``from_date``..``to_date`` inclusive."""
    found = []
    for offset in range((to_date - from_date).days + 1):
        day = from_date + timedelta(days=offset)
        name = bank_holiday_in_england(day)
        if name is not None:
            found.append(CalendarBankHolidayRead(date=day, name=name))
    return found


_VENUE = PreparedSelect(
    lambda venue_id: Venue.select(
        Venue.id, Venue.name, Venue.town, Venue.is_archived, Venue.opens_on_bank_holidays
    ).where(Venue.id == venue_id),
    arity=1,
)
_ROOMS = PreparedSelect(
    lambda venue_id: (
        Room.select(Room.id, Room.name, Room.capacity, Room.is_archived)
        .where(Room.venue == venue_id)
        .order_by(Room.name, Room.id)
    ),
    arity=1,
)
_HOURS = PreparedSelect(
    lambda venue_id: (
        OpeningHours.select(OpeningHours.weekday, OpeningHours.opens_at, OpeningHours.closes_at)
        .where(OpeningHours.venue == venue_id)
        .order_by(OpeningHours.weekday, OpeningHours.opens_at)
    ),
    arity=1,
)
_CLOSURES = PreparedSelect(
    lambda venue_id, from_date, to_date: (
        Closure.select(Closure.id, Closure.start_date, Closure.end_date, Closure.reason)
        .where(
            Closure.venue == venue_id,
            Closure.start_date <= to_date,
            Closure.end_date >= from_date,
        )
        .order_by(Closure.start_date)
    ),
    arity=3,
)
# One compiled query per shape of filters: status or not, cancelled or not, cursor or not.
_BOOKINGS = PreparedVariants(keep=32)


def _bookings_query(
    status: BookingStatus | None, include_cancelled: bool, with_cursor: bool, limit: int
) -> Callable[..., Any]:
    def build(
        venue_id: Any, start: Any, end: Any, wanted: Any, after_start: Any, after_id: Any
    ) -> Any:
        conditions: list[Any] = [
            # The venue's rooms as a subquery: one index range on (room, starts_at) each.
            RoomBooking.room.is_in(Room.select(Room.id).where(Room.venue == venue_id)),
            RoomBooking.starts_at >= start,
            RoomBooking.starts_at < end,
        ]
        if status is not None:
            conditions.append(RoomBooking.status == wanted)
        elif not include_cancelled:
            conditions.append(RoomBooking.status != CANCELLED)
        if with_cursor:
            conditions.append(after_key(after_start, after_id))
        return (
            RoomBooking.select(*BOOKING_COLUMNS)
            .where(*conditions)
            .order_by(RoomBooking.starts_at, RoomBooking.id)
            .limit(limit + 1)
        )

    return build


async def venue_calendar(
    venue_id: UUID,
    *,
    from_date: date,
    to_date: date,
    status: BookingStatus | None = None,
    include_cancelled: bool = False,
    cursor: str | None = None,
    limit: int = CALENDAR_PAGE_SIZE,
) -> VenueCalendarRead:
    """The venue, its rooms, hours, closures and bank holidays, and its rooms' bookings.

    Bookings on those local dates by start, up to ``limit``; ``next_cursor`` pages on.
    Every query is built and compiled once (``api.core.prepared``), and the answer is
    validated in one call: building Piccolo queries cost more than running them.
    """
    zone = service_zone()
    start, end = local_range(from_date, to_date, zone)
    after = cursor_key(cursor)
    async with read_transaction():  # one snapshot across the five reads
        venue = await _VENUE.first(venue_id)
        if venue is None:
            raise NotFound("No venue with this id.")
        rooms = await _ROOMS.fetch(venue_id)
        hours = await _HOURS.fetch(venue_id)
        closures = await _CLOSURES.fetch(venue_id, from_date, to_date)
        bookings: list[dict[str, Any]] = []
        if rooms:
            query = _BOOKINGS.get(
                (status, include_cancelled, after is not None, limit),
                _bookings_query(status, include_cancelled, after is not None, limit),
                arity=6,
            )
            bookings = await query.fetch(venue_id, start, end, status, *(after or (None, None)))
    return VenueCalendarRead.model_validate(
        {
            "venue": venue,
            "from_date": from_date,
            "to_date": to_date,
            "time_zone": zone.key,
            "rooms": rooms,
            "opening_hours": hours,
            "closures": closures,
            "bank_holidays": bank_holidays_between(from_date, to_date),
            "bookings": [with_local_times(row, zone) for row in bookings[:limit]],
            "next_cursor": next_cursor(bookings, limit),
        }
    )
