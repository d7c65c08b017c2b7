"""Who may see and work on a group, and on its patients (DESIGN.md, Privacy).

Supervisors reach every group, operational and clinical. Admins reach every group's
operational side (the group, sessions, enrolments, contact details) and nothing clinical
(registers' notes, scores, alerts, homework answers). Facilitators reach the groups they
run, both sides, and no other. The system actor (jobs, CLI, demo) reaches everything.

Every service that takes a group or something in one calls ``require_group_access``
before it reads, so the rule lives here once.
"""

from collections.abc import Sequence
from enum import Enum
from uuid import UUID

from api.core.actor import Actor, Role
from api.core.errors import Forbidden, NotFound
from api.core.prepared import PreparedSelect
from groups.tables import Enrolment, Group, GroupFacilitator

# Every group route asks these: built and compiled once (api.core.prepared), not per call.
_FACILITATES = PreparedSelect(
    lambda group_id, staff_id: (
        GroupFacilitator.select(GroupFacilitator.id)
        .where((GroupFacilitator.group == group_id) & (GroupFacilitator.staff == staff_id))
        .limit(1)
    ),
    arity=2,
    point_read=True,
)
_GROUP_EXISTS = PreparedSelect(
    lambda group_id: Group.select(Group.id).where(Group.id == group_id).limit(1),
    arity=1,
    point_read=True,
)


class Side(Enum):
    """Which side of a group's record is asked for."""

    OPERATIONAL = "operational"
    CLINICAL = "clinical"


async def facilitates(by: Actor, group_id: UUID) -> bool:
    """Whether the actor is a co-facilitator of the group."""
    if by.user_id is None:
        return False
    return await _FACILITATES.first(group_id, by.user_id) is not None


async def _group_exists(group_id: UUID) -> bool:
    return await _GROUP_EXISTS.first(group_id) is not None


async def require_group_access(group_id: UUID, by: Actor, side: Side) -> None:
    """Return quietly, or raise 404 (no such group) or 403 (not this user's group or side)."""
    if by.user_id is None or by.has_any(Role.SUPERVISOR):
        if not await _group_exists(group_id):
            raise NotFound("No group with this id.")
        return
    if by.has_any(Role.FACILITATOR) and await facilitates(by, group_id):
        return
    if not await _group_exists(group_id):
        raise NotFound("No group with this id.")
    if by.has_any(Role.ADMIN) and side is Side.OPERATIONAL:
        return
    if by.has_any(Role.ADMIN):
        raise Forbidden("Admins see operational records only, never clinical ones.")
    raise Forbidden("You do not facilitate this group.")


async def groups_facilitated(by: Actor) -> Sequence[UUID]:
    """The ids of the groups the actor co-facilitates."""
    if by.user_id is None:
        return []
    rows = await GroupFacilitator.select(GroupFacilitator.group).where(
        GroupFacilitator.staff == by.user_id
    )
    return [row["group"] for row in rows]


async def facilitates_patient(by: Actor, patient_id: UUID) -> bool:
    """Whether the actor facilitates a group the patient is (or was) enrolled in."""
    if by.user_id is None:
        return False
    return bool(
        await Enrolment.exists().where(
            (Enrolment.patient == patient_id)
            & Enrolment.group.is_in(
                GroupFacilitator.select(GroupFacilitator.group).where(
                    GroupFacilitator.staff == by.user_id
                )
            )
        )
    )
