"""Reading the calendar: a group's sessions a page at a time, and one session."""

from uuid import UUID

from api.core.actor import Actor
from api.core.errors import InvalidInput, NotFound
from api.core.schemas import DEFAULT_PAGE_SIZE, Page, decode_cursor, encode_cursor
from groups.access import Side, require_group_access
from groups.schemas.sessions import SessionRead
from groups.session_services.common import require_staff_reader, session_read, session_rows
from groups.tables import GroupSession
from scheduling.booking_queries import service_zone


def _after(cursor: str | None) -> list[object]:
    if cursor is None:
        return []
    (number,) = decode_cursor(cursor, int)
    if not 0 <= number <= 32767:
        raise InvalidInput([{"field": "cursor", "reason": "is not a cursor this API gave"}])
    return [GroupSession.number > number]


async def list_group_sessions(
    group_id: UUID,
    *,
    by: Actor,
    include_cancelled: bool = True,
    cursor: str | None = None,
    limit: int = DEFAULT_PAGE_SIZE,
) -> Page[SessionRead]:
    """The group's sessions by number (cancelled ones too unless asked not to)."""
    require_staff_reader(by)
    await require_group_access(group_id, by, Side.OPERATIONAL)
    conditions = [GroupSession.group == group_id, *_after(cursor)]
    if not include_cancelled:
        conditions.append(GroupSession.status != "cancelled")
    rows = await session_rows(*conditions, limit=limit + 1)
    zone = service_zone()
    page = rows[:limit]
    more = len(rows) > limit
    return Page[SessionRead](
        items=[session_read(row, zone) for row in page],
        next_cursor=encode_cursor(page[-1]["number"]) if more else None,
    )


async def get_session(session_id: UUID, *, by: Actor) -> SessionRead:
    """One session, for the group's facilitators, admins and supervisors."""
    require_staff_reader(by)
    rows = await session_rows(GroupSession.id == session_id)
    if not rows:
        raise NotFound("No session with this id.")
    await require_group_access(rows[0]["group_id"], by, Side.OPERATIONAL)
    return session_read(rows[0], service_zone())
