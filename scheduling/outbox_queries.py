"""Staff views of the outbox: per patient, per group, failed messages; resend; templates.

Admins see the operational side (delivery status of every patient message) but not the
messages that exist because of a risk alert; facilitators see their own groups' patients;
supervisors everything. Lists that name patients are audited as patient reads.
"""

from datetime import datetime
from typing import Any
from uuid import UUID

from api.core.actor import Actor, Role
from api.core.database import write_transaction
from api.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from api.core.schemas import DEFAULT_PAGE_SIZE, Page, decode_cursor, encode_cursor
from api.core.settings import get_settings
from api.identity import audit
from groups.access import Side, facilitates_patient, require_group_access
from groups.tables import Enrolment, Patient
from scheduling.schemas.outbox import MessageTemplateRead, OutboxMessageRead, TemplateText
from scheduling.tables import OutboxMessage
from scheduling.templates import templates

CLINICAL_TEMPLATES = ("risk_alert_duty", "risk_alert_escalation")
ENTITY = "outbox_message"

_COLUMNS = tuple(getattr(OutboxMessage, name) for name in OutboxMessageRead.model_fields)


def _after(cursor: str) -> Any:
    created_text, message_id = decode_cursor(cursor, str, str)
    try:
        created_at = datetime.fromisoformat(created_text)
        last_id = UUID(message_id)
    except ValueError as error:
        raise InvalidInput(
            [{"field": "cursor", "reason": "is not a cursor this API gave"}]
        ) from error
    return (OutboxMessage.created_at < created_at) | (
        (OutboxMessage.created_at == created_at) & (OutboxMessage.id < last_id)
    )


async def _page(conditions: list[Any], cursor: str | None, limit: int) -> Page[OutboxMessageRead]:
    if cursor is not None:
        conditions = [*conditions, _after(cursor)]
    rows = (
        await OutboxMessage.select(*_COLUMNS)
        .where(*conditions)
        .order_by(OutboxMessage.created_at, OutboxMessage.id, ascending=False)
        .limit(limit + 1)
    )
    items = [OutboxMessageRead.model_validate(row) for row in rows[:limit]]
    last = items[-1] if items else None
    next_cursor = (
        encode_cursor(last.created_at.isoformat(), str(last.id))
        if last and len(rows) > limit
        else None
    )
    return Page[OutboxMessageRead](items=items, next_cursor=next_cursor)


def _operational_only(by: Actor) -> list[Any]:
    """Admins without a clinical role do not see risk-alert notices."""
    if by.has_any(Role.SUPERVISOR, Role.FACILITATOR) or by.user_id is None:
        return []
    return [OutboxMessage.template_key.not_in(list(CLINICAL_TEMPLATES))]


async def patient_messages(
    patient_id: UUID,
    *,
    by: Actor,
    now: datetime,
    cursor: str | None = None,
    limit: int = DEFAULT_PAGE_SIZE,
) -> Page[OutboxMessageRead]:
    """A patient's messages, newest first (an audited read of the patient)."""
    if not await Patient.exists().where(Patient.id == patient_id):
        raise NotFound("No patient with this id.")
    if not by.has_any(Role.ADMIN, Role.SUPERVISOR) and not await facilitates_patient(
        by, patient_id
    ):
        raise Forbidden("You do not facilitate a group this patient is in.")
    conditions = [
        OutboxMessage.recipient_kind == "patient",
        OutboxMessage.recipient_id == str(patient_id),
        *_operational_only(by),
    ]
    page = await _page(conditions, cursor, limit)
    async with write_transaction():
        await audit.record_reads(by, "patient", [patient_id], now=now)
    return page


async def group_messages(
    group_id: UUID,
    *,
    by: Actor,
    now: datetime,
    cursor: str | None = None,
    limit: int = DEFAULT_PAGE_SIZE,
) -> Page[OutboxMessageRead]:
    """Messages to the patients enrolled in the group (any status), newest first."""
    await require_group_access(group_id, by, Side.OPERATIONAL)
    rows = await Enrolment.select(Enrolment.patient).where(Enrolment.group == group_id)
    patient_ids = sorted({str(row["patient"]) for row in rows})
    if not patient_ids:
        return Page[OutboxMessageRead](items=[], next_cursor=None)
    conditions = [
        OutboxMessage.recipient_kind == "patient",
        OutboxMessage.recipient_id.is_in(patient_ids),
        *_operational_only(by),
    ]
    page = await _page(conditions, cursor, limit)
    shown = sorted({item.recipient_id for item in page.items})
    if shown:
        async with write_transaction():
            await audit.record_reads(by, "patient", shown, now=now)
    return page


async def failed_messages(
    *, by: Actor, now: datetime, cursor: str | None = None, limit: int = DEFAULT_PAGE_SIZE
) -> Page[OutboxMessageRead]:
    """Messages that failed for good, newest first, for staff to act on."""
    page = await _page([OutboxMessage.status == "failed", *_operational_only(by)], cursor, limit)
    shown = sorted({item.recipient_id for item in page.items if item.recipient_kind == "patient"})
    if shown:
        async with write_transaction():
            await audit.record_reads(by, "patient", shown, now=now)
    return page


async def resend_message(message_id: UUID, *, by: Actor, now: datetime) -> OutboxMessageRead:
    """Put a failed message back in the queue, due now, with a fresh count of attempts.

    Raises:
        NotFound: no such message (or an admin asking for a risk-alert notice).
        Conflict: it has not failed, or its text was already removed by retention.
    """
    async with write_transaction():
        row = (
            await OutboxMessage.select(
                OutboxMessage.status, OutboxMessage.purged_at, OutboxMessage.template_key
            )
            .where(OutboxMessage.id == message_id)
            .first()
        )
        if row is None or (_operational_only(by) and row["template_key"] in CLINICAL_TEMPLATES):
            raise NotFound("No message with this id.")
        if row["status"] != "failed":
            raise Conflict("Only a failed message can be sent again.", status_now=row["status"])
        if row["purged_at"] is not None:
            raise Conflict("This message's details were removed after the retention period.")
        await OutboxMessage.update(
            {
                OutboxMessage.status: "pending",
                OutboxMessage.attempts: 0,
                OutboxMessage.due_at: now,
                OutboxMessage.last_error: "",
                OutboxMessage.claimed_until: None,
                OutboxMessage.updated_at: now,
            }
        ).where(OutboxMessage.id == message_id)
        await audit.record(by, f"{ENTITY}.resend", ENTITY, message_id, now=now)
        updated = (
            await OutboxMessage.select(*_COLUMNS).where(OutboxMessage.id == message_id).first()
        )
    return OutboxMessageRead.model_validate(updated)


def message_templates() -> Page[MessageTemplateRead]:
    """Every message kind with its wording; one page (the list is short and fixed)."""
    notify_ids = get_settings().messaging.notify_template_ids
    items = [
        MessageTemplateRead(
            key=entry.key,
            audience=entry.audience,
            parameters=list(entry.parameters),
            languages=list(entry.languages),
            text={
                language: TemplateText(subject=text.subject, body=text.body)
                for language, text in sorted(entry.text.items())
            },
            notify_template_id=notify_ids.get(entry.key),
        )
        for entry in sorted(templates().values(), key=lambda found: found.key)
    ]
    return Page[MessageTemplateRead](items=items, next_cursor=None)
