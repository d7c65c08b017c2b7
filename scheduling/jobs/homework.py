"""Homework due reminders: a day before practice is due, to patients who have not sent it.

One message per patient per due time and channel (several tasks due together make one
reminder), recomputed from the tables on every run; the dedup key makes it once.
"""

from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

from api.core.database import write_transaction
from groups.rules.enrolment import PLACE_HOLDING, holds_place
from materials.tables import Assignment, HomeworkSubmission
from scheduling.booking_queries import service_zone
from scheduling.jobs.recipients import contact_columns, patient_preferences
from scheduling.outbox import OutgoingMessage, queue_messages
from scheduling.reminders import reminder_channels
from scheduling.rules.reminders import spoken_time

BEFORE = timedelta(days=1)
TEMPLATE = "homework_due"


async def _due_assignments(now: datetime) -> list[dict[str, Any]]:
    submitted = HomeworkSubmission.select(HomeworkSubmission.assignment).where(
        HomeworkSubmission.status == "submitted"
    )
    return await Assignment.select(
        Assignment.id,
        Assignment.due_at,
        Assignment.enrolment._.id.as_alias("enrolment_id"),
        Assignment.enrolment._.group.as_alias("group_id"),
        Assignment.enrolment._.status.as_alias("status"),
        Assignment.enrolment._.invitation_expires_at.as_alias("invitation_expires_at"),
        Assignment.enrolment._.patient._.id.as_alias("patient_id"),
        *contact_columns(Assignment.enrolment._.patient),
    ).where(
        (Assignment.kind == "homework")
        & (Assignment.due_at > now)
        & (Assignment.due_at <= now + BEFORE)
        & Assignment.enrolment._.status.is_in([str(status) for status in PLACE_HOLDING])
        & Assignment.id.not_in(submitted)
    )


async def queue_homework_reminders(*, now: datetime) -> int:
    """Queue the reminders for homework due within a day and not yet sent; how many."""
    zone = service_zone()
    by_due: dict[tuple[Any, datetime], dict[str, Any]] = {}
    for row in await _due_assignments(now):
        if holds_place(row["status"], row["invitation_expires_at"], now=now):
            by_due.setdefault((row["enrolment_id"], row["due_at"]), row)
    messages: defaultdict[str, list[OutgoingMessage]] = defaultdict(list)
    for (enrolment_id, due_at), row in by_due.items():
        language = row["preferred_language"] or "en"
        parameters = {
            "name": row["preferred_name"] or row["given_name"],
            "starts": spoken_time(due_at, zone, language),
        }
        for channel in reminder_channels(patient_preferences(row)):
            messages[channel].append(
                OutgoingMessage(
                    recipient_kind="patient",
                    recipient_id=str(row["patient_id"]),
                    channel=channel,
                    template_key=TEMPLATE,
                    dedup_key=(
                        f"group:{row['group_id']}:homework-due:{enrolment_id}:"
                        f"{due_at.timestamp():.0f}:{channel}"
                    ),
                    due_at=max(due_at - BEFORE, now),
                    parameters=parameters,
                    language=language,
                    expires_at=due_at,
                )
            )
    outgoing = [message for batch in messages.values() for message in batch]
    if outgoing:
        async with write_transaction():
            await queue_messages(outgoing, now=now)
    return len(outgoing)
