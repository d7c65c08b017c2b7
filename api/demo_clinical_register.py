"""Demo registers: for demo groups' sessions already past, a register with a mix of outcomes.

Demo groups are those run by a demo facilitator (an account at ``stepwise.example``, a
reserved domain no real service uses), so this never touches a real group. Each past,
scheduled session without a register gets one through the register service (so the DNA
policy, its follow-up messages and the materials follow as in use): mostly attended on
time, some late, the odd cancellation, and one patient per group who stops coming from
the second session (two consecutive DNAs: flagged for review). Idempotent: a session
with any attendance is left alone. Does nothing when there are no demo sessions yet.
"""

from datetime import datetime
from typing import Any
from uuid import UUID

from api.core.actor import Actor
from api.identity.tables import StaffUser
from groups import registers
from groups.rules.attendance import Outcome
from groups.schemas.registers import RegisterEntryWrite, RegisterWrite
from groups.tables import Attendance, Enrolment, GroupFacilitator, GroupSession

DEMO_STAFF_DOMAIN = "%@stepwise.example"
# Outcomes cycled through by patient and session: mostly attended.
_MIX = (
    Outcome.ATTENDED_ON_TIME,
    Outcome.ATTENDED_ON_TIME,
    Outcome.ARRIVED_LATE_SEEN,
    Outcome.ATTENDED_ON_TIME,
    Outcome.CANCELLED_BY_PATIENT,
    Outcome.ATTENDED_ON_TIME,
    Outcome.ATTENDED_ON_TIME,
    Outcome.DID_NOT_ATTEND,
    Outcome.ATTENDED_ON_TIME,
    Outcome.ARRIVED_LATE_NOT_SEEN,
)


def _uuid(value: Any) -> UUID:
    return value if isinstance(value, UUID) else UUID(str(value))


def demo_outcome(patient_index: int, session_number: int) -> Outcome:
    """The demo outcome of the n-th patient (by enrolment order) at a session."""
    if patient_index == 1 and session_number >= 2:
        return Outcome.DID_NOT_ATTEND  # the patient who stops coming
    return _MIX[(patient_index * 3 + session_number) % len(_MIX)]


async def _sessions_to_take(now: datetime) -> list[dict[str, Any]]:
    demo_groups = GroupFacilitator.select(GroupFacilitator.group).where(
        GroupFacilitator.staff.is_in(
            StaffUser.select(StaffUser.id).where(StaffUser.email.like(DEMO_STAFF_DOMAIN))
        )
    )
    rows: list[dict[str, Any]] = (
        await GroupSession.select(GroupSession.id, GroupSession.group, GroupSession.number)
        .where(
            GroupSession.group.is_in(demo_groups),
            GroupSession.status == "scheduled",
            GroupSession.starts_at < now,
        )
        .order_by(GroupSession.starts_at)
    )
    if not rows:
        return []
    taken = {
        _uuid(row["session"])
        for row in await Attendance.select(Attendance.session).where(
            Attendance.session.is_in([row["id"] for row in rows])
        )
    }
    return [row for row in rows if _uuid(row["id"]) not in taken]


async def load_demo_registers(*, now: datetime) -> bool:
    """Take the registers of demo sessions already past; answers whether any was taken."""
    sessions = await _sessions_to_take(now)
    if not sessions:
        return False
    by = Actor.system()
    took = False
    for session in sessions:
        enrolled = (
            await Enrolment.select(Enrolment.id)
            .where(
                Enrolment.group == session["group"],
                Enrolment.status.is_in(list(registers.ON_REGISTER)),
            )
            .order_by(Enrolment.created_at)
            .order_by(Enrolment.id)
        )
        if not enrolled:
            continue
        entries = [
            RegisterEntryWrite(
                enrolment_id=_uuid(row["id"]), outcome=demo_outcome(index, session["number"])
            )
            for index, row in enumerate(enrolled)
        ]
        await registers.submit_register(
            _uuid(session["id"]), RegisterWrite(entries=entries), by=by, now=now
        )
        took = True
    return took
