"""Pure rules for groups: defaults, the size limits and the status moves an edit may make."""

import enum
from collections.abc import Sequence
from datetime import date, timedelta
from uuid import UUID

GO_NO_GO_DAYS_BEFORE = 14
MIN_FACILITATORS = 2


class GroupStatus(enum.StrEnum):
    """Where a group is in its life."""

    DRAFT = "draft"
    SCHEDULED = "scheduled"
    RUNNING = "running"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


G = GroupStatus
# An edit may only move a group along these (scheduling and cancelling have their own routes).
EDIT_MOVES: dict[GroupStatus, tuple[GroupStatus, ...]] = {
    G.DRAFT: (),
    G.SCHEDULED: (G.RUNNING,),
    G.RUNNING: (G.COMPLETED,),
    G.COMPLETED: (),
    G.CANCELLED: (),
}
# Groups that take no new enrolments.
CLOSED = frozenset({G.COMPLETED, G.CANCELLED})


def default_name(course_name: str, venue_town: str, first_session_date: date) -> str:
    """'<course> - <venue town>, <date>', e.g. 'Stress Control - Tavistock, 2027-01-11'."""
    where = f" - {venue_town}" if venue_town else ""
    return f"{course_name}{where}, {first_session_date.isoformat()}"[:200]


def default_go_no_go_date(first_session_date: date) -> date:
    """Two weeks before the first session."""
    return first_session_date - timedelta(days=GO_NO_GO_DAYS_BEFORE)


def facilitator_problem(ids: Sequence[UUID]) -> str | None:
    """Why a facilitator list is unacceptable on its face, or None."""
    if len(set(ids)) != len(ids):
        return "must not name anyone twice"
    if len(ids) < MIN_FACILITATORS:
        return f"needs at least {MIN_FACILITATORS} co-facilitators"
    return None


def capacity_problem(capacity: int, *, room_capacity: int, course_max: int) -> str | None:
    """Why a capacity is too large for the room or the course, or None."""
    if capacity > room_capacity:
        return f"exceeds the room's capacity of {room_capacity}"
    if capacity > course_max:
        return f"exceeds the course's maximum group size of {course_max}"
    return None


def is_allowed_edit_move(current: GroupStatus, target: GroupStatus) -> bool:
    """Whether an edit may set ``target`` (setting the current status again is a no-op)."""
    return target is current or target in EDIT_MOVES[current]


def places_free(capacity: int, places_held: int) -> int:
    """Free places, never negative (a capacity lowered under holdings is refused elsewhere)."""
    return max(capacity - places_held, 0)
