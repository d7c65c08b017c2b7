"""One group with everything the people running it need, in a fixed number of queries.

Five statements, whatever the number of sessions and patients: the group (joined to
course, venue and room), its facilitators, its sessions, its enrolments counted by stored
status, and its invitations already expired (subtracted from "invited"). Each is built
and compiled once (``api.core.prepared``): building Piccolo queries was over half the
cost of the call.
"""

import json
from datetime import datetime
from typing import Any
from uuid import UUID

from piccolo.query.functions.aggregate import Count

from api.core.actor import Actor
from api.core.database import read_transaction
from api.core.errors import NotFound
from api.core.prepared import PreparedSelect
from groups.groups import LIST_COLUMNS, require_read_access
from groups.rules.enrolment import PLACE_HOLDING, EnrolmentStatus
from groups.rules.groups import places_free
from groups.schemas.groups import (
    FacilitatorRead,
    GroupDetail,
    GroupSessionSummary,
    plan_items,
)
from groups.tables import Enrolment, Group, GroupFacilitator, GroupSession

_GROUP = PreparedSelect(
    lambda group_id: Group.select(*LIST_COLUMNS, Group.session_plan).where(Group.id == group_id),
    arity=1,
)
_FACILITATORS = PreparedSelect(
    lambda group_id: (
        GroupFacilitator.select(
            GroupFacilitator.staff.as_alias("id"),
            GroupFacilitator.staff.full_name.as_alias("full_name"),
        )
        .where(GroupFacilitator.group == group_id)
        .order_by(GroupFacilitator.staff.full_name)
    ),
    arity=1,
)
_SESSIONS = PreparedSelect(
    lambda group_id: (
        GroupSession.select(
            GroupSession.id,
            GroupSession.number,
            GroupSession.title,
            GroupSession.starts_at,
            GroupSession.ends_at,
            GroupSession.status,
        )
        .where(GroupSession.group == group_id)
        .order_by(GroupSession.number)
    ),
    arity=1,
)
_BY_STATUS = PreparedSelect(
    lambda group_id: (
        Enrolment.select(Enrolment.status, Count(alias="n"))
        .where(Enrolment.group == group_id)
        .group_by(Enrolment.status)
    ),
    arity=1,
)
_EXPIRED = PreparedSelect(
    lambda group_id, now: Enrolment.select(Count(alias="n")).where(
        (Enrolment.group == group_id)
        & (Enrolment.status == EnrolmentStatus.INVITED.value)
        & (Enrolment.invitation_expires_at <= now)
    ),
    arity=2,
)


def _plan(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


async def get_group(group_id: UUID, *, by: Actor, now: datetime) -> GroupDetail:
    """The group, facilitators, sessions, enrolment counts, places and waiting list length."""
    await require_read_access(group_id, by)
    async with read_transaction():
        row = await _GROUP.first(group_id)
        if row is None:
            raise NotFound("No group with this id.")
        facilitators = await _FACILITATORS.fetch(group_id)
        sessions = await _SESSIONS.fetch(group_id)
        by_status = await _BY_STATUS.fetch(group_id)
        expired_row = await _EXPIRED.first(group_id, now)
    expired = int(expired_row["n"]) if expired_row else 0
    counts = {status: 0 for status in EnrolmentStatus}
    for item in by_status:
        counts[EnrolmentStatus(item["status"])] = int(item["n"])
    counts[EnrolmentStatus.INVITED] -= expired
    counts[EnrolmentStatus.EXPIRED] = expired
    held = sum(counts[status] for status in PLACE_HOLDING)
    return GroupDetail.model_validate(
        {
            **row,
            "facilitators": [FacilitatorRead.model_validate(f) for f in facilitators],
            "sessions": [GroupSessionSummary.model_validate(s) for s in sessions],
            "session_plan": plan_items(_plan(row["session_plan"])),
            "enrolment_counts": counts,
            "places_held": held,
            "places_free": places_free(row["capacity"], held),
            "waiting_list_length": counts[EnrolmentStatus.WAITLISTED],
        }
    )
