"""Queuing outbox messages: every message is a row before anything sends it.

A message's ``dedup_key`` is unique, so queuing the same logical message twice (a retry,
a second process, a replayed request) adds nothing. Call ``queue_messages`` inside the
caller's write transaction, so the message exists exactly when the change it reports
does. A non-urgent message due in quiet hours is queued for the end of them (the
dispatcher checks again at send time). ``scheduling.dispatcher`` sends the rows.

Cancelling: dedup keys name what a message is about, most general first (for example
``group:<id>:session:<id>:reminder:2d:<enrolment>:sms``), so cancelling a group or a
session cancels its pending messages by key prefix (``cancel_pending_for``); withdrawing
consent cancels a recipient's pending messages on that channel
(``cancel_pending_for_recipient``).
"""

import json
import uuid
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from api.core import prepared
from api.core.database import is_postgres
from api.core.settings import get_settings
from scheduling.booking_queries import service_zone
from scheduling.rules.channels import CHANNELS
from scheduling.rules.quiet_hours import send_at
from scheduling.tables import OutboxMessage

RECIPIENT_KINDS = ("patient", "staff", "duty")
PENDING = "pending"
INSERT_CHUNK = 1000


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
    # After this instant the message is no use and is cancelled rather than sent.
    expires_at: datetime | None = None

    def __post_init__(self) -> None:
        if self.recipient_kind not in RECIPIENT_KINDS:
            raise ValueError(f"unknown recipient kind {self.recipient_kind!r}")
        if self.channel not in CHANNELS:
            raise ValueError(f"unknown channel {self.channel!r}")
        if not self.dedup_key or len(self.dedup_key) > 200:
            raise ValueError("a dedup key of 1 to 200 characters is required")


_COLUMNS = (
    "id",
    "recipient_kind",
    "recipient_id",
    "channel",
    "template_key",
    "language",
    "parameters",
    "dedup_key",
    "urgent",
    "due_at",
    "status",
    "attempts",
    "last_error",
    "provider_reference",
    "sent_at",
    "created_at",
    "updated_at",
    "expires_at",
    "claimed_until",
    "rendered_subject",
    "rendered_body",
    "provider_payload",
    "purged_at",
)


def _values(message: OutgoingMessage, due_at: datetime, now: datetime) -> tuple[Any, ...]:
    """One row in ``_COLUMNS`` order, as the drivers take it (JSON as text)."""
    return (
        uuid.uuid4(),
        message.recipient_kind,
        message.recipient_id,
        message.channel,
        message.template_key,
        message.language,
        json.dumps(dict(message.parameters), ensure_ascii=False),
        message.dedup_key,
        message.urgent,
        due_at,
        PENDING,
        0,
        "",
        "",
        None,
        now,
        now,
        message.expires_at,
        None,
        "",
        "",
        "",
        None,
    )


def _insert_sql() -> str:
    names = ", ".join(_COLUMNS)
    if is_postgres():
        marks = ", ".join(f"${number}" for number in range(1, len(_COLUMNS) + 1))
    else:
        marks = ", ".join("?" for _ in _COLUMNS)
    return (
        f"INSERT INTO outbox_message ({names}) VALUES ({marks}) "  # noqa: S608 - fixed names
        "ON CONFLICT (dedup_key) DO NOTHING"
    )


async def queue_messages(messages: Sequence[OutgoingMessage], *, now: datetime) -> None:
    """Insert the messages as pending; a dedup key already queued is skipped silently."""
    if not messages:
        return
    messaging = get_settings().messaging
    zone = service_zone()
    rows = [
        _values(
            message,
            send_at(
                message.due_at,
                urgent=message.urgent,
                start_hour=messaging.quiet_hours_start,
                end_hour=messaging.quiet_hours_end,
                zone=zone,
            ),
            now,
        )
        for message in messages
    ]
    # executemany on the write transaction's connection: Piccolo's query building was two
    # thirds of the cost of queuing at volume (measured). Outside a transaction it
    # answers False and Piccolo inserts.
    if await prepared.run_many(_insert_sql(), rows):
        return
    # Outside a transaction: Piccolo's insert, in chunks (PostgreSQL takes at most 32,767
    # arguments a statement, about 1,400 rows here).
    tables = [OutboxMessage(**dict(zip(_COLUMNS, row, strict=True))) for row in rows]
    for start in range(0, len(tables), INSERT_CHUNK):
        await OutboxMessage.insert(*tables[start : start + INSERT_CHUNK]).on_conflict(
            target=OutboxMessage.dedup_key, action="DO NOTHING"
        )


async def cancel_pending_for(dedup_key_prefix: str, *, now: datetime, reason: str = "") -> int:
    """Cancel the pending messages whose dedup key starts with the prefix; how many.

    Call it inside the write transaction that cancels the thing (a session:
    ``f"group:{group_id}:session:{session_id}:"``, a group: ``f"group:{group_id}:"``).
    Messages already claimed by a dispatcher ("sending") are left to finish.
    """
    if not dedup_key_prefix:
        raise ValueError("a non-empty dedup key prefix is required")
    # LIKE narrows by index; startswith makes it exact (LIKE's "_" is a wildcard, and
    # SQLite has no default escape character).
    candidates = await OutboxMessage.select(OutboxMessage.id, OutboxMessage.dedup_key).where(
        (OutboxMessage.status == PENDING) & OutboxMessage.dedup_key.like(dedup_key_prefix + "%")
    )
    ids = [row["id"] for row in candidates if row["dedup_key"].startswith(dedup_key_prefix)]
    if not ids:
        return 0
    rows = await (
        OutboxMessage.update(
            {
                OutboxMessage.status: "cancelled",
                OutboxMessage.last_error: reason or "cancelled: what it was about was cancelled",
                OutboxMessage.updated_at: now,
            }
        )
        .where(OutboxMessage.id.is_in(ids) & (OutboxMessage.status == PENDING))
        .returning(OutboxMessage.id)
    )
    return len(rows)


async def cancel_pending_for_recipient(
    recipient_kind: str,
    recipient_id: str,
    *,
    now: datetime,
    channels: Collection[str] | None = None,
    reason: str = "cancelled: consent withdrawn",
) -> int:
    """Cancel a recipient's pending messages (on ``channels``, or all); how many."""
    condition = (
        (OutboxMessage.status == PENDING)
        & (OutboxMessage.recipient_kind == recipient_kind)
        & (OutboxMessage.recipient_id == recipient_id)
    )
    if channels is not None:
        if not channels:
            return 0
        condition = condition & OutboxMessage.channel.is_in(list(channels))
    rows = (
        await OutboxMessage.update(
            {
                OutboxMessage.status: "cancelled",
                OutboxMessage.last_error: reason,
                OutboxMessage.updated_at: now,
            }
        )
        .where(condition)
        .returning(OutboxMessage.id)
    )
    return len(rows)
