"""Room bookings in and out, a room's bookings and a venue's calendar."""

from datetime import date, datetime, time
from typing import Literal
from uuid import UUID

from pydantic import Field

from api.core.schemas import RequestModel, ResponseModel

BookingStatus = Literal["provisional", "confirmed", "cancelled"]
HeldStatus = Literal["provisional", "confirmed"]

_TIME_HELP = (
    "ISO 8601. With a UTC offset (2027-03-28T09:00:00Z) it is that instant; without one "
    "(2027-03-28T10:00) it is the service's wall-clock time (Europe/London). A wall-clock "
    "time that does not exist or happens twice on a clock-change day is refused. Whole minutes."
)


class BookingCreate(RequestModel):
    """Hold a room for a slot on one local date (at most 12 hours)."""

    room_id: UUID
    starts_at: datetime = Field(description=_TIME_HELP)
    ends_at: datetime = Field(description=_TIME_HELP)
    purpose: str = Field(min_length=1, max_length=200)
    status: HeldStatus = "provisional"
    subject_kind: str | None = Field(
        default=None, min_length=1, max_length=40, description="What it is for, e.g. group_session"
    )
    subject_id: str | None = Field(default=None, min_length=1, max_length=64)


class BookingUpdate(RequestModel):
    """Move (room or times: every rule is checked again), re-purpose or confirm a booking.

    Absent fields are unchanged; ``subject_kind`` and ``subject_id`` may be set to null to
    unlink the booking. Cancel with POST /bookings/{id}/cancel, not here.
    """

    room_id: UUID | None = None
    starts_at: datetime | None = Field(default=None, description=_TIME_HELP)
    ends_at: datetime | None = Field(default=None, description=_TIME_HELP)
    purpose: str | None = Field(default=None, min_length=1, max_length=200)
    status: HeldStatus | None = None
    subject_kind: str | None = Field(default=None, min_length=1, max_length=40)
    subject_id: str | None = Field(default=None, min_length=1, max_length=64)


class BookingRead(ResponseModel):
    """A booking with its instants in UTC and as the service's wall clock showed them."""

    id: UUID
    room_id: UUID
    starts_at: datetime
    ends_at: datetime
    local_starts_at: datetime = Field(description="starts_at in the service's time zone")
    local_ends_at: datetime = Field(description="ends_at in the service's time zone")
    time_zone: str
    purpose: str
    status: BookingStatus
    booked_by_id: UUID | None
    subject_kind: str | None
    subject_id: str | None
    version: int
    created_at: datetime
    updated_at: datetime


class CalendarVenueRead(ResponseModel):
    """The venue a calendar is of."""

    id: UUID
    name: str
    town: str
    is_archived: bool
    opens_on_bank_holidays: bool


class CalendarRoomRead(ResponseModel):
    """One of the venue's rooms (archived ones too: their bookings are history)."""

    id: UUID
    name: str
    capacity: int
    is_archived: bool


class CalendarOpeningHoursRead(ResponseModel):
    """One opening range: weekday 0 is Monday; local times."""

    weekday: int
    opens_at: time
    closes_at: time


class CalendarClosureRead(ResponseModel):
    """A closure overlapping the range, dates inclusive."""

    id: UUID
    start_date: date
    end_date: date
    reason: str


class CalendarBankHolidayRead(ResponseModel):
    """A bank holiday in England inside the range."""

    date: date
    name: str


class CalendarBookingRead(ResponseModel):
    """A booking in a calendar: its room, UTC and local times."""

    id: UUID
    room_id: UUID
    starts_at: datetime
    ends_at: datetime
    local_starts_at: datetime
    local_ends_at: datetime
    purpose: str
    status: BookingStatus
    subject_kind: str | None
    subject_id: str | None
    version: int


class VenueCalendarRead(ResponseModel):
    """A venue's rooms, hours, closures, bank holidays and bookings over local dates."""

    venue: CalendarVenueRead
    from_date: date
    to_date: date
    time_zone: str
    rooms: list[CalendarRoomRead]
    opening_hours: list[CalendarOpeningHoursRead]
    closures: list[CalendarClosureRead]
    bank_holidays: list[CalendarBankHolidayRead]
    bookings: list[CalendarBookingRead]
    next_cursor: str | None = Field(
        default=None,
        description="More bookings than one answer holds: pass as ?cursor= for the rest.",
    )
