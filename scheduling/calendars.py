"""A venue's calendar over local dates: one answer, five queries whatever its size."""

from datetime import date, timedelta
from uuid import UUID

from api.core.database import read_transaction
from api.core.errors import NotFound
from scheduling.booking_queries import (
    BOOKING_COLUMNS,
    after_cursor,
    local_range,
    next_cursor,
    service_zone,
    status_conditions,
    with_local_times,
)
from scheduling.rules.opening import bank_holiday_in_england
from scheduling.schemas.bookings import (
    BookingStatus,
    CalendarBankHolidayRead,
    CalendarBookingRead,
    CalendarClosureRead,
    CalendarOpeningHoursRead,
    CalendarRoomRead,
    CalendarVenueRead,
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
    """
    zone = service_zone()
    start, end = local_range(from_date, to_date, zone)
    after = after_cursor(cursor)
    async with read_transaction():  # one snapshot across the five reads
        venue = (
            await Venue.select(
                Venue.id, Venue.name, Venue.town, Venue.is_archived, Venue.opens_on_bank_holidays
            )
            .where(Venue.id == venue_id)
            .first()
        )
        if venue is None:
            raise NotFound("No venue with this id.")
        rooms = (
            await Room.select(Room.id, Room.name, Room.capacity, Room.is_archived)
            .where(Room.venue == venue_id)
            .order_by(Room.name, Room.id)
        )
        hours = (
            await OpeningHours.select(
                OpeningHours.weekday, OpeningHours.opens_at, OpeningHours.closes_at
            )
            .where(OpeningHours.venue == venue_id)
            .order_by(OpeningHours.weekday, OpeningHours.opens_at)
        )
        closures = (
            await Closure.select(Closure.id, Closure.start_date, Closure.end_date, Closure.reason)
            .where(
                Closure.venue == venue_id,
                Closure.start_date <= to_date,
                Closure.end_date >= from_date,
            )
            .order_by(Closure.start_date)
        )
        bookings = []
        if rooms:
            bookings = (
                await RoomBooking.select(*BOOKING_COLUMNS)
                .where(
                    RoomBooking.room.is_in([room["id"] for room in rooms]),
                    RoomBooking.starts_at >= start,
                    RoomBooking.starts_at < end,
                    *status_conditions(status, include_cancelled=include_cancelled),
                    *after,
                )
                .order_by(RoomBooking.starts_at, RoomBooking.id)
                .limit(limit + 1)
            )
    return VenueCalendarRead(
        venue=CalendarVenueRead.model_validate(venue),
        from_date=from_date,
        to_date=to_date,
        time_zone=zone.key,
        rooms=[CalendarRoomRead.model_validate(room) for room in rooms],
        opening_hours=[CalendarOpeningHoursRead.model_validate(row) for row in hours],
        closures=[CalendarClosureRead.model_validate(row) for row in closures],
        bank_holidays=bank_holidays_between(from_date, to_date),
        bookings=[
            CalendarBookingRead.model_validate(with_local_times(row, zone))
            for row in bookings[:limit]
        ],
        next_cursor=next_cursor(bookings, limit),
    )
