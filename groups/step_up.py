"""Step-up: a facilitator or supervisor records a step-up or referral decision.

Only an active or opted-in enrolment can be stepped up (the enrolment lifecycle's table;
else 409 naming its status). This is the only way to ``stepped_up``: the generic
transition route refuses it, as it cannot say where the patient goes. The enrolment ends
(``ended_at`` now) with the destination and reason on the row; an ``EnrolmentTransition``
and an audit entry record the change, and the place it held goes to the next person on
the group's waiting list, in the same transaction. The group's facilitators and
supervisors may (the clinical side); admins may not.
"""

from datetime import datetime
from typing import Any
from uuid import UUID

from api.core.actor import Actor
from api.core.database import for_update, write_transaction
from api.core.errors import Conflict, NotFound
from api.identity import audit
from groups.access import Side, require_group_access
from groups.rules import enrolment as rules
from groups.rules.enrolment import EnrolmentStatus
from groups.rules.groups import CLOSED
from groups.schemas.supervision import StepUpCreate, StepUpDestination, StepUpRead
from groups.tables import Enrolment, EnrolmentTransition
from groups.waiting_lists import fill_free_places, lock_group

STEPPED_UP = "stepped_up"


def _uuid(value: Any) -> UUID:
    return value if isinstance(value, UUID) else UUID(str(value))


async def _enrolment(enrolment_id: UUID, *, lock: bool = False) -> dict[str, Any]:
    query = Enrolment.select(
        Enrolment.id, Enrolment.group, Enrolment.status, Enrolment.version
    ).where(Enrolment.id == enrolment_id)
    row: dict[str, Any] | None = await (for_update(query) if lock else query).first()
    if row is None:
        raise NotFound("No enrolment with this id.")
    return row


async def step_up(
    enrolment_id: UUID, decision: StepUpCreate, *, by: Actor, now: datetime
) -> StepUpRead:
    """End the enrolment as stepped up to ``decision.destination``; audited."""
    row = await _enrolment(enrolment_id)
    await require_group_access(_uuid(row["group"]), by, Side.CLINICAL)
    async with write_transaction():
        group = await lock_group(_uuid(row["group"]))
        row = await _enrolment(enrolment_id, lock=True)
        if not rules.is_allowed(EnrolmentStatus(row["status"]), EnrolmentStatus.STEPPED_UP):
            raise Conflict(
                "Only an active or opted-in enrolment can be stepped up.",
                enrolment_status=row["status"],
            )
        await Enrolment.update(
            {
                Enrolment.status: STEPPED_UP,
                Enrolment.ended_at: now,
                Enrolment.end_reason: decision.reason,
                Enrolment.step_up_destination: decision.destination.value,
                Enrolment.step_up_reason: decision.reason,
                Enrolment.version: Enrolment.version + 1,
                Enrolment.updated_at: now,
            }
        ).where(Enrolment.id == enrolment_id)
        await EnrolmentTransition.insert(
            EnrolmentTransition(
                enrolment=enrolment_id,
                from_status=row["status"],
                to_status=STEPPED_UP,
                changed_by=by.user_id,
                changed_at=now,
                reason=f"{decision.destination.value}: {decision.reason}",
            )
        )
        await audit.record(by, "enrolment.step_up", "enrolment", enrolment_id, now=now)
        if group["status"] not in CLOSED:
            await fill_free_places(_uuid(row["group"]), group["capacity"], now=now)
    return StepUpRead(
        enrolment_id=enrolment_id,
        status=STEPPED_UP,
        ended_at=now,
        step_up_destination=StepUpDestination(decision.destination),
        step_up_reason=decision.reason,
        version=row["version"] + 1,
    )
