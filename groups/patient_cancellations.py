"""A patient cancels one session themselves (a NO to a reminder): code 2 on the register.

Called by the system (the reply to a reminder text), never by staff: it writes the
session's attendance row for that enrolment with outcome 2 (cancelled by patient) only
when the register has no entry for it yet, so a facilitator's record is never
overwritten. It does not touch the enrolment's status: NO cancels that session, not the
course. Audited as the system actor, in the caller's transaction when there is one.
"""

from datetime import datetime
from uuid import UUID

from api.core.actor import Actor
from api.core.database import for_update, write_transaction
from api.identity import audit
from groups.dna_policy import apply_dna_policy
from groups.rules.attendance import Outcome
from groups.tables import Attendance, Enrolment, GroupSession

CANCELLABLE_SESSION = "scheduled"
# Enrolments whose patient still expects to come to the group's sessions.
EXPECTED = ("invited", "opted_in", "active")


async def record_patient_cancellation(
    session_id: UUID, enrolment_id: UUID, *, now: datetime, request_id: str | None = None
) -> bool:
    """Record code 2 for the enrolment at the session; False when nothing was written.

    Nothing is written when the session is not scheduled (cancelled, or gone), the
    enrolment is not in the session's group or no longer expects to come, or the
    register already has an entry for it.
    """
    by = Actor.system(request_id)
    async with write_transaction():
        session = await for_update(
            GroupSession.select(GroupSession.id, GroupSession.group, GroupSession.status).where(
                GroupSession.id == session_id
            )
        ).first()
        if session is None or session["status"] != CANCELLABLE_SESSION:
            return False
        enrolment = (
            await Enrolment.select(Enrolment.id)
            .where(
                (Enrolment.id == enrolment_id)
                & (Enrolment.group == session["group"])
                & Enrolment.status.is_in(list(EXPECTED))
            )
            .first()
        )
        if enrolment is None:
            return False
        taken = await Attendance.exists().where(
            (Attendance.session == session_id) & (Attendance.enrolment == enrolment_id)
        )
        if taken:
            return False
        await Attendance.insert(
            Attendance(
                session=session_id,
                enrolment=enrolment_id,
                outcome=int(Outcome.CANCELLED_BY_PATIENT),
                recorded_by=None,
                recorded_at=now,
            )
        )
        await audit.record(by, "attendance.patient_cancelled", "enrolment", enrolment_id, now=now)
        await apply_dna_policy([enrolment_id], session_id, now=now)
        return True
