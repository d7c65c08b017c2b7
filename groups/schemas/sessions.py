"""Request and response bodies for the session calendar."""

from datetime import date, datetime, time
from typing import Literal
from uuid import UUID

from pydantic import Field

from api.core.schemas import RequestModel, ResponseModel
from groups.schemas.courses import LanguageTag

SessionStatus = Literal["scheduled", "cancelled"]
InterpreterKind = Literal["spoken", "bsl", "other"]
ProblemKind = Literal[
    "room_clash",
    "outside_opening_hours",
    "facilitator_clash",
    "venue_archived",
    "room_archived",
]
MAX_MOVE_MINUTES = 240

_TIME_HELP = (
    "ISO 8601. With a UTC offset (2027-03-28T09:00:00Z) it is that instant; without one "
    "(2027-03-28T10:00) it is the service's wall-clock time (Europe/London). A wall-clock "
    "time that does not exist or happens twice on a clock-change day is refused. Whole minutes."
)


class ProposedSession(ResponseModel):
    """A session the schedule would create."""

    number: int
    title: str
    local_date: date = Field(description="The date in the service time zone")
    local_start: time
    local_end: time
    starts_at: datetime
    ends_at: datetime


class SkippedDateRead(ResponseModel):
    """A week the group does not meet, and why."""

    local_date: date
    kind: Literal["bank_holiday", "closure"]
    reason: str = Field(description="The bank holiday's name or the closure's reason")


class ScheduleProblem(ResponseModel):
    """One reason a session cannot be held as proposed; the members that apply are set."""

    kind: ProblemKind
    session_number: int | None = None
    local_date: date | None = None
    detail: str
    clashing_booking_id: UUID | None = None
    clashing_starts_at: datetime | None = None
    clashing_ends_at: datetime | None = None
    staff_id: UUID | None = None
    staff_name: str | None = None
    clashing_group_id: UUID | None = None
    clashing_group_name: str | None = None
    clashing_session_id: UUID | None = None


class SchedulePreview(ResponseModel):
    """What committing would create, and every problem found (nothing is written)."""

    group_id: UUID
    group_version: int
    time_zone: str
    sessions: list[ProposedSession]
    skipped: list[SkippedDateRead]
    problems: list[ScheduleProblem]


class SessionRead(ResponseModel):
    """A dated session of a group, with its instants in UTC and local wall-clock time."""

    id: UUID
    group_id: UUID
    number: int
    title: str
    status: SessionStatus
    cancel_reason: str = Field(description="Why it was cancelled (staff only; empty if not)")
    cancelled_at: datetime | None
    starts_at: datetime
    ends_at: datetime
    local_date: date = Field(description="The date in the service time zone")
    local_start: time
    local_end: time
    time_zone: str
    booking_id: UUID | None
    room_id: UUID
    venue_id: UUID
    sequence: int = Field(description="The iCalendar SEQUENCE: raised on each change")
    version: int
    created_at: datetime
    updated_at: datetime


class ScheduleCommitted(ResponseModel):
    """The group, now scheduled, and its sessions."""

    group_id: UUID
    status: str
    version: int = Field(description="The group's new version (its ETag)")
    sessions: list[SessionRead]
    skipped: list[SkippedDateRead]


class SessionMove(RequestModel):
    """Move one session: a new start (the booking moves with it) and optionally a new length."""

    starts_at: datetime = Field(description=_TIME_HELP)
    duration_minutes: int | None = Field(
        default=None,
        ge=1,
        le=MAX_MOVE_MINUTES,
        description="Minutes; the session's current length when absent",
    )


class CancelRequest(RequestModel):
    """Why it is cancelled (kept on the session or group for staff, never sent to patients)."""

    reason: str = Field(min_length=1, max_length=500)


class GroupCancelled(ResponseModel):
    """A cancelled group and how many of its future sessions were cancelled with it."""

    group_id: UUID
    status: str
    version: int
    cancelled_session_ids: list[UUID]


class InterpreterCreate(RequestModel):
    """An interpreter booked for a session, for one enrolled patient (or the whole group)."""

    language: LanguageTag = Field(description='BCP 47, e.g. "pl", "pa-Guru"; "bfi" for BSL')
    kind: InterpreterKind
    patient_id: UUID | None = None
    provider: str = Field(default="", max_length=200)
    notes: str = Field(default="", max_length=2000)


class InterpreterRead(ResponseModel):
    """An interpreter booked for a session."""

    id: UUID
    session_id: UUID
    patient_id: UUID | None
    language: str
    kind: str
    provider: str
    notes: str
    booked_by_id: UUID | None
    created_at: datetime
