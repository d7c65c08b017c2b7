"""Texts patients send back to a reminder: YES confirms, NO cancels that one session.

GOV.UK Notify posts each received text to our callback (``receive_text``). The text is
stored once per Notify id (a retried callback finds it stored), then matched: the last
session reminder SMS sent (status sent) to a patient whose mobile number is the sender's,
within ``REMINDER_WINDOW`` before the text and for a session that had not started when
it came, names the patient and the session.

- YES: outcome "confirmed", shown on the register with its time (``replies_for_session``).
- NO: outcome "cancelled", and the register gets code 2 (cancelled by patient) for that
  enrolment and session unless it already has an entry (a facilitator's record is never
  overwritten); the enrolment is untouched (``groups.patient_cancellations``).
- neither: "unrecognised", for the group's facilitators to read.
- no such reminder: "unmatched"; reminders to the number went to several patients (a
  shared phone): "ambiguous". Both carry a phone number and no patient: admins and
  supervisors see them, facilitators do not (they cannot be scoped to a group).

Staff list replies (``list_replies``, newest first, ``unread`` filter) and mark them read.
Facilitators see the matched replies of the groups they run; admins the unmatched and
ambiguous ones (no clinical record in them); supervisors all. Lists naming patients are
audited as patient reads. The text and the number never go to the log.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from api.core.actor import Actor, Role
from api.core.database import is_unique_violation, write_transaction
from api.core.errors import InvalidInput, NotFound
from api.core.schemas import DEFAULT_PAGE_SIZE, Page, decode_cursor, encode_cursor
from api.identity import audit
from groups.access import groups_facilitated
from groups.patient_cancellations import record_patient_cancellation
from groups.tables import Patient
from scheduling.reminders import SESSION_REMINDER
from scheduling.rules.channels import SMS
from scheduling.rules.replies import Answer, normalise_number, parse_answer, shorten
from scheduling.schemas.replies import InboundMessageRead, NotifyReceivedText
from scheduling.tables import InboundMessage, OutboxMessage

# A reminder goes out at most two days (and two hours) before its session; three days
# back covers it with room for a slow reply.
REMINDER_WINDOW = timedelta(days=3)
CONFIRMED = "confirmed"
CANCELLED = "cancelled"
UNRECOGNISED = "unrecognised"
UNMATCHED = "unmatched"
AMBIGUOUS = "ambiguous"
MATCHED = (CONFIRMED, CANCELLED, UNRECOGNISED)
UNPLACED = (UNMATCHED, AMBIGUOUS)
ENTITY = "inbound_message"

_COLUMNS = (
    InboundMessage.id,
    InboundMessage.received_at,
    InboundMessage.from_number,
    InboundMessage.body,
    InboundMessage.outcome,
    InboundMessage.patient_id,
    InboundMessage.session_id,
    InboundMessage.group_id,
    InboundMessage.attendance_recorded,
    InboundMessage.read_at,
    InboundMessage.read_by,
)


@dataclass(frozen=True)
class Match:
    """What a received text was matched to."""

    outcome: str
    message_id: str | None = None
    patient_id: str | None = None
    session_id: str | None = None
    group_id: str | None = None
    enrolment_id: str | None = None


@dataclass(frozen=True)
class Received:
    """What the callback did: the stored row's id and outcome, and whether it was new."""

    id: UUID
    outcome: str
    stored: bool


def _utc(instant: datetime) -> datetime:
    if instant.tzinfo is None:
        return instant.replace(tzinfo=UTC)
    return instant.astimezone(UTC)


def _reminder_parts(dedup_key: str) -> tuple[str, str, str] | None:
    """(group, session, enrolment) from a reminder's dedup key (``reminders.reminder_key``)."""
    parts = dedup_key.split(":")
    if len(parts) < 8 or parts[0] != "group" or parts[2] != "session":
        return None
    try:
        return str(UUID(parts[1])), str(UUID(parts[3])), str(UUID(parts[6]))
    except ValueError:
        return None


async def _patients_with_number(number: str) -> list[str]:
    """Ids of the patients whose mobile number normalises to ``number`` (an index lookup)."""
    rows = await Patient.select(Patient.id).where(Patient.mobile_phone_normalised == number)
    return [str(row["id"]) for row in rows]


async def match_reply(number: str, *, received_at: datetime) -> Match:
    """The reminder a text from ``number`` answers, or why there is none."""
    patients = await _patients_with_number(number)
    if not patients:
        return Match(UNMATCHED)
    reminders = await (
        OutboxMessage.select(OutboxMessage.id, OutboxMessage.recipient_id, OutboxMessage.dedup_key)
        .where(
            (OutboxMessage.recipient_kind == "patient")
            & OutboxMessage.recipient_id.is_in(patients)
            & (OutboxMessage.template_key == SESSION_REMINDER.template_key)
            & (OutboxMessage.channel == SMS)
            & (OutboxMessage.status == "sent")
            & (OutboxMessage.sent_at >= received_at - REMINDER_WINDOW)
            & (OutboxMessage.sent_at <= received_at)
            & (OutboxMessage.expires_at > received_at)  # the session had not started
        )
        .order_by(OutboxMessage.sent_at, OutboxMessage.id, ascending=False)
    )
    reminders = [row for row in reminders if _reminder_parts(row["dedup_key"]) is not None]
    if not reminders:
        return Match(UNMATCHED)
    if len({row["recipient_id"] for row in reminders}) > 1:
        return Match(AMBIGUOUS)
    last = reminders[0]
    parts = _reminder_parts(last["dedup_key"])
    assert parts is not None  # noqa: S101 - filtered above
    group_id, session_id, enrolment_id = parts
    return Match(
        UNRECOGNISED,
        message_id=str(last["id"]),
        patient_id=last["recipient_id"],
        session_id=session_id,
        group_id=group_id,
        enrolment_id=enrolment_id,
    )


async def receive_text(
    text: NotifyReceivedText, *, now: datetime, request_id: str | None = None
) -> Received:
    """Store a received text once, match it, and act on a YES or NO (one transaction)."""
    try:
        return await _receive(text, now=now, request_id=request_id)
    except Exception as error:
        if not is_unique_violation(error):
            raise
    # Two deliveries of the same text raced; the other one stored it.
    row = (
        await InboundMessage.select(InboundMessage.id, InboundMessage.outcome)
        .where(InboundMessage.provider_id == text.id)
        .first()
    )
    if row is None:  # pragma: no cover - the clash was on another key
        raise InvalidInput([{"field": "id", "reason": "clashes with a stored text"}])
    return Received(id=row["id"], outcome=row["outcome"], stored=False)


async def _receive(text: NotifyReceivedText, *, now: datetime, request_id: str | None) -> Received:
    number = normalise_number(text.source_number)
    if number is None:
        raise InvalidInput([{"field": "source_number", "reason": "is not a phone number"}])
    received_at = min(_utc(text.date_received), now)
    async with write_transaction():
        stored = (
            await InboundMessage.select(InboundMessage.id, InboundMessage.outcome)
            .where(InboundMessage.provider_id == text.id)
            .first()
        )
        if stored is not None:
            return Received(id=stored["id"], outcome=stored["outcome"], stored=False)
        match = await match_reply(number, received_at=received_at)
        outcome = match.outcome
        recorded = False
        if outcome == UNRECOGNISED:
            answer = parse_answer(text.message)
            if answer is Answer.YES:
                outcome = CONFIRMED
            elif answer is Answer.NO and match.session_id and match.enrolment_id:
                outcome = CANCELLED
                recorded = await record_patient_cancellation(
                    UUID(match.session_id),
                    UUID(match.enrolment_id),
                    now=now,
                    request_id=request_id,
                )
        row = InboundMessage(
            provider_id=text.id,
            from_number=number,
            body=shorten(text.message),
            received_at=received_at,
            matched_message_id=match.message_id,
            patient_id=match.patient_id,
            session_id=match.session_id,
            group_id=match.group_id,
            outcome=outcome,
            attendance_recorded=recorded,
            created_at=now,
        )
        await row.save()
        await audit.record(
            Actor.system(request_id), "inbound_message.receive", ENTITY, row.id, now=now
        )
        return Received(id=row.id, outcome=outcome, stored=True)


@dataclass(frozen=True)
class SessionReply:
    """A patient's latest YES or NO to a session's reminders, and when it came."""

    outcome: str  # CONFIRMED or CANCELLED
    received_at: datetime


async def replies_for_session(session_id: UUID) -> dict[UUID, SessionReply]:
    """Each patient's latest YES or NO to the session's reminders, by patient id.

    For the register view (its caller checks access and audits the read). One query,
    whatever the number of patients.
    """
    rows = await (
        InboundMessage.select(
            InboundMessage.patient_id, InboundMessage.outcome, InboundMessage.received_at
        )
        .where(
            (InboundMessage.session_id == str(session_id))
            & InboundMessage.outcome.is_in([CONFIRMED, CANCELLED])
        )
        .order_by(InboundMessage.received_at, InboundMessage.id)
    )
    # Oldest first, so each patient's latest reply is the one left in the mapping.
    return {
        UUID(row["patient_id"]): SessionReply(row["outcome"], _utc(row["received_at"]))
        for row in rows
    }


async def _visible(by: Actor) -> Any | None:
    """The condition for the replies ``by`` may see; None when they may see none."""
    if by.has_any(Role.SUPERVISOR):
        return InboundMessage.id.is_not_null()
    conditions: list[Any] = []
    if by.has_any(Role.FACILITATOR):
        groups = [str(group) for group in await groups_facilitated(by)]
        if groups:
            conditions.append(
                InboundMessage.outcome.is_in(list(MATCHED)) & InboundMessage.group_id.is_in(groups)
            )
    if by.has_any(Role.ADMIN):
        conditions.append(InboundMessage.outcome.is_in(list(UNPLACED)))
    if not conditions:
        return None
    condition = conditions[0]
    for other in conditions[1:]:
        condition = condition | other
    return condition


def _after(cursor: str) -> Any:
    received_text, reply_id = decode_cursor(cursor, str, str)
    try:
        received_at = datetime.fromisoformat(received_text)
        last_id = UUID(reply_id)
    except ValueError as error:
        raise InvalidInput(
            [{"field": "cursor", "reason": "is not a cursor this API gave"}]
        ) from error
    return (InboundMessage.received_at < received_at) | (
        (InboundMessage.received_at == received_at) & (InboundMessage.id < last_id)
    )


async def list_replies(
    *,
    by: Actor,
    now: datetime,
    unread: bool | None = None,
    cursor: str | None = None,
    limit: int = DEFAULT_PAGE_SIZE,
) -> Page[InboundMessageRead]:
    """Replies ``by`` may see, newest first; ``unread`` true or false filters on read_at."""
    after = _after(cursor) if cursor is not None else None
    async with write_transaction():
        visible = await _visible(by)
        if visible is None:
            return Page[InboundMessageRead](items=[], next_cursor=None)
        conditions = [visible]
        if unread is True:
            conditions.append(InboundMessage.read_at.is_null())
        elif unread is False:
            conditions.append(InboundMessage.read_at.is_not_null())
        if after is not None:
            conditions.append(after)
        rows = (
            await InboundMessage.select(*_COLUMNS)
            .where(*conditions)
            .order_by(InboundMessage.received_at, InboundMessage.id, ascending=False)
            .limit(limit + 1)
        )
        items = [InboundMessageRead.model_validate(row) for row in rows[:limit]]
        patients = sorted({str(item.patient_id) for item in items if item.patient_id})
        await audit.record_reads(by, "patient", patients, now=now)
    last = items[-1] if items else None
    next_cursor = (
        encode_cursor(last.received_at.isoformat(), str(last.id))
        if last is not None and len(rows) > limit
        else None
    )
    return Page[InboundMessageRead](items=items, next_cursor=next_cursor)


async def mark_read(reply_id: UUID, *, by: Actor, now: datetime) -> InboundMessageRead:
    """Mark a reply read (the first reader and time are kept); 404 if ``by`` may not see it."""
    async with write_transaction():
        visible = await _visible(by)
        row = None
        if visible is not None:
            row = (
                await InboundMessage.select(*_COLUMNS)
                .where((InboundMessage.id == reply_id) & visible)
                .first()
            )
        if row is None:
            raise NotFound("No reply with this id.")
        if row["read_at"] is None:
            await InboundMessage.update(
                {InboundMessage.read_at: now, InboundMessage.read_by: by.user_id}
            ).where(InboundMessage.id == reply_id)
            await audit.record(by, "inbound_message.read", ENTITY, reply_id, now=now)
            row = {**row, "read_at": now, "read_by": by.user_id}
        if row["patient_id"]:
            await audit.record_reads(by, "patient", [row["patient_id"]], now=now)
    return InboundMessageRead.model_validate(row)
