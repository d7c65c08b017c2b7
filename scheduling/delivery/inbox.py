"""The in-app inbox: messages a patient sees in the app, read and marked read there."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from scheduling.delivery.base import Delivery, DeliveryResult, Outcome
from scheduling.tables import InboxMessage


@dataclass(frozen=True)
class InboxEntry:
    """One in-app message as the patient API shows it."""

    id: UUID
    template_key: str
    subject: str
    body: str
    created_at: datetime
    read_at: datetime | None


def inbox_row(delivery: Delivery, *, now: datetime) -> InboxMessage:
    """The inbox entry for a delivered message."""
    return InboxMessage(
        message=delivery.message_id,
        recipient_kind=delivery.recipient_kind,
        recipient_id=delivery.recipient_id,
        template_key=delivery.template_key,
        subject=delivery.text.subject,
        body=delivery.text.body,
        created_at=now,
    )


class InboxChannel:
    """The in_app channel: the inbox is ours, so it needs no provider."""

    def __init__(self, now: datetime) -> None:
        """Kept for the channel interface; the dispatcher stamps the entry."""
        self._now = now

    async def send(self, delivery: Delivery) -> DeliveryResult:
        """Sent: the dispatcher writes the inbox entry as it records the message."""
        return DeliveryResult(Outcome.SENT, provider_payload="inbox", to_inbox=True)


def _entry(row: dict[str, Any]) -> InboxEntry:
    return InboxEntry(
        id=row["id"],
        template_key=row["template_key"],
        subject=row["subject"],
        body=row["body"],
        created_at=row["created_at"],
        read_at=row["read_at"],
    )


async def patient_inbox(
    patient_id: UUID | str,
    *,
    before: tuple[datetime, UUID] | None = None,
    limit: int = 50,
) -> list[InboxEntry]:
    """A patient's in-app messages, newest first, a page at a time.

    ``before`` is the last entry shown as (created_at, id): the next page starts after it.
    """
    query = InboxMessage.select(
        InboxMessage.id,
        InboxMessage.template_key,
        InboxMessage.subject,
        InboxMessage.body,
        InboxMessage.created_at,
        InboxMessage.read_at,
    ).where(
        (InboxMessage.recipient_kind == "patient") & (InboxMessage.recipient_id == str(patient_id))
    )
    if before is not None:
        created_at, last_id = before
        query = query.where(
            (InboxMessage.created_at < created_at)
            | ((InboxMessage.created_at == created_at) & (InboxMessage.id < last_id))
        )
    rows = await query.order_by(InboxMessage.created_at, InboxMessage.id, ascending=False).limit(
        limit
    )
    return [_entry(row) for row in rows]


async def mark_read(patient_id: UUID | str, entry_id: UUID, *, now: datetime) -> bool:
    """Mark one of the patient's messages read; False when it is not theirs or not found."""
    updated = (
        await InboxMessage.update({InboxMessage.read_at: now})
        .where(
            (InboxMessage.id == entry_id)
            & (InboxMessage.recipient_kind == "patient")
            & (InboxMessage.recipient_id == str(patient_id))
            & InboxMessage.read_at.is_null()
        )
        .returning(InboxMessage.id)
    )
    if updated:
        return True
    return await InboxMessage.exists().where(
        (InboxMessage.id == entry_id)
        & (InboxMessage.recipient_kind == "patient")
        & (InboxMessage.recipient_id == str(patient_id))
    )
