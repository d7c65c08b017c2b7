"""The dispatcher: claims due messages, checks consent again, sends, records the outcome.

1. Claim a batch in one transaction: due pending rows, plus "sending" rows whose claim
   ran out (a dispatcher died mid-send). PostgreSQL skips rows another dispatcher holds
   (``FOR UPDATE SKIP LOCKED``); SQLite's BEGIN IMMEDIATE lets one claim at a time.
   Claimed rows become "sending" with a stable provider reference (``stepwise-<id>``),
   committed before any provider is called: a kill after the hand-off sends again with
   the same reference, so the provider (and we) can tell it is the same message.
2. Outside any transaction, per message: cancel it if it expired (a reminder for a
   session that began) or consent was withdrawn since it was queued; put it back if it
   would land in quiet hours; render it, refuse it if clinical wording slipped in, and
   hand it to its channel.
3. Record sent, failed (for staff to see) or pending again after an exponential backoff;
   after ``max_attempts`` tries it fails.
"""

import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from api.core.database import is_postgres, write_transaction
from api.core.settings import get_settings
from scheduling.booking_queries import service_zone
from scheduling.delivery.base import Address, Channel, Delivery, DeliveryResult, Outcome
from scheduling.delivery.inbox import InboxCopy, inbox_row, one_entry_per_message
from scheduling.delivery.recipients import Recipient, RecipientDirectory
from scheduling.rules.channels import EMAIL, LETTER, SMS, is_consented
from scheduling.rules.clinical_words import forbidden_words_in, forbidden_words_in_values
from scheduling.rules.quiet_hours import send_at
from scheduling.rules.retry import gives_up, retry_delay
from scheduling.tables import InboxMessage, OutboxMessage
from scheduling.templates import TemplateError, render, template

_log = logging.getLogger("stepwise.outbox")
PENDING, SENDING, SENT, FAILED, CANCELLED = "pending", "sending", "sent", "failed", "cancelled"


@dataclass
class DispatchReport:
    """How many messages one run claimed and what became of them."""

    claimed: int = 0
    sent: int = 0
    retried: int = 0
    failed: int = 0
    cancelled: int = 0
    deferred: int = 0
    outcomes: dict[UUID, str] = field(default_factory=dict)


def provider_reference(message_id: UUID) -> str:
    """The reference a message carries to the provider on every attempt."""
    return f"stepwise-{message_id}"


async def _due_ids(now: datetime, limit: int) -> list[UUID]:
    found: list[UUID] = []
    for condition in (
        (OutboxMessage.status == PENDING) & (OutboxMessage.due_at <= now),
        (OutboxMessage.status == SENDING) & (OutboxMessage.claimed_until < now),
    ):
        if len(found) >= limit:
            break
        query = (
            OutboxMessage.select(OutboxMessage.id)
            .where(condition)
            .order_by(OutboxMessage.urgent, ascending=False)
            .order_by(OutboxMessage.due_at)
            .limit(limit - len(found))
        )
        if is_postgres():
            query = query.lock_rows("UPDATE", skip_locked=True)
        found.extend(row["id"] for row in await query)
    return found


async def claim_due(now: datetime, *, limit: int, lease: timedelta) -> list[dict[str, Any]]:
    """Claim up to ``limit`` due messages for this dispatcher (committed on return)."""
    async with write_transaction():
        ids = await _due_ids(now, limit)
        if not ids:
            return []
        await OutboxMessage.update(
            {
                OutboxMessage.status: SENDING,
                OutboxMessage.claimed_until: now + lease,
                OutboxMessage.updated_at: now,
            }
        ).where(OutboxMessage.id.is_in(ids))
        for message_id in ids:
            await OutboxMessage.update(
                {OutboxMessage.provider_reference: provider_reference(message_id)}
            ).where((OutboxMessage.id == message_id) & (OutboxMessage.provider_reference == ""))
        rows: list[dict[str, Any]] = (
            await OutboxMessage.select().where(OutboxMessage.id.is_in(ids)).output(load_json=True)
        )
    return rows


# Outcomes are recorded in one transaction per this many messages: one commit instead of
# one each, while a kill mid-batch leaves at most this many sent-but-unrecorded messages
# (sent again, with the same reference, once their claim runs out).
FLUSH_EVERY = 20


async def _record_outcomes(
    outcomes: Sequence[tuple[UUID, Mapping[Any, Any]]],
    inbox: Sequence[InboxCopy],
    *,
    now: datetime,
) -> None:
    """Record outcomes and the inbox entries of messages sent there, in one transaction.

    A row another dispatcher took over meanwhile (no longer "sending") is left alone. A
    message sent on several channels gets one inbox entry (``one_entry_per_message``).
    """
    async with write_transaction():
        for message_id, values in outcomes:
            await OutboxMessage.update(
                {**values, OutboxMessage.claimed_until: None, OutboxMessage.updated_at: now}
            ).where((OutboxMessage.id == message_id) & (OutboxMessage.status == SENDING))
        if inbox:
            entries = await one_entry_per_message(inbox)
            await InboxMessage.insert(*entries).on_conflict(
                target=InboxMessage.message, action="DO NOTHING"
            )


def _clinical_wording(rendered_subject: str, rendered_body: str, values: Mapping[str, str]) -> str:
    words = (
        forbidden_words_in(rendered_subject)
        + forbidden_words_in(rendered_body)
        + forbidden_words_in_values(values)
    )
    return ", ".join(sorted(set(words)))


def _only_what(channel: str, address: Address) -> Address:
    """The one address the channel needs, so nothing else is written or sent."""
    if channel == SMS:
        return Address(phone=address.phone)
    if channel == EMAIL:
        return Address(email=address.email)
    if channel == LETTER:
        return Address(postal_lines=address.postal_lines)
    return Address()


class Dispatcher:
    """One dispatch run's collaborators: channels per name, recipients directory, clock."""

    def __init__(
        self,
        channels: Mapping[str, Channel],
        directory: RecipientDirectory,
        *,
        now: datetime,
    ) -> None:
        """Channels by name (sms, email...), the directory for send-time consent, ``now``."""
        self._channels = channels
        self._directory = directory
        self._now = now
        self._messaging = get_settings().messaging
        self._zone = service_zone()
        self._outcomes: list[tuple[UUID, Mapping[Any, Any]]] = []
        self._inbox: list[InboxCopy] = []

    async def _finish(self, message_id: UUID, values: Mapping[Any, Any], *, now: datetime) -> None:
        """Keep an outcome to record with the next flush."""
        self._outcomes.append((message_id, values))
        if len(self._outcomes) >= FLUSH_EVERY:
            await self._flush()

    async def _flush(self) -> None:
        """Record the kept outcomes in one transaction (one commit, not one per message)."""
        outcomes, self._outcomes = self._outcomes, []
        inbox, self._inbox = self._inbox, []
        if outcomes:
            await _record_outcomes(outcomes, inbox, now=self._now)

    async def run(self, *, limit: int | None = None) -> DispatchReport:
        """Claim one batch and settle every message in it."""
        report = DispatchReport()
        rows = await claim_due(
            self._now,
            limit=limit or self._messaging.dispatch_batch,
            lease=timedelta(seconds=self._messaging.sending_lease_seconds),
        )
        report.claimed = len(rows)
        recipients = await self._recipients(rows)
        for row in rows:
            outcome = await self._settle(
                row, recipients.get((row["recipient_kind"], row["recipient_id"]))
            )
            report.outcomes[row["id"]] = outcome
            setattr(report, outcome, getattr(report, outcome) + 1)
        await self._flush()
        return report

    async def _recipients(self, rows: Sequence[dict[str, Any]]) -> dict[tuple[str, str], Recipient]:
        by_kind: dict[str, list[str]] = {}
        for row in rows:
            by_kind.setdefault(row["recipient_kind"], []).append(row["recipient_id"])
        found: dict[tuple[str, str], Recipient] = {}
        for kind, ids in by_kind.items():
            for recipient_id, recipient in (await self._directory.lookup(kind, ids)).items():
                found[(kind, recipient_id)] = recipient
        return found

    async def _cancel(self, row: dict[str, Any], reason: str) -> str:
        await self._finish(
            row["id"],
            {OutboxMessage.status: CANCELLED, OutboxMessage.last_error: reason},
            now=self._now,
        )
        return "cancelled"

    async def _settle(self, row: dict[str, Any], recipient: Recipient | None) -> str:
        now = self._now
        if row["expires_at"] is not None and row["expires_at"] <= now:
            return await self._cancel(row, "expired before it could be sent")
        if recipient is None:
            return await self._cancel(row, "recipient not found")
        if not is_consented(row["channel"], recipient.preferences):
            return await self._cancel(row, "no consent or address for this channel at send time")
        allowed = send_at(
            now,
            urgent=row["urgent"],
            start_hour=self._messaging.quiet_hours_start,
            end_hour=self._messaging.quiet_hours_end,
            zone=self._zone,
        )
        if allowed > now:
            await self._finish(
                row["id"], {OutboxMessage.status: PENDING, OutboxMessage.due_at: allowed}, now=now
            )
            return "deferred"
        given = {str(k): str(v) for k, v in (row["parameters"] or {}).items()}
        try:
            text = render(row["template_key"], row["language"], given)
        except TemplateError as error:
            return await self._fail(row, str(error), attempts=row["attempts"])
        # Only the parameters the template declares leave the system (as Notify's
        # personalisation); anything else a caller stored stays in the row.
        parameters = {name: given[name] for name in template(row["template_key"]).parameters}
        wording = _clinical_wording(text.subject, text.body, parameters)
        if wording:
            return await self._fail(
                row, f"refused: clinical wording ({wording})", attempts=row["attempts"]
            )
        channel = self._channels.get(row["channel"])
        if channel is None:
            return await self._fail(
                row, f"no delivery for {row['channel']}", attempts=row["attempts"]
            )
        delivery = Delivery(
            message_id=row["id"],
            reference=row["provider_reference"] or provider_reference(row["id"]),
            channel=row["channel"],
            template_key=row["template_key"],
            recipient_kind=row["recipient_kind"],
            recipient_id=row["recipient_id"],
            address=_only_what(row["channel"], recipient.address),
            text=text,
            personalisation=parameters,
        )
        try:
            result = await channel.send(delivery)
        except Exception as error:  # an adapter's bug must not strand the rest of the batch
            # The type only: an exception's text may quote the address or the message.
            _log.error("delivery by %s raised %s", row["channel"], type(error).__name__)
            result = DeliveryResult(Outcome.RETRY, error=f"delivery raised {type(error).__name__}")
        if result.outcome is Outcome.SENT and result.to_inbox:
            self._inbox.append(
                InboxCopy(inbox_row(delivery, now=self._now), row["dedup_key"], row["channel"])
            )
        return await self._record(row, result, text.subject, text.body)

    async def _fail(self, row: dict[str, Any], error: str, *, attempts: int) -> str:
        await self._finish(
            row["id"],
            {
                OutboxMessage.status: FAILED,
                OutboxMessage.last_error: error[:500],
                OutboxMessage.attempts: attempts,
            },
            now=self._now,
        )
        return "failed"

    async def _record(
        self, row: dict[str, Any], result: DeliveryResult, subject: str, body: str
    ) -> str:
        attempts = row["attempts"] + 1
        if result.outcome is Outcome.SENT:
            await self._finish(
                row["id"],
                {
                    OutboxMessage.status: SENT,
                    OutboxMessage.attempts: attempts,
                    OutboxMessage.sent_at: self._now,
                    OutboxMessage.last_error: "",
                    OutboxMessage.rendered_subject: subject,
                    OutboxMessage.rendered_body: body,
                    OutboxMessage.provider_payload: result.provider_payload,
                },
                now=self._now,
            )
            return "sent"
        if result.outcome is Outcome.FAILED or gives_up(
            attempts, max_attempts=self._messaging.max_attempts
        ):
            return await self._fail(row, result.error, attempts=attempts)
        delay = retry_delay(
            attempts,
            base_seconds=self._messaging.retry_base_seconds,
            max_seconds=self._messaging.retry_max_seconds,
        )
        await self._finish(
            row["id"],
            {
                OutboxMessage.status: PENDING,
                OutboxMessage.attempts: attempts,
                OutboxMessage.last_error: result.error[:500],
                OutboxMessage.due_at: self._now + delay,
            },
            now=self._now,
        )
        return "retried"


async def dispatch_due(
    *,
    now: datetime,
    channels: Mapping[str, Channel],
    directory: RecipientDirectory,
    limit: int | None = None,
) -> DispatchReport:
    """Send one batch of due messages (the dispatch job's service)."""
    return await Dispatcher(channels, directory, now=now).run(limit=limit)


def payload_of(row: Mapping[str, Any]) -> Any:
    """A sent message's provider payload as JSON, or the raw text if it is not JSON."""
    text = row.get("provider_payload") or ""
    try:
        return json.loads(text)
    except ValueError:
        return text
