"""Reads of enrolments: a group's list, its waiting list, one enrolment, its history.

Every read that shows patients writes one audit entry per patient shown, in one insert.
"""

from datetime import datetime
from typing import Any
from uuid import UUID

from api.core.actor import Actor
from api.core.database import write_transaction
from api.core.errors import InvalidInput, NotFound
from api.core.schemas import DEFAULT_PAGE_SIZE, Page, decode_cursor, encode_cursor
from api.identity import audit
from groups.enrolments import enrolment_columns, enrolment_read, group_of
from groups.groups import require_read_access
from groups.rules.enrolment import EnrolmentStatus
from groups.schemas.enrolments import EnrolmentRead, TransitionRead, WaitingListEntry
from groups.tables import Enrolment, EnrolmentTransition

PATIENT = "patient"


def _bad_cursor() -> InvalidInput:
    return InvalidInput([{"field": "cursor", "reason": "is not a cursor this API gave"}])


def _after(column: Any, id_column: Any, cursor: str) -> Any:
    """Keyset condition after (instant, id) read from ``cursor``."""
    instant, last_id = decode_cursor(cursor, str, str)
    try:
        after_at, after_id = datetime.fromisoformat(instant), UUID(last_id)
    except ValueError:
        raise _bad_cursor() from None
    if after_at.tzinfo is None:
        raise _bad_cursor()
    return (column > after_at) | ((column == after_at) & (id_column > after_id))


async def list_enrolments(
    group_id: UUID,
    *,
    by: Actor,
    now: datetime,
    cursor: str | None = None,
    limit: int = DEFAULT_PAGE_SIZE,
) -> Page[EnrolmentRead]:
    """A group's enrolments by when they were made, with patient names; audited."""
    await require_read_access(group_id, by)
    conditions: list[Any] = [Enrolment.group == group_id]
    if cursor is not None:
        conditions.append(_after(Enrolment.created_at, Enrolment.id, cursor))
    query = (
        Enrolment.select(*enrolment_columns())
        .where(*conditions)
        .order_by(Enrolment.created_at, Enrolment.id)
        .limit(limit + 1)
    )
    async with write_transaction():
        rows = await query
        items = [enrolment_read(row, now=now) for row in rows[:limit]]
        await audit.record_reads(by, PATIENT, [item.patient_id for item in items], now=now)
    last = items[-1] if items else None
    next_cursor = (
        encode_cursor(last.created_at.isoformat(), str(last.id))
        if last and len(rows) > limit
        else None
    )
    return Page[EnrolmentRead](items=items, next_cursor=next_cursor)


async def waiting_list(
    group_id: UUID,
    *,
    by: Actor,
    now: datetime,
    cursor: str | None = None,
    limit: int = DEFAULT_PAGE_SIZE,
) -> Page[WaitingListEntry]:
    """The group's waiting list in order (position 1 is offered the next place); audited."""
    await require_read_access(group_id, by)
    conditions: list[Any] = [
        Enrolment.group == group_id,
        Enrolment.status == EnrolmentStatus.WAITLISTED.value,
    ]
    position = 0
    if cursor is not None:
        instant, last_id, position = decode_cursor(cursor, str, str, int)
        if position < 0:
            raise _bad_cursor()
        conditions.append(
            _after(Enrolment.waitlisted_at, Enrolment.id, encode_cursor(instant, last_id))
        )
    query = (
        Enrolment.select(
            Enrolment.id.as_alias("enrolment_id"),
            Enrolment.patient.as_alias("patient_id"),
            Enrolment.patient.given_name.as_alias("given_name"),
            Enrolment.patient.family_name.as_alias("family_name"),
            Enrolment.waitlisted_at,
        )
        .where(*conditions)
        .order_by(Enrolment.waitlisted_at, Enrolment.id)
        .limit(limit + 1)
    )
    async with write_transaction():
        rows = await query
        items = [
            WaitingListEntry.model_validate({**row, "position": position + number})
            for number, row in enumerate(rows[:limit], start=1)
        ]
        await audit.record_reads(by, PATIENT, [item.patient_id for item in items], now=now)
    last = items[-1] if items else None
    next_cursor = (
        encode_cursor(last.waitlisted_at.isoformat(), str(last.enrolment_id), last.position)
        if last and len(rows) > limit
        else None
    )
    return Page[WaitingListEntry](items=items, next_cursor=next_cursor)


async def get_enrolment(enrolment_id: UUID, *, by: Actor, now: datetime) -> EnrolmentRead:
    """One enrolment with the patient's names; audited."""
    await require_read_access(await group_of(enrolment_id), by)
    async with write_transaction():
        row = (
            await Enrolment.select(*enrolment_columns()).where(Enrolment.id == enrolment_id).first()
        )
        if row is None:
            raise NotFound("No enrolment with this id.")
        item = enrolment_read(row, now=now)
        await audit.record_reads(by, PATIENT, [item.patient_id], now=now)
    return item


async def transition_history(
    enrolment_id: UUID,
    *,
    by: Actor,
    cursor: str | None = None,
    limit: int = DEFAULT_PAGE_SIZE,
) -> Page[TransitionRead]:
    """An enrolment's status changes, oldest first."""
    await require_read_access(await group_of(enrolment_id), by)
    conditions: list[Any] = [EnrolmentTransition.enrolment == enrolment_id]
    if cursor is not None:
        conditions.append(_after(EnrolmentTransition.changed_at, EnrolmentTransition.id, cursor))
    rows = (
        await EnrolmentTransition.select(
            EnrolmentTransition.id,
            EnrolmentTransition.from_status,
            EnrolmentTransition.to_status,
            EnrolmentTransition.changed_by,
            EnrolmentTransition.changed_at,
            EnrolmentTransition.reason,
        )
        .where(*conditions)
        .order_by(EnrolmentTransition.changed_at, EnrolmentTransition.id)
        .limit(limit + 1)
    )
    items = [TransitionRead.model_validate(row) for row in rows[:limit]]
    last = items[-1] if items else None
    next_cursor = (
        encode_cursor(last.changed_at.isoformat(), str(last.id))
        if last and len(rows) > limit
        else None
    )
    return Page[TransitionRead](items=items, next_cursor=next_cursor)
