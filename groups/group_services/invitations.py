"""Invitation and place-offer messages, queued in the outbox inside the enrolment's write.

One message per consented channel, each with a dedup key under the group's prefix
(``group:<id>:enrolment:<id>:invitation:<invited_at>:<channel>``), so cancelling the group
cancels them and a retried write queues nothing twice. Parameters carry the patient's
name, the first session's local date and time, the venue and the reply-by date: never
the course's name (it can reveal a condition) or anything clinical.
"""

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from groups.tables import Enrolment
from scheduling.booking_queries import service_zone
from scheduling.jobs.recipients import contact_columns, patient_preferences
from scheduling.outbox import OutgoingMessage, queue_messages
from scheduling.rules.channels import consented_channels

INVITATION = "invitation"
WAITLIST_OFFER = "waitlist_offer"


def reply_code(enrolment_id: UUID) -> str:
    """A short reference for the patient to quote (not a secret): from the enrolment id."""
    text = enrolment_id.hex[:6].upper()
    return f"{text[:3]}-{text[3:]}"


def _parameters(row: dict[str, Any], template_key: str) -> dict[str, str]:
    day, start = row["first_session_date"], row["start_time"]
    reply_by = row["invitation_expires_at"].astimezone(service_zone())
    venue = f"{row['venue_name']}, {row['town']}" if row["town"] else row["venue_name"]
    parameters = {
        "name": row["preferred_name"] or row["given_name"],
        "starts": f"{day:%a} {day.day} {day:%b %Y} {start:%H:%M}",
        "venue": venue,
        "reply_by": f"{reply_by:%a} {reply_by.day} {reply_by:%b %Y}",
    }
    if template_key == INVITATION:
        parameters["code"] = reply_code(UUID(str(row["id"])))
    return parameters


def messages_for(rows: Sequence[dict[str, Any]], template_key: str) -> list[OutgoingMessage]:
    """Pure: one message per enrolment per consented channel (none without consent)."""
    return [
        OutgoingMessage(
            recipient_kind="patient",
            recipient_id=str(row["patient_id"]),
            channel=channel,
            template_key=template_key,
            dedup_key=(
                f"group:{row['group_id']}:enrolment:{row['id']}:invitation:"
                f"{row['invited_at'].isoformat()}:{channel}"
            ),
            due_at=row["invited_at"],
            parameters=_parameters(row, template_key),
            language=row["preferred_language"] or "en",
            expires_at=row["invitation_expires_at"],
        )
        for row in rows
        for channel in consented_channels(patient_preferences(row))
    ]


async def queue_invitations(
    enrolment_ids: Sequence[UUID], *, template_key: str, now: datetime
) -> None:
    """Inside the write: queue the invitation (or offer) of each enrolment, in one query."""
    if not enrolment_ids:
        return
    group = Enrolment.group
    rows = await Enrolment.select(
        Enrolment.id,
        Enrolment.group.as_alias("group_id"),
        Enrolment.patient.as_alias("patient_id"),
        Enrolment.invited_at,
        Enrolment.invitation_expires_at,
        *contact_columns(Enrolment.patient),
        group.first_session_date.as_alias("first_session_date"),
        group.start_time.as_alias("start_time"),
        group._.venue._.name.as_alias("venue_name"),
        group._.venue._.town.as_alias("town"),
    ).where(Enrolment.id.is_in(list(enrolment_ids)))
    await queue_messages(messages_for(rows, template_key), now=now)
