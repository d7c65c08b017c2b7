"""Queuing outbox messages: every message is a row before anything sends it.

A message's ``dedup_key`` is unique, so queuing the same logical message twice (a retry,
a second process, a replayed request) adds nothing. Call ``queue_messages`` inside the
caller's write transaction, so the message exists exactly when the change it reports
does. Delivery (channels, retries, quiet hours) is the reminders issue's work.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from scheduling.rules.channels import CHANNELS
from scheduling.tables import OutboxMessage

RECIPIENT_KINDS = ("patient", "staff", "duty")
PENDING = "pending"


@dataclass(frozen=True)
class OutgoingMessage:
    """One message to queue. ``parameters`` fill the template and carry no clinical detail."""

    recipient_kind: str
    recipient_id: str
    channel: str
    template_key: str
    dedup_key: str
    due_at: datetime
    parameters: Mapping[str, str] = field(default_factory=dict)
    language: str = "en"
    urgent: bool = False

    def __post_init__(self) -> None:
        if self.recipient_kind not in RECIPIENT_KINDS:
            raise ValueError(f"unknown recipient kind {self.recipient_kind!r}")
        if self.channel not in CHANNELS:
            raise ValueError(f"unknown channel {self.channel!r}")
        if not self.dedup_key or len(self.dedup_key) > 200:
            raise ValueError("a dedup key of 1 to 200 characters is required")


async def queue_messages(messages: Sequence[OutgoingMessage], *, now: datetime) -> None:
    """Insert the messages as pending; a dedup key already queued is skipped silently."""
    if not messages:
        return
    rows = [
        OutboxMessage(
            recipient_kind=message.recipient_kind,
            recipient_id=message.recipient_id,
            channel=message.channel,
            template_key=message.template_key,
            language=message.language,
            parameters=dict(message.parameters),
            dedup_key=message.dedup_key,
            urgent=message.urgent,
            due_at=message.due_at,
            status=PENDING,
            created_at=now,
            updated_at=now,
        )
        for message in messages
    ]
    await OutboxMessage.insert(*rows).on_conflict(
        target=OutboxMessage.dedup_key, action="DO NOTHING"
    )
