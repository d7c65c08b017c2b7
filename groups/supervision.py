"""The supervision list and supervision discussions.

The list: every active or opted-in enrolment with at least one flag
(``groups.rules.supervision``), supervisors all of them, facilitators those in the
groups they run, admins none (clinical). Paged by enrolment id (keyset). Its cost does
not grow with the number of past sessions or the size of any table beyond the page:

1. one query: the page of enrolments (joined to group and patient), filtered in SQL by
   the same conditions as the rule over the enrolment's own columns: the clinical flags
   are stored on it (``groups.supervision_flags``), so the database reads no history and
   stops at the page's end;
2. one insert: the audit entries of the patients shown.

A discussion records who, when and the note, sets ``last_discussed_at`` and clears
``review_flagged_at`` (the DNA review): the flags a discussion covers (new enrolment,
not discussed recently, consecutive DNAs) go; open alerts, severe scores and the lack
of improvement stay until the clinical facts change.
"""

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from api.core.actor import Actor, Role
from api.core.database import for_update, is_postgres, write_transaction
from api.core.errors import Forbidden, InvalidInput, NotFound
from api.core.schemas import DEFAULT_PAGE_SIZE, Page, decode_cursor, encode_cursor
from api.core.settings import get_settings
from api.identity import audit
from groups.access import Side, require_group_access
from groups.rules import supervision as rules
from groups.schemas.supervision import DiscussionCreate, DiscussionRead, SupervisionItem
from groups.supervision_flags import LISTED_STATUSES, stored_flags
from groups.tables import Enrolment, SupervisionDiscussion

READERS = (Role.SUPERVISOR, Role.FACILITATOR)


def _uuid(value: Any) -> UUID:
    return value if isinstance(value, UUID) else UUID(str(value))


def _instant(value: Any) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value))


_STATUSES = ", ".join(f"'{status}'" for status in LISTED_STATUSES)
_FROM = "  FROM enrolment e"
# The whole list (a supervisor's) reads the listed enrolments in id order from their
# partial index and stops when the page is full. SQLite's planner, without statistics,
# prefers the status index and sorts every listed enrolment first (6 ms at 10,000
# against 0.3 ms), so it is told; scoped lists (a group, a caseload) are small and the
# planner's own choice is the better one there. PostgreSQL's planner has statistics.
_FROM_IN_ORDER = "  FROM enrolment e INDEXED BY enrolment_listed_by_id"
_INNER = f"""
SELECT e.id AS enrolment_id, e."group" AS group_id, g.name AS group_name,
       e.patient AS patient_id, p.given_name AS given_name, p.family_name AS family_name,
       e.status AS enrolment_status, e.consecutive_dnas AS consecutive_dnas,
       e.last_discussed_at AS last_discussed_at, e.review_flagged_at AS review_flagged_at,
       e.has_open_risk_alert AS has_open_risk_alert, e.has_severe_score AS has_severe_score,
       e.lacks_reliable_improvement AS lacks_reliable_improvement,
       e.latest_phq9 AS latest_phq9, e.latest_gad7 AS latest_gad7
{_FROM}
  JOIN course_group g ON g.id = e."group"
  JOIN patient p ON p.id = e.patient
 WHERE e.status IN ({_STATUSES})"""

# ``rules.listed_flags`` in SQL, over the enrolment's columns; {cutoff} and
# {dna_review_after} are the two arguments.
_FLAGGED = """
   AND (e.last_discussed_at IS NULL
    OR e.last_discussed_at <= {}
    OR e.has_open_risk_alert
    OR e.has_severe_score
    OR e.lacks_reliable_improvement
    OR (e.review_flagged_at IS NOT NULL AND e.consecutive_dnas >= {}))"""


def _page_query(
    *,
    facilitator: UUID | None,
    after: UUID | None,
    now: datetime,
    limit: int,
    group_id: UUID | None = None,
) -> tuple[str, list[Any]]:
    inner: list[str] = [_INNER, _FLAGGED]
    args: list[Any] = [rules.discussion_due_before(now), get_settings().groups.dna_review_after]
    if group_id is not None:
        inner.append(' AND e."group" = {}')
        args.append(group_id)
    if facilitator is not None:
        inner.append(
            ' AND e."group" IN (SELECT gf."group" FROM group_facilitator gf WHERE gf.staff = {})'
        )
        args.append(facilitator)
    if after is not None:
        inner.append(" AND e.id > {}")
        args.append(after)
    text = "".join(inner) + " ORDER BY e.id LIMIT {}"
    args.append(limit + 1)
    if facilitator is None and group_id is None and not is_postgres():
        text = text.replace(_FROM, _FROM_IN_ORDER, 1)
    return text, args


def _cursor_id(cursor: str) -> UUID:
    (last_id,) = decode_cursor(cursor, str)
    try:
        return UUID(last_id)
    except ValueError as error:
        raise InvalidInput([{"field": "cursor", "reason": "is not a cursor this API gave"}]) from (
            error
        )


async def supervision_list(
    *,
    by: Actor,
    now: datetime,
    group_id: UUID | None = None,
    cursor: str | None = None,
    limit: int = DEFAULT_PAGE_SIZE,
) -> Page[SupervisionItem]:
    """Flagged enrolments by id (of one group when asked), a page at a time; audited."""
    if by.user_id is not None and not by.has_any(*READERS):
        raise Forbidden("Admins see operational records only, never clinical ones.")
    if group_id is not None:
        await require_group_access(group_id, by, Side.CLINICAL)
    facilitator = None
    if by.user_id is not None and not by.has_any(Role.SUPERVISOR):
        facilitator = by.user_id
    after = None if cursor is None else _cursor_id(cursor)
    text, args = _page_query(
        facilitator=facilitator, after=after, now=now, limit=limit, group_id=group_id
    )
    dna_review_after = get_settings().groups.dna_review_after
    async with write_transaction():
        rows: list[dict[str, Any]] = await Enrolment.raw(text, *args)
        items = []
        for row in rows[:limit]:
            clinical = stored_flags(row)
            last_discussed_at = _instant(row["last_discussed_at"])
            review_flagged_at = _instant(row["review_flagged_at"])
            items.append(
                SupervisionItem(
                    enrolment_id=_uuid(row["enrolment_id"]),
                    group_id=_uuid(row["group_id"]),
                    group_name=row["group_name"],
                    patient_id=_uuid(row["patient_id"]),
                    given_name=row["given_name"],
                    family_name=row["family_name"],
                    enrolment_status=row["enrolment_status"],
                    consecutive_dnas=row["consecutive_dnas"],
                    last_discussed_at=last_discussed_at,
                    review_flagged_at=review_flagged_at,
                    latest_phq9=clinical.latest_phq9,
                    latest_gad7=clinical.latest_gad7,
                    flags=list(
                        rules.listed_flags(
                            clinical,
                            last_discussed_at=last_discussed_at,
                            review_flagged_at=review_flagged_at,
                            consecutive_dnas=row["consecutive_dnas"],
                            now=now,
                            dna_review_after=dna_review_after,
                        )
                    ),
                )
            )
        await audit.record_reads(by, "patient", [item.patient_id for item in items], now=now)
    next_cursor = encode_cursor(str(items[-1].enrolment_id)) if len(rows) > limit else None
    return Page[SupervisionItem](items=items, next_cursor=next_cursor)


async def _enrolment_group(enrolment_id: UUID) -> UUID:
    row = await Enrolment.select(Enrolment.group).where(Enrolment.id == enrolment_id).first()
    if row is None:
        raise NotFound("No enrolment with this id.")
    return _uuid(row["group"])


async def record_discussion(
    enrolment_id: UUID, discussion: DiscussionCreate, *, by: Actor, now: datetime
) -> DiscussionRead:
    """Record the discussion; the enrolment is discussed now and its DNA review cleared."""
    await require_group_access(await _enrolment_group(enrolment_id), by, Side.CLINICAL)
    row = SupervisionDiscussion(
        enrolment=enrolment_id, discussed_by=by.user_id, discussed_at=now, note=discussion.note
    )
    async with write_transaction():
        await for_update(Enrolment.select(Enrolment.id).where(Enrolment.id == enrolment_id))
        await row.save()
        await Enrolment.update(
            {
                Enrolment.last_discussed_at: now,
                Enrolment.review_flagged_at: None,
                Enrolment.updated_at: now,
            }
        ).where(Enrolment.id == enrolment_id)
        await audit.record(by, "enrolment.discuss", "enrolment", enrolment_id, now=now)
    return DiscussionRead(
        id=row.id,
        enrolment_id=enrolment_id,
        discussed_by=by.user_id,
        discussed_at=now,
        note=discussion.note,
    )


def _discussion_cursor(cursor: str) -> tuple[datetime, UUID]:
    at_text, last_id = decode_cursor(cursor, str, str)
    try:
        at = datetime.fromisoformat(at_text)
        if at.tzinfo is None:
            raise ValueError("naive instant")
        return at.astimezone(UTC), UUID(last_id)
    except (ValueError, OverflowError) as error:
        raise InvalidInput([{"field": "cursor", "reason": "is not a cursor this API gave"}]) from (
            error
        )


async def list_discussions(
    enrolment_id: UUID,
    *,
    by: Actor,
    now: datetime,
    cursor: str | None = None,
    limit: int = DEFAULT_PAGE_SIZE,
) -> Page[DiscussionRead]:
    """The enrolment's supervision discussions, newest first, a page at a time (audited)."""
    group_id = await _enrolment_group(enrolment_id)
    await require_group_access(group_id, by, Side.CLINICAL)
    query = (
        SupervisionDiscussion.select(
            SupervisionDiscussion.id,
            SupervisionDiscussion.enrolment.as_alias("enrolment_id"),
            SupervisionDiscussion.discussed_by,
            SupervisionDiscussion.discussed_at,
            SupervisionDiscussion.note,
        )
        .where(SupervisionDiscussion.enrolment == enrolment_id)
        .order_by(SupervisionDiscussion.discussed_at, SupervisionDiscussion.id, ascending=False)
        .limit(limit + 1)
    )
    if cursor is not None:
        at, before_id = _discussion_cursor(cursor)
        query = query.where(
            (SupervisionDiscussion.discussed_at < at)
            | ((SupervisionDiscussion.discussed_at == at) & (SupervisionDiscussion.id < before_id))
        )
    async with write_transaction():
        rows = await query
        patient = await Enrolment.select(Enrolment.patient).where(Enrolment.id == enrolment_id)
        await audit.record_reads(by, "patient", [row["patient"] for row in patient], now=now)
    items = [DiscussionRead.model_validate(row) for row in rows[:limit]]
    last = items[-1] if items else None
    next_cursor = (
        encode_cursor(last.discussed_at.astimezone(UTC).isoformat(), str(last.id))
        if last is not None and len(rows) > limit
        else None
    )
    return Page[DiscussionRead](items=items, next_cursor=next_cursor)
