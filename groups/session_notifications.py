"""Telling patients a session moved or was cancelled: one outbox message per consented channel.

Called inside the change's write transaction, so a message exists exactly when the
change does. Recipients are the patients whose enrolment holds a place (invited and not
yet expired, opted in, active). Parameters carry the patient's name, the venue and town
and the local date and time: never the course's name, never anything clinical. Dedup
keys make a retried change queue nothing twice.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from groups.tables import Enrolment, Group
from scheduling.jobs.recipients import contact_columns, patient_preferences
from scheduling.outbox import OutgoingMessage, queue_messages
from scheduling.rules.channels import consented_channels

SESSION_MOVED = "session_moved"
SESSION_CANCELLED = "session_cancelled"
# A change this close to the session is sent ahead of the queue.
URGENT_WITHIN = timedelta(hours=48)
PLACE_HOLDING = ("opted_in", "active")


@dataclass(frozen=True, slots=True)
class Recipient:
    """A patient holding a place, with what channel choice and the greeting need."""

    patient_id: UUID
    name: str
    language: str
    channels: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Where:
    """The session's venue and wall-clock start, as a patient may be told them."""

    venue_name: str
    town: str
    starts_at: datetime


def _recipient(row: dict[str, Any]) -> Recipient:
    patient_id = row["patient_id"]
    return Recipient(
        patient_id=patient_id if isinstance(patient_id, UUID) else UUID(str(patient_id)),
        name=row["preferred_name"] or row["given_name"],
        language=row["preferred_language"] or "en",
        channels=consented_channels(patient_preferences(row)),
    )


async def place_holders(group_id: UUID, *, now: datetime) -> list[Recipient]:
    """The patients holding a place in the group now: one query through the enrolment index."""
    rows = (
        await Enrolment.select(
            Enrolment.patient.id.as_alias("patient_id"), *contact_columns(Enrolment.patient)
        )
        .where(
            (Enrolment.group == group_id)
            & (
                Enrolment.status.is_in(list(PLACE_HOLDING))
                | (
                    (Enrolment.status == "invited")
                    & (
                        Enrolment.invitation_expires_at.is_null()
                        | (Enrolment.invitation_expires_at > now)
                    )
                )
            )
        )
        .order_by(Enrolment.id)
    )
    return [_recipient(row) for row in rows]


async def venue_of(group_id: UUID) -> tuple[str, str]:
    """The group's venue name and town."""
    row: dict[str, Any] | None = (
        await Group.select(
            Group.venue.name.as_alias("venue_name"), Group.venue.town.as_alias("town")
        )
        .where(Group.id == group_id)
        .first()
    )
    if row is None:  # pragma: no cover - callers hold the group
        return ("", "")
    return (row["venue_name"], row["town"])


def _parameters(name: str, where: Where, zone: ZoneInfo) -> dict[str, str]:
    local = where.starts_at.astimezone(zone)
    venue = f"{where.venue_name}, {where.town}" if where.town else where.venue_name
    return {
        "name": name,
        "starts": f"{local:%a} {local.day} {local:%b %Y} {local:%H:%M}",
        "venue": venue,
        "venue_name": where.venue_name,
        "town": where.town,
        "date": local.date().isoformat(),
        "time": f"{local:%H:%M}",
    }


def messages_for(
    recipients: Sequence[Recipient],
    *,
    template_key: str,
    dedup_prefix: str,
    where: Where,
    zone: ZoneInfo,
    now: datetime,
) -> list[OutgoingMessage]:
    """Pure: one message per recipient per consented channel (none for a patient without)."""
    urgent = where.starts_at - now < URGENT_WITHIN
    return [
        OutgoingMessage(
            recipient_kind="patient",
            recipient_id=str(recipient.patient_id),
            channel=channel,
            template_key=template_key,
            dedup_key=f"{dedup_prefix}:{recipient.patient_id}:{channel}",
            due_at=now,
            parameters=_parameters(recipient.name, where, zone),
            language=recipient.language,
            urgent=urgent,
        )
        for recipient in recipients
        for channel in recipient.channels
    ]


async def notify_place_holders(
    group_id: UUID,
    *,
    template_key: str,
    dedup_prefix: str,
    starts_at: datetime,
    zone: ZoneInfo,
    now: datetime,
) -> int:
    """Queue the message for everyone holding a place; answers how many were offered."""
    recipients = await place_holders(group_id, now=now)
    if not recipients:
        return 0
    venue_name, town = await venue_of(group_id)
    messages = messages_for(
        recipients,
        template_key=template_key,
        dedup_prefix=dedup_prefix,
        where=Where(venue_name, town, starts_at),
        zone=zone,
        now=now,
    )
    await queue_messages(messages, now=now)
    return len(messages)


async def session_moved(
    group_id: UUID,
    session_id: UUID,
    sequence: int,
    *,
    starts_at: datetime,
    zone: ZoneInfo,
    now: datetime,
) -> int:
    """Tell place holders the session's new date and time (once per sequence)."""
    return await notify_place_holders(
        group_id,
        template_key=SESSION_MOVED,
        dedup_prefix=f"session-moved:{session_id}:{sequence}",
        starts_at=starts_at,
        zone=zone,
        now=now,
    )


async def session_cancelled(
    group_id: UUID, session_id: UUID, *, starts_at: datetime, zone: ZoneInfo, now: datetime
) -> int:
    """Tell place holders the session on that date is cancelled."""
    return await notify_place_holders(
        group_id,
        template_key=SESSION_CANCELLED,
        dedup_prefix=f"session-cancelled:{session_id}",
        starts_at=starts_at,
        zone=zone,
        now=now,
    )


async def group_cancelled(
    group_id: UUID, *, next_starts_at: datetime, zone: ZoneInfo, now: datetime
) -> int:
    """Tell place holders the group is off: one message each per channel, naming the next date.

    Uses the session_cancelled template (the next session's date); a group_cancelled
    template saying the whole course is off would be clearer (templates are the
    reminders issue's).
    """
    return await notify_place_holders(
        group_id,
        template_key=SESSION_CANCELLED,
        dedup_prefix=f"group-cancelled:{group_id}",
        starts_at=next_starts_at,
        zone=zone,
        now=now,
    )
