"""Request and response bodies for enrolments, their transitions and waiting lists."""

from datetime import datetime
from typing import Annotated
from uuid import UUID

from pydantic import Field

from api.core.schemas import RequestModel, ResponseModel
from groups.rules.enrolment import EnrolmentStatus
from scheduling.schemas.venues import LongText


class EnrolmentCreate(RequestModel):
    """Enrol a patient: invited if a place is free, else on the waiting list."""

    patient_id: UUID


class TransitionCreate(RequestModel):
    """Move an enrolment on; ``to`` never ``expired`` (that is computed from the expiry)."""

    to: EnrolmentStatus
    reason: Annotated[LongText, Field(description="Why; kept in the history.")] = ""


class EnrolmentRead(ResponseModel):
    """An enrolment as staff see it; ``status`` is effective (expired invitations say so)."""

    id: UUID
    group_id: UUID
    patient_id: UUID
    given_name: str
    family_name: str
    preferred_name: str
    status: EnrolmentStatus
    invited_at: datetime | None
    invitation_expires_at: datetime | None
    opted_in_at: datetime | None
    started_at: datetime | None
    waitlisted_at: datetime | None
    ended_at: datetime | None
    end_reason: str
    version: int
    created_at: datetime
    updated_at: datetime


class WaitingListEntry(ResponseModel):
    """One place in a group's waiting list (position 1 is offered the next free place)."""

    position: int
    enrolment_id: UUID
    patient_id: UUID
    given_name: str
    family_name: str
    waitlisted_at: datetime


class TransitionRead(ResponseModel):
    """One status change: from (null when enrolled), to, when, by whom (null: the system)."""

    id: UUID
    from_status: EnrolmentStatus | None
    to_status: EnrolmentStatus
    changed_by: UUID | None
    changed_at: datetime
    reason: str
