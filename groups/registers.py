"""Registers: a whole session's attendance in one request, corrected later, audited.

Who: the group's facilitators and supervisors (the clinical side of a group); admins are
refused. One request stores the whole register or nothing. The first outcome of an
enrolment at a session inserts its attendance row; a later different outcome is a
correction: the row takes the new value, an ``AttendanceCorrection`` keeps the old and
new ones, and each correction has its own audit entry. Resending an unchanged outcome
writes nothing.

Concurrent submissions of one register queue on the session's row (FOR UPDATE on
PostgreSQL; SQLite's write transaction is IMMEDIATE), so the second sees the first's
rows and corrects them; the unique key (session, enrolment) backs this up.

In the same transaction, the DNA policy recomputes the changed enrolments' counts
(``groups.dna_policy``) and the session's materials are assigned to its patients.
"""

from collections import defaultdict
from datetime import date, datetime
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from api.core.actor import Actor
from api.core.database import for_update, write_transaction
from api.core.errors import Conflict, InvalidInput, NotFound
from api.core.settings import get_settings
from api.identity import audit
from groups.access import Side, require_group_access
from groups.dna_policy import apply_dna_policy
from groups.rules.attendance import Outcome, counts_as_attended
from groups.schemas.registers import RegisterEntryRead, RegisterRead, RegisterWrite
from groups.tables import Attendance, AttendanceCorrection, Enrolment, GroupSession
from materials.assignments import assign_session_materials
from scheduling.replies import replies_for_session

CANCELLED = "cancelled"
# Enrolments shown on a register even before an outcome is taken.
ON_REGISTER = ("opted_in", "active", "completed", "discharged", "stepped_up", "dropped_out")
# Enrolments that may not be given an outcome: never had a place in the group.
NOT_REGISTRABLE = ("waitlisted", "declined")


def _uuid(value: Any) -> UUID:
    return value if isinstance(value, UUID) else UUID(str(value))


async def _session_row(session_id: UUID, *, lock: bool = False) -> dict[str, Any]:
    query = GroupSession.select(
        GroupSession.id,
        GroupSession.group,
        GroupSession.number,
        GroupSession.starts_at,
        GroupSession.status,
    ).where(GroupSession.id == session_id)
    row: dict[str, Any] | None = await (for_update(query) if lock else query).first()
    if row is None:
        raise NotFound("No session with this id.")
    return row


def _local_day(instant: datetime) -> date:
    return instant.astimezone(ZoneInfo(get_settings().service.time_zone)).date()


def _refuse_duplicates(register: RegisterWrite) -> None:
    seen: set[UUID] = set()
    errors = []
    for index, entry in enumerate(register.entries):
        if entry.enrolment_id in seen:
            errors.append(
                {
                    "field": f"entries[{index}].enrolment_id",
                    "reason": "appears more than once in this register",
                }
            )
        seen.add(entry.enrolment_id)
    if errors:
        raise InvalidInput(errors)


async def _check_enrolments(register: RegisterWrite, group_id: UUID) -> None:
    ids = [entry.enrolment_id for entry in register.entries]
    rows = await Enrolment.select(Enrolment.id, Enrolment.status).where(
        Enrolment.id.is_in(ids), Enrolment.group == group_id
    )
    status = {_uuid(row["id"]): row["status"] for row in rows}
    errors = []
    for index, entry in enumerate(register.entries):
        field = f"entries[{index}].enrolment_id"
        if entry.enrolment_id not in status:
            errors.append({"field": field, "reason": "is not an enrolment in this session's group"})
        elif status[entry.enrolment_id] in NOT_REGISTRABLE:
            errors.append(
                {"field": field, "reason": f"is {status[entry.enrolment_id]}, not on the register"}
            )
    if errors:
        raise InvalidInput(errors)


async def _write_register(
    session_id: UUID, register: RegisterWrite, *, by: Actor, now: datetime
) -> list[UUID]:
    """Insert new rows and correct changed ones; answer the enrolments whose outcome changed."""
    existing = {
        _uuid(row["enrolment"]): row
        for row in await Attendance.select(
            Attendance.id, Attendance.enrolment, Attendance.outcome
        ).where(Attendance.session == session_id)
    }
    new_rows: list[Attendance] = []
    corrections: list[AttendanceCorrection] = []
    changed: list[UUID] = []
    corrected: dict[int, list[UUID]] = defaultdict(list)  # new code -> attendance ids
    for entry in register.entries:
        code = int(entry.outcome)
        row = existing.get(entry.enrolment_id)
        if row is None:
            new_rows.append(
                Attendance(
                    session=session_id,
                    enrolment=entry.enrolment_id,
                    outcome=code,
                    recorded_by=by.user_id,
                    recorded_at=now,
                )
            )
            changed.append(entry.enrolment_id)
        elif row["outcome"] != code:
            corrected[code].append(row["id"])
            corrections.append(
                AttendanceCorrection(
                    attendance=row["id"],
                    old_outcome=row["outcome"],
                    new_outcome=code,
                    changed_by=by.user_id,
                    changed_at=now,
                )
            )
            await audit.record(by, "attendance.correct", "attendance", row["id"], now=now)
            changed.append(entry.enrolment_id)
    if new_rows:
        await Attendance.insert(*new_rows)
        await audit.record(by, "register.record", "group_session", session_id, now=now)
    for code, ids in corrected.items():
        await Attendance.update(
            {
                Attendance.outcome: code,
                Attendance.recorded_by: by.user_id,
                Attendance.recorded_at: now,
                Attendance.version: Attendance.version + 1,
            }
        ).where(Attendance.id.is_in(ids))
    if corrections:
        await AttendanceCorrection.insert(*corrections)
    return changed


async def submit_register(
    session_id: UUID, register: RegisterWrite, *, by: Actor, now: datetime
) -> RegisterRead:
    """Store the session's register (all or nothing), apply the DNA policy, answer the register.

    404 unknown session; 403 admins and other groups' facilitators; 409 cancelled session
    or one on a later day (service zone); 400 naming each entry that repeats an enrolment
    or names one not in the group.
    """
    session = await _session_row(session_id)
    group_id = _uuid(session["group"])
    await require_group_access(group_id, by, Side.CLINICAL)
    _refuse_duplicates(register)
    async with write_transaction():
        session = await _session_row(session_id, lock=True)
        if session["status"] == CANCELLED:
            raise Conflict("The session was cancelled: it has no register.")
        if _local_day(session["starts_at"]) > _local_day(now):
            raise Conflict("The session has not happened yet: take its register on the day.")
        await _check_enrolments(register, group_id)
        changed = await _write_register(session_id, register, by=by, now=now)
        await apply_dna_policy(changed, session_id, now=now)
        attended = {
            entry.enrolment_id: counts_as_attended(int(entry.outcome)) for entry in register.entries
        }
        await assign_session_materials(session_id, attended, by=by, now=now)
    return await get_register(session_id, by=by, now=now)


async def get_register(session_id: UUID, *, by: Actor, now: datetime) -> RegisterRead:
    """The session's register with patients' names and their texts back (the read is audited).

    A patient's latest YES or NO to the session's reminders shows beside their outcome.
    """
    async with write_transaction():
        session = await _session_row(session_id)
        group_id = _uuid(session["group"])
        await require_group_access(group_id, by, Side.CLINICAL)
        attendance = {
            _uuid(row["enrolment"]): row
            for row in await Attendance.select(
                Attendance.enrolment,
                Attendance.outcome,
                Attendance.recorded_at,
                Attendance.recorded_by,
            ).where(Attendance.session == session_id)
        }
        condition: Any = Enrolment.status.is_in(list(ON_REGISTER))
        if attendance:
            condition = condition | Enrolment.id.is_in(list(attendance))
        rows = (
            await Enrolment.select(
                Enrolment.id,
                Enrolment.status,
                Enrolment.consecutive_dnas,
                Enrolment.patient.id.as_alias("patient_id"),
                Enrolment.patient.given_name.as_alias("given_name"),
                Enrolment.patient.family_name.as_alias("family_name"),
                Enrolment.patient.preferred_name.as_alias("preferred_name"),
            )
            .where(Enrolment.group == group_id, condition)
            .order_by(Enrolment.patient.family_name, Enrolment.patient.given_name, Enrolment.id)
        )
        replies = await replies_for_session(session_id)
        entries = []
        for row in rows:
            taken = attendance.get(_uuid(row["id"]))
            reply = replies.get(_uuid(row["patient_id"]))
            outcome = None if taken is None else Outcome(taken["outcome"])
            entries.append(
                RegisterEntryRead(
                    enrolment_id=row["id"],
                    patient_id=row["patient_id"],
                    given_name=row["given_name"],
                    family_name=row["family_name"],
                    preferred_name=row["preferred_name"],
                    enrolment_status=row["status"],
                    outcome=outcome,
                    attended=None if outcome is None else counts_as_attended(outcome),
                    recorded_at=None if taken is None else taken["recorded_at"],
                    recorded_by=None if taken is None else taken["recorded_by"],
                    consecutive_dnas=row["consecutive_dnas"],
                    reply=None if reply is None else reply.outcome,
                    replied_at=None if reply is None else reply.received_at,
                )
            )
        await audit.record_reads(by, "patient", [entry.patient_id for entry in entries], now=now)
        return RegisterRead(
            session_id=session_id,
            group_id=group_id,
            session_number=session["number"],
            starts_at=session["starts_at"],
            session_status=session["status"],
            taken=bool(attendance),
            entries=entries,
        )
