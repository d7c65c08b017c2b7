"""Request and response bodies for venues, their opening hours and their closures."""

import enum
import re
from datetime import date, datetime
from typing import Annotated
from uuid import UUID

from pydantic import AfterValidator, Field, StringConstraints

from api.core.schemas import RequestModel, ResponseModel
from scheduling.rules.postcode import normalise_postcode

# Dates far outside any booking horizon are typing slips; the bounds also keep date
# arithmetic (a closure's last day + 1) clear of date.max.
EARLIEST_DATE = date(2000, 1, 1)
LATEST_DATE = date(2100, 12, 31)
MAX_RANGES_PER_WEEK = 28  # 4 a day (scheduling.rules.hours.MAX_RANGES_PER_DAY) x 7


class VenueKind(enum.StrEnum):
    """What sort of community place a venue is."""

    LIBRARY = "library"
    COMMUNITY_CENTRE = "community_centre"
    CHILDRENS_CENTRE = "childrens_centre"
    GP_SURGERY = "gp_surgery"
    COMMUNITY_HOSPITAL = "community_hospital"
    OTHER = "other"


_PHONE_CHARACTERS = re.compile(r"^\+?[0-9 ()\-]+$")
_MIN_PHONE_DIGITS = 10  # a UK number with its area code ("01822 612345")
_MAX_PHONE_DIGITS = 15  # E.164's longest


def _phone(value: str) -> str:
    if value == "":
        return value
    digits = sum(ch.isdigit() for ch in value)
    if not _PHONE_CHARACTERS.match(value) or not _MIN_PHONE_DIGITS <= digits <= _MAX_PHONE_DIGITS:
        raise ValueError(
            "is not a phone number: 10 to 15 digits, with spaces, +, hyphens or brackets"
        )
    return " ".join(value.split())


def _contact_email(value: str) -> str:
    if value == "":
        return value
    local, at, domain = value.partition("@")
    if not at or not local or "@" in domain or "." not in domain.strip(".") or " " in value:
        raise ValueError("is not an email address")
    return value.lower()


def _postcode(value: str) -> str:
    # InvalidPostcode is a ValueError: pydantic reports it against the postcode field.
    return normalise_postcode(value)


# Control characters are never meant; NUL would also be refused by PostgreSQL (a 500).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_LINE_BREAK = re.compile(r"[\t\n\r]")


def one_line(value: str) -> str:
    """A validator: refuse control characters and line breaks."""
    if _CONTROL.search(value) or _LINE_BREAK.search(value):
        raise ValueError("must be one line, without control characters")
    return value


def paragraphs(value: str) -> str:
    """A validator: refuse control characters other than tabs and line breaks."""
    if _CONTROL.search(value):
        raise ValueError("must not contain control characters")
    return value


def text(max_length: int, min_length: int = 0) -> StringConstraints:
    """Trimmed text of a bounded length."""
    return StringConstraints(strip_whitespace=True, min_length=min_length, max_length=max_length)


Name = Annotated[str, text(200, 1), AfterValidator(one_line)]
AddressLine = Annotated[str, text(200, 1), AfterValidator(one_line)]
OptionalAddressLine = Annotated[str, text(200), AfterValidator(one_line)]
Town = Annotated[str, text(100, 1), AfterValidator(one_line)]
Postcode = Annotated[str, text(10, 1), AfterValidator(_postcode)]
Phone = Annotated[str, text(40), AfterValidator(_phone)]
ContactEmail = Annotated[str, text(254), AfterValidator(one_line), AfterValidator(_contact_email)]
LongText = Annotated[str, text(4000), AfterValidator(paragraphs)]
BoundedDate = Annotated[date, Field(ge=EARLIEST_DATE, le=LATEST_DATE)]
ClockTime = Annotated[
    str,
    StringConstraints(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$"),
    Field(description='Local wall-clock time, "HH:MM" (00:00-23:59).'),
]


class VenueCreate(RequestModel):
    """A new venue; the postcode is normalised ("pl190ae" -> "PL19 0AE")."""

    name: Name
    kind: VenueKind
    address_line_1: AddressLine
    address_line_2: OptionalAddressLine = ""
    town: Town
    postcode: Postcode
    phone: Phone = ""
    email: ContactEmail = ""
    access_instructions: LongText = Field(
        default="", description="Door codes, key holders: staff only, never shown to patients."
    )
    step_free_access: bool = False
    accessible_toilet: bool = False
    hearing_loop: bool = False
    parking: bool = False
    public_transport_notes: LongText = ""
    opens_on_bank_holidays: bool = False
    notes: LongText = ""


class VenueUpdate(RequestModel):
    """Fields to change; send only those that change (an empty string clears a text field)."""

    name: Name | None = None
    kind: VenueKind | None = None
    address_line_1: AddressLine | None = None
    address_line_2: OptionalAddressLine | None = None
    town: Town | None = None
    postcode: Postcode | None = None
    phone: Phone | None = None
    email: ContactEmail | None = None
    access_instructions: LongText | None = None
    step_free_access: bool | None = None
    accessible_toilet: bool | None = None
    hearing_loop: bool | None = None
    parking: bool | None = None
    public_transport_notes: LongText | None = None
    opens_on_bank_holidays: bool | None = None
    notes: LongText | None = None


class VenueRead(ResponseModel):
    """A venue as staff see it.

    STAFF ONLY: ``access_instructions`` holds door codes and key holders. The patient API
    (/mobile/v1) must never expose this model or that field; give it its own schema.
    """

    id: UUID
    name: str
    kind: VenueKind
    address_line_1: str
    address_line_2: str
    town: str
    postcode: str
    postcode_district: str
    phone: str
    email: str
    access_instructions: str
    step_free_access: bool
    accessible_toilet: bool
    hearing_loop: bool
    parking: bool
    public_transport_notes: str
    opens_on_bank_holidays: bool
    notes: str
    is_archived: bool
    version: int
    created_at: datetime
    updated_at: datetime


class OpeningRangeCreate(RequestModel):
    """One opening range on a weekday, local time; the venue is open from opens_at to closes_at."""

    weekday: int = Field(ge=0, le=6, description="0 Monday .. 6 Sunday.")
    opens_at: ClockTime
    closes_at: ClockTime


class OpeningHoursUpdate(RequestModel):
    """The whole week: it replaces every range the venue had. An empty list: never open."""

    ranges: list[OpeningRangeCreate] = Field(max_length=MAX_RANGES_PER_WEEK)


class VenueOpeningRangeRead(ResponseModel):
    """One opening range."""

    weekday: int
    opens_at: str = Field(description='"HH:MM", local time.')
    closes_at: str = Field(description='"HH:MM", local time.')


class OpeningHoursRead(ResponseModel):
    """A venue's week, by weekday then opening time."""

    venue_id: UUID
    ranges: list[VenueOpeningRangeRead]


class ClosureCreate(RequestModel):
    """Dates a venue is shut, both inclusive."""

    start_date: BoundedDate
    end_date: BoundedDate
    reason: Annotated[str, text(200, 1), AfterValidator(one_line)]


class ClosureRead(ResponseModel):
    """A closure."""

    id: UUID
    venue_id: UUID
    start_date: date
    end_date: date
    reason: str
    created_at: datetime


class OverlappedBookingRead(ResponseModel):
    """A non-cancelled booking inside a new closure: it stands, but needs moving."""

    id: UUID
    room_id: UUID
    room_name: str
    starts_at: datetime
    ends_at: datetime
    purpose: str
    status: str


class ClosureCreated(ClosureRead):
    """A new closure, and the bookings it now overlaps (first by start; capped)."""

    overlapping_bookings: list[OverlappedBookingRead]
    more_overlapping_bookings: bool = Field(
        description="True when more bookings overlap than are listed: page the venue calendar."
    )
