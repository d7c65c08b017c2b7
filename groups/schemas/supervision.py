"""Request and response bodies for the supervision list, discussions and step-up."""

import enum
from datetime import datetime
from typing import Annotated
from uuid import UUID

from pydantic import AfterValidator, Field

from api.core.schemas import RequestModel, ResponseModel
from groups.rules.supervision import Flag
from scheduling.schemas.venues import paragraphs, text

MAX_NOTE_LENGTH = 2000


class StepUpDestination(enum.StrEnum):
    """Where a patient is stepped up or referred on to."""

    HIGH_INTENSITY = "high_intensity"
    COUNSELLING = "counselling"
    SECONDARY_CARE = "secondary_care"
    OTHER_SERVICE = "other_service"


Reason = Annotated[str, text(MAX_NOTE_LENGTH, 1), AfterValidator(paragraphs)]
Note = Annotated[str, text(MAX_NOTE_LENGTH), AfterValidator(paragraphs)]


class StepUpCreate(RequestModel):
    """A step-up or referral decision, with the reason for it."""

    destination: StepUpDestination
    reason: Reason


class StepUpRead(ResponseModel):
    """The enrolment after the decision."""

    enrolment_id: UUID
    status: str
    ended_at: datetime
    step_up_destination: StepUpDestination
    step_up_reason: str
    version: int


class DiscussionCreate(RequestModel):
    """A patient discussed in supervision: the note of what was agreed."""

    note: Note = Field(default="", description="What was discussed and agreed (up to 2,000).")


class DiscussionRead(ResponseModel):
    """One supervision discussion: who, when, the note."""

    id: UUID
    enrolment_id: UUID
    discussed_by: UUID | None
    discussed_at: datetime
    note: str


class SupervisionItem(ResponseModel):
    """An enrolment that should be discussed, and why."""

    enrolment_id: UUID
    group_id: UUID
    group_name: str
    patient_id: UUID
    given_name: str
    family_name: str
    enrolment_status: str
    consecutive_dnas: int
    last_discussed_at: datetime | None
    review_flagged_at: datetime | None
    latest_phq9: int | None
    latest_gad7: int | None
    flags: list[Flag]
