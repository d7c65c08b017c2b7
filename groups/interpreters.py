"""Interpreters booked for a session: language, kind, for which enrolled patient.

Admins book and remove them; the group's facilitators, admins and supervisors read them.
A listing names patients, so it is audited as a read of each patient it shows.
"""

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from api.core.actor import Actor
from api.core.database import write_transaction
from api.core.errors import InvalidInput, NotFound
from api.core.schemas import DEFAULT_PAGE_SIZE, Page, decode_cursor, encode_cursor
from api.identity import audit
from groups.access import Side, require_group_access
from groups.schemas.sessions import InterpreterCreate, InterpreterRead
from groups.session_errors import PatientNotEnrolled, SessionCancelled
from groups.session_services.common import CANCELLED, as_uuid, require_admin, require_staff_reader
from groups.tables import Enrolment, GroupSession, SessionInterpreter

ENTITY = "session_interpreter"
# Enrolments for whom an interpreter may be booked: those holding (or offered) a place.
ENROLLED = ("invited", "opted_in", "active")
_COLUMNS = (
    SessionInterpreter.id,
    SessionInterpreter.session.as_alias("session_id"),
    SessionInterpreter.patient.as_alias("patient_id"),
    SessionInterpreter.language,
    SessionInterpreter.kind,
    SessionInterpreter.provider,
    SessionInterpreter.notes,
    SessionInterpreter.booked_by.as_alias("booked_by_id"),
    SessionInterpreter.created_at,
)


async def _session(session_id: UUID) -> dict[str, Any]:
    row: dict[str, Any] | None = (
        await GroupSession.select(GroupSession.group.as_alias("group_id"), GroupSession.status)
        .where(GroupSession.id == session_id)
        .first()
    )
    if row is None:
        raise NotFound("No session with this id.")
    return row


async def add_interpreter(
    session_id: UUID, new: InterpreterCreate, *, by: Actor, now: datetime
) -> InterpreterRead:
    """Book an interpreter; the patient (if named) must be enrolled in the group (else 409)."""
    require_admin(by)
    async with write_transaction():
        session = await _session(session_id)
        await require_group_access(session["group_id"], by, Side.OPERATIONAL)
        if session["status"] == CANCELLED:
            raise SessionCancelled("This session is cancelled.")
        if new.patient_id is not None and not await Enrolment.exists().where(
            (Enrolment.group == session["group_id"])
            & (Enrolment.patient == new.patient_id)
            & Enrolment.status.is_in(list(ENROLLED))
        ):
            raise PatientNotEnrolled(
                "The patient holds no place in this session's group.", field="patient_id"
            )
        row = SessionInterpreter(
            session=session_id,
            patient=new.patient_id,
            language=new.language,
            kind=new.kind,
            provider=new.provider,
            notes=new.notes,
            booked_by=by.user_id,
            created_at=now,
        )
        await row.save()
        await audit.record(by, f"{ENTITY}.create", ENTITY, row.id, now=now)
    return InterpreterRead(
        id=row.id,
        session_id=session_id,
        patient_id=new.patient_id,
        language=new.language,
        kind=new.kind,
        provider=new.provider,
        notes=new.notes,
        booked_by_id=by.user_id,
        created_at=now,
    )


def _after(cursor: str | None) -> list[Any]:
    if cursor is None:
        return []
    raw_at, raw_id = decode_cursor(cursor, str, str)
    try:
        after_at, after_id = datetime.fromisoformat(raw_at), UUID(raw_id)
    except ValueError as error:
        raise InvalidInput([{"field": "cursor", "reason": "is not a cursor this API gave"}]) from (
            error
        )
    if after_at.utcoffset() is None or not 2000 <= after_at.year <= 2100:
        raise InvalidInput([{"field": "cursor", "reason": "is not a cursor this API gave"}])
    return [
        (SessionInterpreter.created_at > after_at)
        | ((SessionInterpreter.created_at == after_at) & (SessionInterpreter.id > after_id))
    ]


async def list_interpreters(
    session_id: UUID,
    *,
    by: Actor,
    now: datetime,
    cursor: str | None = None,
    limit: int = DEFAULT_PAGE_SIZE,
) -> Page[InterpreterRead]:
    """A session's interpreters, oldest first; the patients named are audited as read."""
    require_staff_reader(by)
    session = await _session(session_id)
    await require_group_access(session["group_id"], by, Side.OPERATIONAL)
    query = (
        SessionInterpreter.select(*_COLUMNS)
        .where(SessionInterpreter.session == session_id, *_after(cursor))
        .order_by(SessionInterpreter.created_at, SessionInterpreter.id)
        .limit(limit + 1)
    )
    async with write_transaction():  # the read and its audit entries together
        rows = await query
        page = rows[:limit]
        patients = sorted({str(r["patient_id"]) for r in page if r["patient_id"] is not None})
        await audit.record_reads(by, "patient", patients, now=now)
    last = page[-1] if len(rows) > limit else None
    return Page[InterpreterRead](
        items=[InterpreterRead.model_validate(row) for row in page],
        next_cursor=None
        if last is None
        else encode_cursor(last["created_at"].astimezone(UTC).isoformat(), str(last["id"])),
    )


async def remove_interpreter(
    session_id: UUID, interpreter_id: UUID, *, by: Actor, now: datetime
) -> None:
    """Remove an interpreter booking of this session (404 if it is not one)."""
    require_admin(by)
    async with write_transaction():
        session = await _session(session_id)
        await require_group_access(session["group_id"], by, Side.OPERATIONAL)
        found = await SessionInterpreter.exists().where(
            (SessionInterpreter.id == interpreter_id) & (SessionInterpreter.session == session_id)
        )
        if not found:
            raise NotFound("No interpreter with this id for this session.")
        await SessionInterpreter.delete().where(SessionInterpreter.id == interpreter_id)
        await audit.record(by, f"{ENTITY}.delete", ENTITY, as_uuid(interpreter_id), now=now)
