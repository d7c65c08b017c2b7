"""Demo measure sets: PHQ-9, GAD-7 and WSAS for demo patients at demo sessions already past.

Demo groups are those run by a demo facilitator (an account at ``stepwise.example``, a
reserved domain no real service uses), so this never touches a real group. Each past,
scheduled demo session without any measure set gets a whole-group entry through the
measures service (so scoring, corrections and risk alerts work as in use): scores that
fall week by week for most patients, one who stays unwell, and, at the earliest demo
session, one PHQ-9 item 9 answered above 0 (one risk alert, its duty notice queued).
Only patients who attended are scored once a register exists. Idempotent: a session with
any measure set is left alone. Does nothing when there are no past demo sessions.
"""

from datetime import datetime
from typing import Any
from uuid import UUID

from api.core.actor import Actor
from api.identity.tables import StaffUser
from groups import measures
from groups.schemas.measures import MeasureSetCreate
from groups.tables import Attendance, Enrolment, GroupFacilitator, GroupSession, MeasureSet

DEMO_STAFF_DOMAIN = "%@stepwise.example"
ATTENDED = (5, 6)
RISK_PATIENT_INDEX = 2  # the third patient of the earliest session answers item 9 with 1


def _uuid(value: Any) -> UUID:
    return value if isinstance(value, UUID) else UUID(str(value))


def spread(total: int, items: int, item_max: int, *, keep_last_zero: bool = False) -> list[int]:
    """Answers summing to ``total`` (each at most ``item_max``), filled round the items."""
    answers = [0] * items
    usable = items - 1 if keep_last_zero else items
    left = min(total, usable * item_max)
    index = 0
    while left:
        if answers[index % usable] < item_max:
            answers[index % usable] += 1
            left -= 1
        index += 1
    return answers


def demo_totals(patient_index: int, session_number: int) -> tuple[int, int, int]:
    """PHQ-9, GAD-7 and WSAS totals for the n-th patient at a session."""
    start_phq, start_gad, start_wsas = 12 + (patient_index % 4) * 3, 9 + (patient_index % 3) * 3, 18
    if patient_index % 5 == 4:  # one in five stays unwell
        return start_phq, start_gad, start_wsas
    step = session_number - 1
    return max(start_phq - 2 * step, 2), max(start_gad - 2 * step, 1), max(start_wsas - 3 * step, 4)


async def _sessions_to_score(now: datetime) -> tuple[list[dict[str, Any]], bool]:
    """The past demo sessions without sets, and whether any past demo session has sets."""
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
        .order_by(GroupSession.id)
    )
    if not rows:
        return [], False
    scored = {
        _uuid(row["session"])
        for row in await MeasureSet.select(MeasureSet.session).where(
            MeasureSet.session.is_in([row["id"] for row in rows])
        )
    }
    return [row for row in rows if _uuid(row["id"]) not in scored], bool(scored)


async def _patients_at(session: dict[str, Any]) -> list[UUID]:
    enrolled = (
        await Enrolment.select(Enrolment.id)
        .where(
            Enrolment.group == session["group"],
            Enrolment.status.is_in(list(measures.SCORABLE_STATUSES)),
        )
        .order_by(Enrolment.created_at)
        .order_by(Enrolment.id)
    )
    ids = [_uuid(row["id"]) for row in enrolled]
    register = await Attendance.select(Attendance.enrolment, Attendance.outcome).where(
        Attendance.session == session["id"]
    )
    if not register:
        return ids
    attended = {_uuid(r["enrolment"]) for r in register if r["outcome"] in ATTENDED}
    return [i for i in ids if i in attended]


def _sets(enrolments: list[UUID], number: int, *, with_risk: bool) -> list[MeasureSetCreate]:
    sets: list[MeasureSetCreate] = []
    for index, enrolment_id in enumerate(enrolments):
        phq, gad, wsas = demo_totals(index, number)
        phq_answers = spread(phq, 9, 3, keep_last_zero=True)
        if with_risk and index == min(RISK_PATIENT_INDEX, len(enrolments) - 1):
            phq_answers[8] = 1
        sets.extend(
            [
                MeasureSetCreate(
                    enrolment_id=enrolment_id, instrument="PHQ-9", answers=phq_answers
                ),
                MeasureSetCreate(
                    enrolment_id=enrolment_id, instrument="GAD-7", answers=spread(gad, 7, 3)
                ),
                MeasureSetCreate(
                    enrolment_id=enrolment_id, instrument="WSAS", answers=spread(wsas, 5, 8)
                ),
            ]
        )
    return sets


async def load_demo_measures(*, now: datetime) -> bool:
    """Score demo sessions already past; answers whether any set was stored."""
    sessions, any_scored = await _sessions_to_score(now)
    # The one risk alert goes with the first demo session scored, never on a later load.
    risk_pending = not any_scored
    stored = False
    for session in sessions:
        enrolments = await _patients_at(session)
        if not enrolments:
            continue
        await measures.record_group_measures(
            _uuid(session["id"]),
            _sets(enrolments, session["number"], with_risk=risk_pending),
            by=Actor.system(),
            now=now,
        )
        risk_pending = False
        stored = True
    return stored
