"""The in-app inbox: messages a patient sees in the app, read and marked read there.

One entry per logical message: the copies of one message on several channels (dedup keys
that differ only in their last, channel part) share one entry. In development every copy
is delivered to the inbox, so each copy's entry is keyed (``InboxMessage.message``, a
unique column) by the same outbox row, the message's in-app copy when it has one, else its
first copy: whichever copy is sent first writes the entry and the others add nothing, on
a retry or from another dispatcher alike.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from scheduling.delivery.base import Delivery, DeliveryResult, Outcome
from scheduling.rules.channels import CHANNELS, IN_APP
from scheduling.tables import InboxMessage, OutboxMessage


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


@dataclass(frozen=True)
class InboxCopy:
    """An inbox entry to write for a sent copy, with the copy's dedup key and channel."""

    entry: InboxMessage
    dedup_key: str
    channel: str


def logical_key(dedup_key: str) -> str | None:
    """The dedup key without its channel part; None when it does not end with a channel."""
    stem, _, last = dedup_key.rpartition(":")
    return stem if stem and last in CHANNELS else None


def _first_copy(rows: Sequence[dict[str, Any]]) -> UUID:
    """The copy an entry is keyed by: the in-app one, else the first queued (channel order)."""
    in_app = [row for row in rows if row["channel"] == IN_APP]
    if in_app:
        return UUID(str(in_app[0]["id"]))
    first = min(rows, key=lambda row: (row["created_at"], CHANNELS.index(row["channel"])))
    return UUID(str(first["id"]))


async def one_entry_per_message(copies: Sequence[InboxCopy]) -> list[InboxMessage]:
    """The entries to insert, each keyed by its logical message's chosen copy (one query).

    An in-app copy keeps its own key (the chosen copy whenever there is one), so only
    other channels' copies, which only the development channel puts in the inbox, cost
    the query. Insert the result with ON CONFLICT (message) DO NOTHING.
    """
    stems = {
        index: stem
        for index, copy in enumerate(copies)
        if copy.channel != IN_APP and (stem := logical_key(copy.dedup_key)) is not None
    }
    if stems:
        keys = [f"{stem}:{channel}" for stem in set(stems.values()) for channel in CHANNELS]
        siblings: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
        for row in await OutboxMessage.select(
            OutboxMessage.id,
            OutboxMessage.dedup_key,
            OutboxMessage.channel,
            OutboxMessage.recipient_kind,
            OutboxMessage.recipient_id,
            OutboxMessage.created_at,
        ).where(OutboxMessage.dedup_key.is_in(keys)):
            stem = logical_key(row["dedup_key"])
            key = (str(stem), row["recipient_kind"], row["recipient_id"])
            siblings.setdefault(key, []).append(row)
        for index, stem in stems.items():
            entry = copies[index].entry
            rows = siblings.get((stem, entry.recipient_kind, entry.recipient_id))
            if rows:  # always: the copy's own row is one of them
                entry.message = _first_copy(rows)
    entries: dict[str, InboxMessage] = {}
    for copy in copies:
        entries.setdefault(str(copy.entry.message), copy.entry)
    return list(entries.values())


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
