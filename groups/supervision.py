"""The supervision list and supervision discussions.

The list: every active or opted-in enrolment with at least one flag
(``groups.rules.supervision``), supervisors all of them, facilitators those in the
groups they run, admins none (clinical). Paged by enrolment id (keyset). Its cost does
not grow with the number of past sessions or the size of any table beyond the page:

1. one query: the page of enrolments (joined to group and patient), each with its open
   alert count and, per instrument, its first and latest scored measure set and their
   number, as correlated subqueries bounded by the enrolment's own measure sets (one per
   instrument per session: at most the course's length) and filtered in SQL by the same
   conditions as the rule, so the database stops at the page's end;
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
from api.core.database import for_update, write_transaction
from api.core.errors import Forbidden, InvalidInput, NotFound
from api.core.schemas import DEFAULT_PAGE_SIZE, Page, decode_cursor, encode_cursor
from api.core.settings import get_settings
from api.identity import audit
from groups.access import Side, require_group_access
from groups.rules import supervision as rules
from groups.schemas.supervision import DiscussionCreate, DiscussionRead, SupervisionItem
from groups.tables import Enrolment, SupervisionDiscussion

LISTED_STATUSES = ("active", "opted_in")
READERS = (Role.SUPERVISOR, Role.FACILITATOR)


def _uuid(value: Any) -> UUID:
    return value if isinstance(value, UUID) else UUID(str(value))


def _instant(value: Any) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value))


def _scored(instrument: str, what: str, order: str = "") -> str:
    # Constants only are joined into the text (instrument codes from the rules module).
    tail = f" ORDER BY gs.starts_at {order}, gs.number {order} LIMIT 1" if order else ""
    return (
        f"(SELECT {what} FROM measure_set ms JOIN group_session gs ON gs.id = ms.session "  # noqa: S608
        f"WHERE ms.enrolment = e.id AND ms.instrument = '{instrument}' "
        f"AND ms.total IS NOT NULL{tail})"
    )


_STATUSES = ", ".join(f"'{status}'" for status in LISTED_STATUSES)
_INNER = f"""
SELECT e.id AS enrolment_id, e."group" AS group_id, g.name AS group_name,
       e.patient AS patient_id, p.given_name AS given_name, p.family_name AS family_name,
       e.status AS enrolment_status, e.consecutive_dnas AS consecutive_dnas,
       e.last_discussed_at AS last_discussed_at, e.review_flagged_at AS review_flagged_at,
       (SELECT COUNT(*) FROM risk_alert ra
         WHERE ra.enrolment = e.id AND ra.status = 'open') AS open_alerts,
       {_scored(rules.PHQ9, "ms.total", "ASC")} AS first_phq9,
       {_scored(rules.PHQ9, "ms.total", "DESC")} AS latest_phq9,
       {_scored(rules.PHQ9, "COUNT(*)")} AS phq9_sets,
       {_scored(rules.GAD7, "ms.total", "ASC")} AS first_gad7,
       {_scored(rules.GAD7, "ms.total", "DESC")} AS latest_gad7,
       {_scored(rules.GAD7, "COUNT(*)")} AS gad7_sets,
       (SELECT MAX(gs.number) FROM measure_set ms JOIN group_session gs ON gs.id = ms.session
         WHERE ms.enrolment = e.id AND ms.instrument IN ('{rules.PHQ9}', '{rules.GAD7}')
           AND ms.total IS NOT NULL) AS latest_scored_session
  FROM enrolment e
  JOIN course_group g ON g.id = e."group"
  JOIN patient p ON p.id = e.patient
 WHERE e.status IN ({_STATUSES})"""  # noqa: S608 - constants only

# The rule's conditions, in SQL: {cutoff}, {dna_review_after} are the two arguments.
_FLAGGED = f"""
 WHERE (t.last_discussed_at IS NULL
    OR t.last_discussed_at <= {{}}
    OR t.open_alerts > 0
    OR t.latest_phq9 >= {rules.PHQ9_SEVERE}
    OR t.latest_gad7 >= {rules.GAD7_SEVERE}
    OR (t.review_flagged_at IS NOT NULL AND t.consecutive_dnas >= {{}})
    OR (t.latest_scored_session >= {rules.IMPROVEMENT_REVIEW_SESSION}
        AND (t.phq9_sets >= 2 OR t.gad7_sets >= 2)
        AND NOT (t.phq9_sets >= 2
                 AND t.first_phq9 - t.latest_phq9 >= {rules.PHQ9_RELIABLE_CHANGE})
        AND NOT (t.gad7_sets >= 2
                 AND t.first_gad7 - t.latest_gad7 >= {rules.GAD7_RELIABLE_CHANGE})))"""


def _page_query(
    *,
    facilitator: UUID | None,
    after: UUID | None,
    now: datetime,
    limit: int,
    group_id: UUID | None = None,
) -> tuple[str, list[Any]]:
    inner: list[str] = [_INNER]
    args: list[Any] = []
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
    text = "SELECT * FROM (" + "".join(inner) + ") AS t" + _FLAGGED  # noqa: S608 - constants
    args += [rules.discussion_due_before(now), get_settings().groups.dna_review_after]
    text += " ORDER BY t.enrolment_id LIMIT {}"
    args.append(limit + 1)
    return text, args


def _cursor_id(cursor: str) -> UUID:
    (last_id,) = decode_cursor(cursor, str)
    try:
        return UUID(last_id)
    except ValueError as error:
        raise InvalidInput([{"field": "cursor", "reason": "is not a cursor this API gave"}]) from (
            error
        )


def _facts(row: dict[str, Any]) -> rules.FlagFacts:
    return rules.FlagFacts(
        last_discussed_at=_instant(row["last_discussed_at"]),
        review_flagged_at=_instant(row["review_flagged_at"]),
        consecutive_dnas=row["consecutive_dnas"],
        open_alerts=row["open_alerts"],
        phq9=rules.Scores(row["first_phq9"], row["latest_phq9"], row["phq9_sets"] or 0),
        gad7=rules.Scores(row["first_gad7"], row["latest_gad7"], row["gad7_sets"] or 0),
        latest_scored_session=row["latest_scored_session"],
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
            facts = _facts(row)
            items.append(
                SupervisionItem(
                    enrolment_id=_uuid(row["enrolment_id"]),
                    group_id=_uuid(row["group_id"]),
                    group_name=row["group_name"],
                    patient_id=_uuid(row["patient_id"]),
                    given_name=row["given_name"],
                    family_name=row["family_name"],
                    enrolment_status=row["enrolment_status"],
                    consecutive_dnas=facts.consecutive_dnas,
                    last_discussed_at=facts.last_discussed_at,
                    review_flagged_at=facts.review_flagged_at,
                    latest_phq9=facts.phq9.latest,
                    latest_gad7=facts.gad7.latest,
                    flags=list(rules.flags(facts, now=now, dna_review_after=dna_review_after)),
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
