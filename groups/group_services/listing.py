"""The group list: filters, keyset pages by first session date, facilitators' own only."""

from datetime import date
from typing import Any
from uuid import UUID

from api.core.actor import Actor
from api.core.errors import InvalidInput
from api.core.schemas import DEFAULT_PAGE_SIZE, Page, decode_cursor, encode_cursor
from groups.groups import LIST_COLUMNS, require_reader, sees_every_group
from groups.rules.groups import GroupStatus
from groups.schemas.groups import GroupRead
from groups.tables import Group, GroupFacilitator


def _after_date_and_id(cursor: str) -> Any:
    day, last_id = decode_cursor(cursor, str, str)
    try:
        after_day, after_id = date.fromisoformat(day), UUID(last_id)
    except ValueError:
        raise InvalidInput(
            [{"field": "cursor", "reason": "is not a cursor this API gave"}]
        ) from None
    return (Group.first_session_date > after_day) | (
        (Group.first_session_date == after_day) & (Group.id > after_id)
    )


async def list_groups(
    *,
    by: Actor,
    course_id: UUID | None = None,
    venue_id: UUID | None = None,
    status: GroupStatus | None = None,
    starting_from: date | None = None,
    cursor: str | None = None,
    limit: int = DEFAULT_PAGE_SIZE,
) -> Page[GroupRead]:
    """Groups by first session date then id, a page at a time; facilitators see their own."""
    require_reader(by)
    conditions: list[Any] = []
    if not sees_every_group(by):
        conditions.append(
            Group.id.is_in(
                GroupFacilitator.select(GroupFacilitator.group).where(
                    GroupFacilitator.staff == by.user_id
                )
            )
        )
    if course_id is not None:
        conditions.append(Group.course == course_id)
    if venue_id is not None:
        conditions.append(Group.venue == venue_id)
    if status is not None:
        conditions.append(Group.status == status.value)
    if starting_from is not None:
        conditions.append(Group.first_session_date >= starting_from)
    if cursor is not None:
        conditions.append(_after_date_and_id(cursor))
    query = (
        Group.select(*LIST_COLUMNS).order_by(Group.first_session_date, Group.id).limit(limit + 1)
    )
    if conditions:
        query = query.where(*conditions)
    rows = await query
    items = [GroupRead.model_validate(row) for row in rows[:limit]]
    last = items[-1] if items else None
    next_cursor = (
        encode_cursor(last.first_session_date.isoformat(), str(last.id))
        if last and len(rows) > limit
        else None
    )
    return Page[GroupRead](items=items, next_cursor=next_cursor)
