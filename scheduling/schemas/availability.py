"""The availability search: its query, and the rooms and weeks it answers with."""

import re
from datetime import date, datetime, time
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import (
    AfterValidator,
    BeforeValidator,
    Field,
    StringConstraints,
    ValidationError,
    ValidationInfo,
    field_validator,
)
from pydantic_core import PydanticCustomError

from api.core.errors import InvalidInput
from api.core.schemas import RequestModel, ResponseModel
from scheduling.rules.postcode import InvalidPostcode, normalise_district

MAX_SEATS = 500
MAX_WEEKS = 52
MAX_ROOMS_PER_PAGE = 50
# A course starts within this century; the bounds keep from_date + 52 weeks in range.
EARLIEST_DATE = date(2000, 1, 1)
LATEST_DATE = date(2100, 12, 31)
_CLOCK = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9]$")


def _district(value: str) -> str:
    try:
        return normalise_district(value)
    except InvalidPostcode as error:
        raise PydanticCustomError("district", "is not a UK postcode district") from error


def _clock(value: object) -> object:
    if isinstance(value, str):
        if not _CLOCK.match(value):
            raise PydanticCustomError("clock", 'must be a local time "HH:MM" (00:00 to 23:59)')
        return time.fromisoformat(value)
    return value


ClockTime = Annotated[
    time, BeforeValidator(_clock), Field(description='Local wall-clock time, "HH:MM".')
]


class AvailabilitySearch(RequestModel):
    """Rooms for at least ``capacity`` people, free at one weekly slot for ``weeks`` weeks.

    ``from_date`` is the first session's date: it fixes the weekday. ``weekday``, if
    given, is a check that it is the day meant, not a second way to choose one.
    """

    capacity: int = Field(ge=1, le=MAX_SEATS)
    from_date: date = Field(ge=EARLIEST_DATE, le=LATEST_DATE)
    weekday: int | None = Field(default=None, ge=0, le=6)
    start_time: ClockTime
    end_time: ClockTime
    weeks: int = Field(ge=1, le=MAX_WEEKS)
    step_free_access: bool = False
    accessible_toilet: bool = False
    hearing_loop: bool = False
    parking: bool = False
    town: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)] | (
        None
    ) = None
    postcode_district: Annotated[str, AfterValidator(_district)] | None = None
    cursor: str | None = None
    limit: int = Field(default=MAX_ROOMS_PER_PAGE, ge=1, le=MAX_ROOMS_PER_PAGE)

    @field_validator("weekday")
    @classmethod
    def _weekday_is_from_dates(cls, value: int | None, info: ValidationInfo) -> int | None:
        first = info.data.get("from_date")
        if value is not None and first is not None and first.weekday() != value:
            raise PydanticCustomError(
                "weekday",
                "must be the weekday of from_date ({weekday}); from_date is the first session",
                {"weekday": first.weekday()},
            )
        return value

    @field_validator("end_time")
    @classmethod
    def _ends_after_start(cls, value: time, info: ValidationInfo) -> time:
        start = info.data.get("start_time")
        if start is not None and value <= start:
            raise PydanticCustomError("end_time", "must be after start_time (same day)")
        return value


def parse_search(values: dict[str, Any]) -> AvailabilitySearch:
    """The search from query values; a 400 problem naming each field otherwise."""
    try:
        return AvailabilitySearch.model_validate(values)
    except ValidationError as error:
        errors = [
            {"field": ".".join(str(part) for part in e["loc"]) or "query", "reason": e["msg"]}
            for e in error.errors(include_url=False, include_context=False, include_input=False)
        ]
        raise InvalidInput(errors) from error


class AvailabilityRoomRead(ResponseModel):
    """The room: what a course needs to know about it."""

    id: UUID
    name: str
    capacity: int
    equipment: list[str]


class AvailabilityVenueRead(ResponseModel):
    """The venue and its accessibility facts (never its access instructions)."""

    id: UUID
    name: str
    town: str
    postcode: str
    step_free_access: bool
    accessible_toilet: bool
    hearing_loop: bool
    parking: bool
    public_transport_notes: str


class BookingReasonRead(ResponseModel):
    """The room is booked for part of the slot."""

    kind: Literal["booking"] = "booking"
    booking_id: UUID
    starts_at: datetime
    ends_at: datetime
    status: str


class ClosureReasonRead(ResponseModel):
    """A closure of the venue covers the date."""

    kind: Literal["closure"] = "closure"
    start_date: date
    end_date: date
    reason: str


class OpeningRangeRead(ResponseModel):
    """One opening range, local "HH:MM"."""

    opens_at: str
    closes_at: str


class OutsideHoursReasonRead(ResponseModel):
    """The venue is not open for the whole slot; its hours that weekday (none: shut)."""

    kind: Literal["outside_opening_hours"] = "outside_opening_hours"
    weekday: int
    opening_hours: list[OpeningRangeRead]


class BankHolidayReasonRead(ResponseModel):
    """A bank holiday in England, and the venue does not open on bank holidays."""

    kind: Literal["bank_holiday"] = "bank_holiday"
    name: str


class InvalidLocalTimeReasonRead(ResponseModel):
    """The wall-clock slot does not exist, or happens twice, on that clock-change day."""

    kind: Literal["invalid_local_time"] = "invalid_local_time"
    detail: str


ReasonRead = Annotated[
    BookingReasonRead
    | ClosureReasonRead
    | OutsideHoursReasonRead
    | BankHolidayReasonRead
    | InvalidLocalTimeReasonRead,
    Field(discriminator="kind"),
]


class AvailabilityWeekRead(ResponseModel):
    """One week: the slot in UTC and local time (null if the local time is invalid)."""

    date: date
    starts_at: datetime | None
    ends_at: datetime | None
    local_starts_at: datetime | None
    local_ends_at: datetime | None
    free: bool
    reasons: list[ReasonRead]


class AvailableRoomRead(ResponseModel):
    """A matching room, its free weeks and, for every other week, why not."""

    room: AvailabilityRoomRead
    venue: AvailabilityVenueRead
    free_weeks: int
    weeks: list[AvailabilityWeekRead]
