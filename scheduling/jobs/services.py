"""What each background job does: thin services taking ``now``, recomputed from the tables.

Each is safe to run late, twice or on two processes at once: dedup keys, the reminder
ledger, claimed rows and the groups services' own locks make repeats harmless.
"""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from api.core.database import write_transaction
from api.core.settings import get_settings
from api.identity.tables import StaffUser
from groups import enrolments, risk_alerts
from groups.rules.groups import CLOSED
from groups.tables import Enrolment
from scheduling.delivery.channels import configured_channels
from scheduling.dispatcher import DispatchReport, dispatch_due
from scheduling.jobs.homework import queue_homework_reminders
from scheduling.jobs.recipients import ServiceDirectory
from scheduling.outbox import OutgoingMessage, queue_messages
from scheduling.reminders import (
    ReminderReport,
    queue_questionnaire_nudges,
    queue_session_reminders,
)
from scheduling.rules.channels import EMAIL, IN_APP, SMS
from scheduling.tables import OutboxMessage

_log = logging.getLogger("stepwise.jobs")
MAX_BATCHES_PER_TICK = 50
ESCALATION_TEMPLATE = "risk_alert_escalation"
SUPERVISOR = "supervisor"


async def dispatch_outbox(*, now: datetime) -> DispatchReport:
    """Send due messages, batch after batch, until none is due (or the tick's cap)."""
    total = DispatchReport()
    batch = get_settings().messaging.dispatch_batch
    channels = configured_channels(now)
    directory = ServiceDirectory()
    for _ in range(MAX_BATCHES_PER_TICK):
        report = await dispatch_due(now=now, channels=channels, directory=directory, limit=batch)
        for name in ("claimed", "sent", "retried", "failed", "cancelled", "deferred"):
            setattr(total, name, getattr(total, name) + getattr(report, name))
        if report.claimed < batch:
            break
    return total


async def queue_reminders(*, now: datetime) -> ReminderReport:
    """The session reminders due by now."""
    return await queue_session_reminders(now=now)


async def nudge_questionnaires(*, now: datetime) -> ReminderReport:
    """The questionnaire nudges due by now."""
    return await queue_questionnaire_nudges(now=now)


async def remind_homework(*, now: datetime) -> int:
    """Homework due reminders (a day before, unsent homework only)."""
    return await queue_homework_reminders(now=now)


async def offer_expired_places(*, now: datetime) -> int:
    """Offer places freed by expired invitations (or declines) to the waiting lists.

    Calls ``groups.enrolments.offer_freed_places`` for every open group with someone
    waiting; that service locks the group and offers only free places, so a repeat
    offers nothing twice. Answers how many places were offered.
    """
    rows = (
        await Enrolment.select(Enrolment.group)
        .where(
            (Enrolment.status == "waitlisted")
            & Enrolment.group.status.not_in([str(status) for status in CLOSED])
        )
        .distinct()
    )
    offered = 0
    for row in rows:
        offered += len(await enrolments.offer_freed_places(row["group"], now=now))
    return offered


async def _supervisors() -> list[str]:
    rows = await StaffUser.select(StaffUser.id, StaffUser.roles).where(
        StaffUser.is_active == True  # noqa: E712 - Piccolo builds SQL from it
    )
    return [str(row["id"]) for row in rows if SUPERVISOR in (row["roles"] or [])]


def _escalation_messages(
    alert_id: str, supervisors: list[str], now: datetime
) -> list[OutgoingMessage]:
    minutes = str(get_settings().clinical.risk_escalation_minutes)
    clinical = get_settings().clinical
    parameters = {"alert_id": alert_id, "minutes": minutes}
    recipients = [
        ("duty", "duty", channel)
        for channel, address in (
            (EMAIL, clinical.duty_contact_email),
            (SMS, clinical.duty_contact_phone),
        )
        if address
    ]
    recipients.append(("duty", "duty", IN_APP))
    for staff_id in supervisors:
        recipients.extend([("staff", staff_id, EMAIL), ("staff", staff_id, IN_APP)])
    return [
        OutgoingMessage(
            recipient_kind=kind,
            recipient_id=recipient_id,
            channel=channel,
            template_key=ESCALATION_TEMPLATE,
            dedup_key=f"risk-alert:{alert_id}:escalation:{kind}:{recipient_id}:{channel}",
            due_at=now,
            parameters=parameters,
            urgent=True,
        )
        for kind, recipient_id, channel in recipients
    ]


async def escalate_risk_alerts(*, now: datetime) -> int:
    """Tell the duty contact and every supervisor of alerts unacknowledged too long.

    Each alert is escalated once (``mark_escalated`` in the same transaction as the
    messages; dedup keys make a race harmless). Answers how many were escalated.
    """
    due = await risk_alerts.alerts_due_for_escalation(now=now)
    if not due:
        return 0
    supervisors = await _supervisors()
    for alert_id in due:
        async with write_transaction():
            await queue_messages(_escalation_messages(str(alert_id), supervisors, now), now=now)
            await risk_alerts.mark_escalated(alert_id, now=now)
    return len(due)


@dataclass(frozen=True)
class RetentionReport:
    """How many finished messages had their text and provider answer removed."""

    purged: int


async def purge_message_bodies(*, now: datetime, days: int | None = None) -> RetentionReport:
    """Blank rendered text, parameters and provider payloads of messages finished long ago.

    The row stays (recipient, channel, kind, key, status, times, attempts, reference), so
    staff can still see that a message went. Clinical records, alerts, the inbox and the
    audit log are not touched.
    """
    keep = timedelta(days=days if days is not None else get_settings().messaging.retention_days)
    async with write_transaction():
        rows = (
            await OutboxMessage.update(
                {
                    OutboxMessage.rendered_subject: "",
                    OutboxMessage.rendered_body: "",
                    OutboxMessage.provider_payload: "",
                    OutboxMessage.parameters: {},
                    OutboxMessage.purged_at: now,
                }
            )
            .where(
                OutboxMessage.status.is_in(["sent", "failed", "cancelled"])
                & OutboxMessage.purged_at.is_null()
                & (OutboxMessage.updated_at < now - keep)
            )
            .returning(OutboxMessage.id)
        )
    return RetentionReport(purged=len(rows))
