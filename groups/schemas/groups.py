"""Request and response bodies for groups, their detail view and the go/no-go list."""

from datetime import date, datetime, time
from typing import Annotated, Any
from uuid import UUID

from pydantic import AfterValidator, Field, field_validator

from api.core.schemas import RequestModel, ResponseModel
from groups.rules.enrolment import EnrolmentStatus
from groups.rules.groups import GroupStatus
from groups.schemas.courses import GroupSize, SessionMinutes, Title
from scheduling.schemas.venues import EARLIEST_DATE, LATEST_DATE

MAX_FACILITATORS = 6

GroupDate = Annotated[date, Field(ge=EARLIEST_DATE, le=LATEST_DATE)]
FacilitatorIds = Annotated[
    list[UUID],
    Field(min_length=1, max_length=MAX_FACILITATORS, description="Two or more, distinct."),
]


def _wall_clock(value: time) -> time:
    if value.tzinfo is not None:
        raise ValueError("is a local wall-clock time: send it without an offset, e.g. 10:00")
    return value


WallClock = Annotated[time, AfterValidator(_wall_clock)]


class GroupCreate(RequestModel):
    """A new group (draft). The venue follows from the room, the weekday from the date."""

    course_id: UUID
    room_id: UUID
    first_session_date: GroupDate
    start_time: WallClock = Field(description="Local (service time zone) wall clock, e.g. 10:00")
    name: Title | None = Field(default=None, description='Default "<course> - <town>, <date>".')
    session_minutes: SessionMinutes | None = Field(
        default=None, description="Default: the course's session length."
    )
    facilitator_ids: FacilitatorIds
    capacity: GroupSize | None = Field(
        default=None, description="Default: the smaller of the room's capacity and course max."
    )
    min_participants: GroupSize | None = Field(
        default=None, description="Default: the course's minimum group size."
    )
    go_no_go_date: GroupDate | None = Field(
        default=None, description="Default: 14 days before the first session."
    )


class GroupUpdate(RequestModel):
    """Fields to change; send only those that change. facilitator_ids replaces the list."""

    name: Title | None = None
    capacity: GroupSize | None = None
    min_participants: GroupSize | None = None
    go_no_go_date: GroupDate | None = None
    facilitator_ids: FacilitatorIds | None = None
    status: GroupStatus | None = Field(
        default=None, description="Only scheduled -> running -> completed."
    )

    @field_validator("status")
    @classmethod
    def _only_forward(cls, value: GroupStatus | None) -> GroupStatus | None:
        if value in (GroupStatus.DRAFT, GroupStatus.CANCELLED):
            raise ValueError("draft and cancelled are set by scheduling and cancelling")
        return value


class GroupRead(ResponseModel):
    """A group as lists show it."""

    id: UUID
    name: str
    course_id: UUID
    course_name: str
    venue_id: UUID
    venue_name: str
    room_id: UUID
    room_name: str
    first_session_date: date
    weekday: int = Field(description="0 Monday .. 6 Sunday")
    start_time: time
    session_minutes: int
    capacity: int
    min_participants: int
    go_no_go_date: date
    status: GroupStatus
    course_version: int
    language: str
    version: int
    created_at: datetime
    updated_at: datetime


class FacilitatorRead(ResponseModel):
    """A co-facilitator of a group."""

    id: UUID
    full_name: str


class GroupSessionSummary(ResponseModel):
    """One dated session of a group."""

    id: UUID
    number: int
    title: str
    starts_at: datetime
    ends_at: datetime
    status: str


class FrozenSessionRead(ResponseModel):
    """One session of the plan the group was created with."""

    number: int
    title: str
    topics: list[str]
    duration_minutes: int
    module_refs: list[str]
    homework_refs: list[str]


class GroupDetail(GroupRead):
    """A group with its facilitators, sessions, plan and enrolment numbers."""

    facilitators: list[FacilitatorRead]
    sessions: list[GroupSessionSummary]
    session_plan: list[FrozenSessionRead]
    enrolment_counts: dict[EnrolmentStatus, int] = Field(
        description="By effective status: an invitation past its expiry counts as expired."
    )
    places_held: int
    places_free: int
    waiting_list_length: int


class WaitingPatient(ResponseModel):
    """Someone on the waiting list of another group of the same course."""

    enrolment_id: UUID
    group_id: UUID
    patient_id: UUID
    given_name: str
    family_name: str
    waitlisted_at: datetime


class GoNoGoEntry(ResponseModel):
    """A group short of its minimum as its go/no-go date approaches (or has passed)."""

    group_id: UUID
    name: str
    course_id: UUID
    course_name: str
    status: GroupStatus
    first_session_date: date
    go_no_go_date: date
    days_to_go_no_go: int = Field(description="Negative once the date has passed.")
    min_participants: int
    opted_in: int = Field(description="Opted-in and active enrolments.")
    needed: int
    waiting_elsewhere: list[WaitingPatient]


def plan_items(plan: Any) -> list[FrozenSessionRead]:
    """The frozen plan as read models (extra stamps such as course_name are dropped)."""
    return [FrozenSessionRead.model_validate(item) for item in plan]
