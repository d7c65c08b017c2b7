"""Bodies for texts patients send back: Notify's callback, and the staff view of replies."""

from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

from pydantic import ConfigDict, Field, StringConstraints

from api.core.schemas import RequestModel, ResponseModel

ReplyOutcome = Literal["confirmed", "cancelled", "unrecognised", "unmatched", "ambiguous"]


class NotifyReceivedText(RequestModel):
    """A received text as GOV.UK Notify posts it; fields Notify adds later are ignored.

    Unlike our own request bodies, unknown fields are tolerated (it is a provider's
    payload), though the OpenAPI document, like every request model's, lists none.
    """

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    id: Annotated[str, StringConstraints(min_length=1, max_length=100)] = Field(
        description="Notify's id of the received text; a retried callback repeats it."
    )
    source_number: Annotated[str, StringConstraints(min_length=1, max_length=40)] = Field(
        description="The sender's number, e.g. 447700900123."
    )
    destination_number: Annotated[str, StringConstraints(max_length=40)] = ""
    message: Annotated[str, StringConstraints(max_length=10_000)] = Field(
        description="The text; kept up to 1,000 characters."
    )
    date_received: datetime = Field(
        description="When Notify received it (e.g. 2017-05-14T12:15:30.000000Z; UTC if no offset)."
    )


class InboundMessageRead(ResponseModel):
    """A text a patient sent, and what it was taken to mean."""

    id: UUID
    received_at: datetime
    from_number: str = Field(description="The sender's number, normalised (+447700900123).")
    body: str
    outcome: ReplyOutcome = Field(
        description=(
            "confirmed (YES to a reminder), cancelled (NO: the register holds code 2 unless "
            "a facilitator had already taken it), unrecognised (matched a reminder but says "
            "neither), unmatched (no reminder to this number in the window), ambiguous "
            "(reminders to this number went to several patients)."
        )
    )
    patient_id: UUID | None
    session_id: UUID | None
    group_id: UUID | None
    attendance_recorded: bool = Field(
        description="Whether a NO was recorded on the register as cancelled by patient (2)."
    )
    read_at: datetime | None
    read_by: UUID | None
