"""Session notes: a facilitator's short record of the contact, per patient per session.

Written by the group's facilitators only (a supervisor who does not run the group reads
but does not write them); read by those facilitators and by supervisors; admins never
(clinical). The first PUT creates the note; an edit names the version it read
(If-Match, else 428; a stale one 412). Every write and every read is audited.
"""

from datetime import datetime
from typing import Any
from uuid import UUID

from api.core.actor import Actor
from api.core.database import CONSTRAINT_ERRORS, for_update, is_unique_violation, write_transaction
from api.core.errors import (
    Conflict,
    Forbidden,
    InvalidInput,
    NotFound,
    PreconditionRequired,
    StaleVersion,
)
from api.core.schemas import DEFAULT_PAGE_SIZE, Page, decode_cursor, encode_cursor
from api.identity import audit
from groups.access import Side, facilitates, require_group_access
from groups.schemas.registers import SessionNoteRead, SessionNoteWrite
from groups.tables import Enrolment, GroupSession, SessionNote

ENTITY = "session_note"
_COLUMNS = (
    SessionNote.id,
    SessionNote.session.as_alias("session_id"),
    SessionNote.enrolment.as_alias("enrolment_id"),
    SessionNote.text,
    SessionNote.author.as_alias("author_id"),
    SessionNote.version,
    SessionNote.created_at,
    SessionNote.updated_at,
)


def _uuid(value: Any) -> UUID:
    return value if isinstance(value, UUID) else UUID(str(value))


async def _slot(session_id: UUID, enrolment_id: UUID) -> tuple[UUID, UUID]:
    """The session's group and the enrolment's patient; 404 unless both are of one group."""
    session = (
        await GroupSession.select(GroupSession.group).where(GroupSession.id == session_id).first()
    )
    if session is None:
        raise NotFound("No session with this id.")
    enrolment = (
        await Enrolment.select(Enrolment.group, Enrolment.patient)
        .where(Enrolment.id == enrolment_id)
        .first()
    )
    if enrolment is None or _uuid(enrolment["group"]) != _uuid(session["group"]):
        raise NotFound("No enrolment with this id in the session's group.")
    return _uuid(session["group"]), _uuid(enrolment["patient"])


async def _note(
    session_id: UUID, enrolment_id: UUID, *, lock: bool = False
) -> dict[str, Any] | None:
    query = SessionNote.select(*_COLUMNS).where(
        SessionNote.session == session_id, SessionNote.enrolment == enrolment_id
    )
    row: dict[str, Any] | None = await (for_update(query) if lock else query).first()
    return row


async def save_note(
    session_id: UUID,
    enrolment_id: UUID,
    note: SessionNoteWrite,
    *,
    expected_version: int | None,
    by: Actor,
    now: datetime,
) -> tuple[SessionNoteRead, bool]:
    """Create or edit the note; answers it and whether it was created."""
    group_id, patient_id = await _slot(session_id, enrolment_id)
    await require_group_access(group_id, by, Side.CLINICAL)
    if by.user_id is not None and not await facilitates(by, group_id):
        raise Forbidden("Only the group's facilitators write its session notes.")
    try:
        async with write_transaction():
            row = await _note(session_id, enrolment_id, lock=True)
            if row is None:
                created = SessionNote(
                    session=session_id,
                    enrolment=enrolment_id,
                    text=note.text,
                    author=by.user_id,
                    created_at=now,
                    updated_at=now,
                )
                await created.save()
                await audit.record(by, "session_note.create", ENTITY, created.id, now=now)
            else:
                if expected_version is None:
                    raise PreconditionRequired(
                        "A note exists: send If-Match with the ETag you read, so no edit is lost."
                    )
                if row["version"] != expected_version:
                    raise StaleVersion(
                        "Someone changed this note since you read it: reload and try again.",
                        current_version=row["version"],
                    )
                if row["text"] != note.text:
                    await SessionNote.update(
                        {
                            SessionNote.text: note.text,
                            SessionNote.author: by.user_id,
                            SessionNote.updated_at: now,
                            SessionNote.version: SessionNote.version + 1,
                        }
                    ).where(SessionNote.id == row["id"])
                    await audit.record(by, "session_note.update", ENTITY, row["id"], now=now)
            saved = await _note(session_id, enrolment_id)
            if saved is None:  # written in this transaction: never
                raise NotFound("No note for this patient at this session.")
            await audit.record_reads(by, "patient", [patient_id], now=now)
    except CONSTRAINT_ERRORS as error:
        # Two first notes at once on PostgreSQL: the unique key lets one in.
        if not is_unique_violation(error):
            raise
        raise Conflict(
            "Another note for this patient and session was saved at the same moment: "
            "read it and edit it with If-Match."
        ) from error
    return SessionNoteRead.model_validate(saved), row is None


async def get_note(
    session_id: UUID, enrolment_id: UUID, *, by: Actor, now: datetime
) -> SessionNoteRead:
    """The note, for the group's facilitators and supervisors (the read is audited)."""
    group_id, patient_id = await _slot(session_id, enrolment_id)
    await require_group_access(group_id, by, Side.CLINICAL)
    async with write_transaction():
        row = await _note(session_id, enrolment_id)
        if row is None:
            raise NotFound("No note for this patient at this session yet.")
        await audit.record(by, "session_note.read", ENTITY, row["id"], now=now)
        await audit.record_reads(by, "patient", [patient_id], now=now)
    return SessionNoteRead.model_validate(row)


async def list_notes(
    session_id: UUID,
    *,
    by: Actor,
    now: datetime,
    cursor: str | None = None,
    limit: int = DEFAULT_PAGE_SIZE,
) -> Page[SessionNoteRead]:
    """The session's notes by enrolment, a page at a time (the patients shown are audited)."""
    session = (
        await GroupSession.select(GroupSession.group).where(GroupSession.id == session_id).first()
    )
    if session is None:
        raise NotFound("No session with this id.")
    await require_group_access(_uuid(session["group"]), by, Side.CLINICAL)
    query = (
        SessionNote.select(*_COLUMNS, SessionNote.enrolment.patient.as_alias("patient_id"))
        .where(SessionNote.session == session_id)
        .order_by(SessionNote.enrolment)
        .limit(limit + 1)
    )
    if cursor is not None:
        (after,) = decode_cursor(cursor, str)
        try:
            query = query.where(SessionNote.enrolment > UUID(after))
        except ValueError as error:
            raise InvalidInput(
                [{"field": "cursor", "reason": "is not a cursor this API gave"}]
            ) from (error)
    async with write_transaction():
        rows = await query
        shown = rows[:limit]
        await audit.record_reads(by, "patient", [row["patient_id"] for row in shown], now=now)
    items = [SessionNoteRead.model_validate(row) for row in shown]
    next_cursor = encode_cursor(str(items[-1].enrolment_id)) if len(rows) > limit else None
    return Page[SessionNoteRead](items=items, next_cursor=next_cursor)
