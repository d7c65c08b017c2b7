"""Request and response bodies for calendar feeds. No body ever carries a token's hash."""

import enum
from datetime import datetime
from uuid import UUID

from pydantic import Field

from api.core.schemas import RequestModel, ResponseModel


class FeedOwnerKind(enum.StrEnum):
    """Whose calendar a feed shows."""

    FACILITATOR = "facilitator"  # the sessions of the groups a facilitator runs
    VENUE = "venue"  # the bookings of a venue's rooms
    PATIENT = "patient"  # a patient's own sessions, in neutral words


class CalendarFeedCreate(RequestModel):
    """Make a secret feed URL for a facilitator, a venue or a patient."""

    owner_kind: FeedOwnerKind
    owner_id: UUID = Field(description="The staff member's, venue's or patient's id.")


class CalendarFeedRead(ResponseModel):
    """A feed as listed: who it is for, who made it, when, and whether it is revoked."""

    id: UUID
    owner_kind: FeedOwnerKind
    owner_id: UUID
    created_by: UUID | None
    created_at: datetime
    revoked_at: datetime | None


class CalendarFeedCreated(CalendarFeedRead):
    """The new feed with its address, shown this once: only the token's hash is kept."""

    url_path: str = Field(
        description=(
            "The feed's address on this service, /feeds/{token}.ics: put the service's "
            "origin in front and subscribe to it. It is shown once and cannot be shown "
            "again; revoke the feed and make a new one if it is lost or shared."
        )
    )
