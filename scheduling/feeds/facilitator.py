"""A facilitator's feed: the sessions of every group they co-facilitate, in staff words.

Staff see the course and group, the session's title, the room and the venue's access
instructions (door codes, key holders): this feed is for them alone.
"""

from datetime import datetime
from typing import Any
from uuid import UUID

from api.core.actor import Role
from api.identity.tables import StaffUser
from groups.tables import GroupFacilitator
from scheduling.feeds.common import Window, session_uid
from scheduling.feeds.ical import FeedEvent
from scheduling.feeds.sessions import (
    is_cancelled,
    location,
    place_prefix,
    sessions_of_groups,
)

CALENDAR_NAME = "Stepwise: my group sessions"


def _description(row: dict[str, Any]) -> str:
    prefix = place_prefix(row)
    lines = [
        f"Course: {row['course_name']}",
        f"Group: {row['group_name']}",
        f"Session {row['number']}: {row['title']}",
        f"Room: {row[f'{prefix}room']}",
    ]
    access = (row[f"{prefix}access_instructions"] or "").strip()
    if access:
        lines.append(f"Access: {access}")
    return "\n".join(lines)


def _event(row: dict[str, Any]) -> FeedEvent:
    return FeedEvent(
        uid=session_uid(row["id"]),
        starts_at=row["starts_at"],
        ends_at=row["ends_at"],
        summary=f"{row['group_name']}: session {row['number']}",
        sequence=row["sequence"],
        last_modified=row["updated_at"],
        cancelled=is_cancelled(row),
        location=location(row),
        description=_description(row),
    )


async def facilitator_events(
    staff_id: UUID, window: Window, *, now: datetime
) -> tuple[str, list[FeedEvent]] | None:
    """The calendar's name and events; None once the owner is no active facilitator."""
    staff = (
        await StaffUser.select(StaffUser.roles, StaffUser.is_active)
        .where(StaffUser.id == staff_id)
        .first()
    )
    if staff is None or not staff["is_active"] or Role.FACILITATOR not in staff["roles"]:
        return None
    groups = GroupFacilitator.select(GroupFacilitator.group).where(
        GroupFacilitator.staff == staff_id
    )
    rows = await sessions_of_groups(groups, window, staff=True)
    return CALENDAR_NAME, [_event(row) for row in rows]
