"""Request and response bodies for registers and session notes."""

from datetime import date, datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import AfterValidator, BeforeValidator, Field

from api.core.schemas import RequestModel, ResponseModel
from groups.rules.attendance import Outcome
from scheduling.schemas.venues import paragraphs, text

MAX_NOTE_LENGTH = 2000
MAX_REGISTER_ENTRIES = 100


def _whole_number(value: Any) -> Any:
    # Litestar validates bodies leniently (strict=False); "5" or 5.0 is not a code.
    if type(value) is not int and not isinstance(value, Outcome):
        raise ValueError("must be one of the codes 2, 3, 4, 5, 6 or 7, as a number")
    return value


# The codes' meanings are the enum's docstring: one description for its one component
# schema (a field description here would race the docstring for it between processes).
OutcomeCode = Annotated[Outcome, BeforeValidator(_whole_number)]


class RegisterEntryWrite(RequestModel):
    """One patient's outcome at the session."""

    enrolment_id: UUID
    outcome: OutcomeCode


class RegisterWrite(RequestModel):
    """The whole session's register, stored all or nothing."""

    entries: Annotated[
        list[RegisterEntryWrite], Field(min_length=1, max_length=MAX_REGISTER_ENTRIES)
    ]


ReplyAnswer = Literal["confirmed", "cancelled"]


class RegisterEntryRead(ResponseModel):
    """One enrolment on the register, with the outcome recorded (null until taken)."""

    enrolment_id: UUID
    patient_id: UUID
    given_name: str
    family_name: str
    preferred_name: str
    enrolment_status: str
    outcome: Outcome | None
    attended: bool | None
    recorded_at: datetime | None
    recorded_by: UUID | None
    consecutive_dnas: int
    reply: ReplyAnswer | None = Field(
        description=(
            "The patient's latest text back to this session's reminders: confirmed"
            " (I'll be there) or cancelled (can't come); null when none."
        )
    )
    replied_at: datetime | None = Field(description="When that text arrived.")


class RegisterRead(ResponseModel):
    """A session's register: every enrolment holding a place or with an outcome recorded."""

    session_id: UUID
    group_id: UUID
    session_number: int
    starts_at: datetime
    session_status: str
    taken: bool = Field(description="Whether any outcome has been recorded for the session.")
    entries: list[RegisterEntryRead]


NoteText = Annotated[str, text(MAX_NOTE_LENGTH, 1), AfterValidator(paragraphs)]


class SessionNoteWrite(RequestModel):
    """The facilitator's short record of the contact."""

    text: NoteText


class SessionNoteRead(ResponseModel):
    """A session note, with its version for If-Match."""

    id: UUID
    session_id: UUID
    enrolment_id: UUID
    text: str
    author_id: UUID | None
    version: int
    created_at: datetime
    updated_at: datetime


class WaitSummary(ResponseModel):
    """One set of waits in whole days (see groups.rules.waiting_times for the method)."""

    count: int
    median_days: float | None
    p90_days: int | None = Field(description="90th centile, nearest rank.")


class WaitingTimesRead(ResponseModel):
    """A course's waits over enrolments made in a date window (service time zone)."""

    course_id: UUID
    from_date: date
    to_date: date
    referral_to_enrolment: WaitSummary
    referral_to_first_attended: WaitSummary
