"""The DNA policy: keep each enrolment's consecutive-DNA count, flag a streak for review.

Runs inside the register's write transaction (it opens none). The count is recomputed
from the enrolment's whole attendance, oldest session first, so a correction of an old
register gives the same count as if the right outcome had been taken at the time. An
enrolment has one attendance row per session of its group, so the read is bounded by
the course's length (at most 20 sessions), not by the size of any table.

When a count rises to (or past) ``settings.groups.dna_review_after`` and the enrolment
is not already flagged, ``review_flagged_at`` is set and one follow-up message is queued
to the patient per consented channel (template ``dna_follow_up``; its parameters name
the service, never the course or anything clinical). A supervision discussion clears the
flag; a later DNA that keeps the streak at or over the setting flags it again.
"""

from collections import defaultdict
from collections.abc import Collection
from datetime import datetime
from typing import Any
from uuid import UUID

from api.core.settings import get_settings
from groups.rules.attendance import consecutive_dnas, reaches_review
from groups.tables import Attendance, Enrolment, Patient
from scheduling.jobs.recipients import contact_columns, patient_preferences
from scheduling.outbox import OutgoingMessage, queue_messages
from scheduling.rules.channels import consented_channels

FOLLOW_UP_TEMPLATE = "dna_follow_up"
FOLLOWED_UP_STATUSES = ("opted_in", "active")
CANCELLED = "cancelled"


def _uuid(value: Any) -> UUID:
    return value if isinstance(value, UUID) else UUID(str(value))


async def _counts(enrolment_ids: Collection[UUID]) -> dict[UUID, int]:
    rows = (
        await Attendance.select(Attendance.enrolment, Attendance.outcome)
        .where(
            Attendance.enrolment.is_in(list(enrolment_ids)),
            Attendance.session.status != CANCELLED,
        )
        .order_by(Attendance.session.starts_at)
        .order_by(Attendance.session.number)
    )
    codes: dict[UUID, list[int]] = defaultdict(list)
    for row in rows:
        codes[_uuid(row["enrolment"])].append(row["outcome"])
    return {enrolment_id: consecutive_dnas(codes[enrolment_id]) for enrolment_id in enrolment_ids}


async def apply_dna_policy(
    enrolment_ids: Collection[UUID], session_id: UUID, *, now: datetime
) -> list[UUID]:
    """Recompute the enrolments' counts after a register of ``session_id``; flag and queue.

    Answers the ids of the enrolments flagged for review by this call.
    """
    if not enrolment_ids:
        return []
    review_after = get_settings().groups.dna_review_after
    counts = await _counts(enrolment_ids)
    rows = await Enrolment.select(
        Enrolment.id,
        Enrolment.status,
        Enrolment.consecutive_dnas,
        Enrolment.review_flagged_at,
        Enrolment.patient,
    ).where(Enrolment.id.is_in(list(enrolment_ids)))
    flagged: list[UUID] = []
    patients: list[UUID] = []
    # One update per distinct (count, flagged) pair, not one per enrolment.
    changes: dict[tuple[int, bool], list[UUID]] = defaultdict(list)
    for row in rows:
        enrolment_id = _uuid(row["id"])
        old, new = row["consecutive_dnas"], counts[enrolment_id]
        flag = (
            reaches_review(old, new, review_after)
            and row["review_flagged_at"] is None
            and row["status"] in FOLLOWED_UP_STATUSES
        )
        if flag:
            flagged.append(enrolment_id)
            patients.append(_uuid(row["patient"]))
        if new != old or flag:
            changes[(new, flag)].append(enrolment_id)
    for (new, flag), ids in changes.items():
        values: dict[Any, Any] = {Enrolment.consecutive_dnas: new, Enrolment.updated_at: now}
        if flag:
            values[Enrolment.review_flagged_at] = now
        await Enrolment.update(values).where(Enrolment.id.is_in(ids))
    if flagged:
        await _queue_follow_ups(dict(zip(flagged, patients, strict=True)), session_id, now=now)
    return flagged


async def _queue_follow_ups(
    patient_of: dict[UUID, UUID], session_id: UUID, *, now: datetime
) -> None:
    rows = await Patient.select(Patient.id, *contact_columns(Patient)).where(
        Patient.id.is_in(list(set(patient_of.values())))
    )
    by_id = {_uuid(row["id"]): row for row in rows}
    messages = [
        OutgoingMessage(
            recipient_kind="patient",
            recipient_id=str(patient_id),
            channel=channel,
            template_key=FOLLOW_UP_TEMPLATE,
            dedup_key=f"dna-follow-up:{enrolment_id}:{session_id}:{channel}",
            due_at=now,
            parameters={"service_name": get_settings().service.name},
            language=by_id[patient_id]["preferred_language"] or "en",
        )
        for enrolment_id, patient_id in patient_of.items()
        for channel in consented_channels(patient_preferences(by_id[patient_id]))
    ]
    await queue_messages(messages, now=now)
