"""The go/no-go list: groups short of their minimum as their go/no-go date nears.

Two statements whatever the number of groups: the page of groups (each with its opted-in
count from a correlated subquery, filtered on it in SQL so pages are full), and everyone
waitlisted in any group of those groups' courses.
"""

from collections import defaultdict
from datetime import date, datetime, timedelta
from typing import Any
from uuid import UUID

from piccolo.columns.combination import WhereRaw
from piccolo.querystring import QueryString

from api.core.actor import Actor, Role
from api.core.database import write_transaction
from api.core.errors import Forbidden, InvalidInput
from api.core.schemas import DEFAULT_PAGE_SIZE, Page, decode_cursor, encode_cursor
from api.core.settings import get_settings
from api.identity import audit
from groups.rules.enrolment import EnrolmentStatus
from groups.rules.groups import GroupStatus
from groups.schemas.groups import GoNoGoEntry, WaitingPatient
from groups.tables import Enrolment, Group
from scheduling.booking_queries import service_zone

# The most people waiting elsewhere shown per group: enough to fill any group.
MAX_WAITING_SHOWN = 30
_OPTED_IN_SQL = (
    '(SELECT COUNT(*) FROM enrolment e WHERE e."group" = "course_group"."id" '
    "AND e.status IN ('opted_in', 'active'))"
)


def _require_reader(by: Actor) -> None:
    if by.user_id is not None and not by.has_any(Role.ADMIN, Role.SUPERVISOR):
        raise Forbidden("Only admins and supervisors see the go/no-go list.")


def _after(cursor: str) -> Any:
    day, last_id = decode_cursor(cursor, str, str)
    try:
        after_day, after_id = date.fromisoformat(day), UUID(last_id)
    except ValueError:
        raise InvalidInput(
            [{"field": "cursor", "reason": "is not a cursor this API gave"}]
        ) from None
    return (Group.go_no_go_date > after_day) | (
        (Group.go_no_go_date == after_day) & (Group.id > after_id)
    )


async def _short_groups(today: date, cursor: str | None, limit: int) -> list[dict[str, Any]]:
    horizon = today + timedelta(days=get_settings().groups.go_no_go_horizon_days)
    conditions: list[Any] = [
        Group.status.is_in([GroupStatus.DRAFT.value, GroupStatus.SCHEDULED.value]),
        Group.go_no_go_date <= horizon,
        Group.first_session_date >= today,
        WhereRaw(f'{_OPTED_IN_SQL} < "course_group"."min_participants"'),
    ]
    if cursor is not None:
        conditions.append(_after(cursor))
    rows: list[dict[str, Any]] = (
        await Group.select(
            Group.id.as_alias("group_id"),
            Group.name,
            Group.course.as_alias("course_id"),
            Group.course.name.as_alias("course_name"),
            Group.status,
            Group.first_session_date,
            Group.go_no_go_date,
            Group.min_participants,
            QueryString(_OPTED_IN_SQL, alias="opted_in"),
        )
        .where(*conditions)
        .order_by(Group.go_no_go_date, Group.id)
        .limit(limit + 1)
    )
    return rows


async def _waiting_by_course(course_ids: list[UUID]) -> dict[UUID, list[dict[str, Any]]]:
    if not course_ids:
        return {}
    rows = (
        await Enrolment.select(
            Enrolment.id.as_alias("enrolment_id"),
            Enrolment.group.as_alias("group_id"),
            Enrolment.group.course.as_alias("course_id"),
            Enrolment.patient.as_alias("patient_id"),
            Enrolment.patient.given_name.as_alias("given_name"),
            Enrolment.patient.family_name.as_alias("family_name"),
            Enrolment.waitlisted_at,
        )
        .where(
            (Enrolment.status == EnrolmentStatus.WAITLISTED.value)
            & Enrolment.group.course.is_in(course_ids)
        )
        .order_by(Enrolment.waitlisted_at, Enrolment.id)
    )
    waiting: dict[UUID, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        waiting[UUID(str(row["course_id"]))].append(row)
    return waiting


async def go_no_go_list(
    *, by: Actor, now: datetime, cursor: str | None = None, limit: int = DEFAULT_PAGE_SIZE
) -> Page[GoNoGoEntry]:
    """Draft or scheduled groups under their minimum, go/no-go date within the horizon.

    Ordered by go/no-go date (the most urgent first). Showing who waits elsewhere is a
    read of those patients: audited.
    """
    _require_reader(by)
    today = now.astimezone(service_zone()).date()
    async with write_transaction():
        rows = await _short_groups(today, cursor, limit)
        page = rows[:limit]
        waiting = await _waiting_by_course(list({UUID(str(r["course_id"])) for r in page}))
        items = []
        shown: set[UUID] = set()
        for row in page:
            group_id = UUID(str(row["group_id"]))
            elsewhere = [
                WaitingPatient.model_validate(w)
                for w in waiting.get(UUID(str(row["course_id"])), [])
                if UUID(str(w["group_id"])) != group_id
            ][:MAX_WAITING_SHOWN]
            shown.update(w.patient_id for w in elsewhere)
            opted_in = int(row["opted_in"])
            items.append(
                GoNoGoEntry.model_validate(
                    {
                        **row,
                        "days_to_go_no_go": (row["go_no_go_date"] - today).days,
                        "opted_in": opted_in,
                        "needed": row["min_participants"] - opted_in,
                        "waiting_elsewhere": elsewhere,
                    }
                )
            )
        await audit.record_reads(by, "patient", sorted(shown, key=str), now=now)
    last = items[-1] if items else None
    next_cursor = (
        encode_cursor(last.go_no_go_date.isoformat(), str(last.group_id))
        if last and len(rows) > limit
        else None
    )
    return Page[GoNoGoEntry](items=items, next_cursor=next_cursor)
