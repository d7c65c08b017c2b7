"""Group sessions in a feed's window, with their group, course, room and venue: one query.

The room and venue are the session's booking's where it has one (a moved session may
move room), else the group's. Patient feeds never select what a patient must not see:
the course's name (unless the service opts in), the session's title from the plan, the
group's name and the venue's access instructions are not read at all for them.
"""

from typing import Any

from piccolo.columns import Column
from piccolo.query import Select

from groups.tables import GroupSession
from scheduling.feeds.common import Window, address

CANCELLED = "cancelled"
BOOKED = "booked_"
HOME = "home_"


def _place_columns(*, staff: bool) -> list[Column]:
    # Piccolo's stubs stop at one join; the chains below are real columns.
    booked_room: Any = GroupSession.booking.room
    home_room: Any = GroupSession.group.room
    booked_venue: Any = booked_room.venue
    home_venue: Any = GroupSession.group.venue
    columns: list[Column] = [
        booked_room.id.as_alias(f"{BOOKED}room_id"),
        booked_room.name.as_alias(f"{BOOKED}room"),
        home_room.name.as_alias(f"{HOME}room"),
    ]
    fields = ["name", "address_line_1", "address_line_2", "town", "postcode"]
    if staff:
        fields.append("access_instructions")
    for field in fields:
        columns.append(getattr(booked_venue, field).as_alias(f"{BOOKED}{field}"))
        columns.append(getattr(home_venue, field).as_alias(f"{HOME}{field}"))
    return columns


def place_prefix(row: dict[str, Any]) -> str:
    """Which columns name the session's place: its booking's room, else its group's."""
    return BOOKED if row[f"{BOOKED}room_id"] is not None else HOME


def location(row: dict[str, Any]) -> str:
    """The venue's name and address, for LOCATION."""
    return address(row, place_prefix(row))


def is_cancelled(row: dict[str, Any]) -> bool:
    """A cancelled session, or any session of a cancelled group."""
    return CANCELLED in (row["status"], row["group_status"])


async def sessions_of_groups(
    groups: Select[Any], window: Window, *, staff: bool, course_name: bool = True
) -> list[dict[str, Any]]:
    """Sessions of the groups ``groups`` selects (ids) overlapping the window, by start."""
    columns: list[Column] = [
        GroupSession.id,
        GroupSession.number,
        GroupSession.starts_at,
        GroupSession.ends_at,
        GroupSession.status,
        GroupSession.sequence,
        GroupSession.updated_at,
        GroupSession.group.status.as_alias("group_status"),
        *_place_columns(staff=staff),
    ]
    if staff:
        columns += [GroupSession.title, GroupSession.group.name.as_alias("group_name")]
    if staff or course_name:
        course: Any = GroupSession.group.course
        columns.append(course.name.as_alias("course_name"))
    rows: list[dict[str, Any]] = (
        await GroupSession.select(*columns)
        .where(
            GroupSession.group.is_in(groups),
            GroupSession.starts_at < window.end,
            GroupSession.ends_at > window.start,
        )
        .order_by(GroupSession.starts_at, GroupSession.id)
    )
    return rows
