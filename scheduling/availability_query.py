"""The availability search's one ranking query: candidate rooms, blocked weeks, best first.

Every candidate room's number of blocked weeks is worked out in SQL, so ranking and the
keyset cursor need no rows in Python beyond the page. A week is blocked when its local
time is invalid, the venue is not open for the slot that weekday (then every week is),
shuts for that bank holiday, is closed that date, or the room has a clashing booking.
These mirror ``scheduling.rules.availability``, which gives the page's reasons.
"""

from datetime import time
from typing import Any
from uuid import UUID

from api.core.errors import InvalidInput
from api.core.schemas import decode_cursor
from scheduling.rules import availability as rules
from scheduling.schemas.availability import AvailabilitySearch

_RANK = "blocked_weeks, capacity, venue_name, room_name, room_id"
_COLUMNS = ", ".join(
    (
        "r.id AS room_id",
        "r.name AS room_name",
        "r.capacity AS capacity",
        "r.equipment AS equipment",
        "v.id AS venue_id",
        "v.name AS venue_name",
        "v.town AS town",
        "v.postcode AS postcode",
        "v.step_free_access AS step_free_access",
        "v.accessible_toilet AS accessible_toilet",
        "v.hearing_loop AS hearing_loop",
        "v.parking AS parking",
        "v.public_transport_notes AS public_transport_notes",
        "v.opens_on_bank_holidays AS opens_on_bank_holidays",
    )
)


class RankedPageQuery:
    """A query's text with ``{}`` placeholders (Piccolo's raw style) and its arguments."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.args: list[Any] = []

    def add(self, text: str, *args: Any) -> "RankedPageQuery":
        """Append text and the arguments of its placeholders."""
        self.parts.append(text)
        self.args.extend(args)
        return self

    @property
    def text(self) -> str:
        """The whole query."""
        return "".join(self.parts)


def _open_venues(sql: RankedPageQuery, weekday: int, start: time, end: time) -> None:
    # Venues whose ranges that weekday hold the slot, touching ranges counting as one
    # (rules.booking.hours_on): a range holds the start, and every range ending inside the
    # slot is continued by another.
    sql.add(
        "SELECT o.venue FROM opening_hours o WHERE o.weekday = {} AND o.opens_at <= {} "
        "AND o.closes_at > {} AND NOT EXISTS (SELECT 1 FROM opening_hours g "
        "WHERE g.venue = o.venue AND g.weekday = {} AND g.closes_at > {} AND g.closes_at < {} "
        "AND NOT EXISTS (SELECT 1 FROM opening_hours n WHERE n.venue = g.venue "
        "AND n.weekday = {} AND n.opens_at <= g.closes_at AND n.closes_at > g.closes_at))",
        weekday,
        start,
        start,
        weekday,
        start,
        end,
        weekday,
    )


def _week_blocked(sql: RankedPageQuery, week: rules.Week) -> None:
    if week.starts_at is None or week.ends_at is None:
        sql.add("1")
        return
    sql.add("(CASE WHEN ")
    if week.bank_holiday is not None:
        sql.add("NOT v.opens_on_bank_holidays OR ")
    # The booking probe is a scalar subquery, not EXISTS: PostgreSQL would turn an EXISTS
    # into one hashed scan of every booking; this stays an index probe per room on
    # (room, starts_at, ends_at), bounded below by the longest booking.
    sql.add(
        "v.id IN (SELECT c.venue FROM closure c WHERE c.start_date <= {} AND c.end_date >= {}) "
        "OR (SELECT 1 FROM room_booking b WHERE b.room = r.id AND b.starts_at > {} "
        "AND b.starts_at < {} AND b.ends_at > {} AND b.status <> 'cancelled' LIMIT 1) "
        "IS NOT NULL THEN 1 ELSE 0 END)",
        week.day,
        week.day,
        week.starts_at - rules.LONGEST_BOOKING,
        week.ends_at,
        week.starts_at,
    )


def _filters(sql: RankedPageQuery, search: AvailabilitySearch) -> None:
    sql.add(
        " FROM room r JOIN venue v ON v.id = r.venue WHERE r.capacity >= {} "
        "AND NOT r.is_archived AND NOT v.is_archived",
        search.capacity,
    )
    for flag in ("step_free_access", "accessible_toilet", "hearing_loop", "parking"):
        if getattr(search, flag):
            sql.add(f" AND v.{flag}")
    if search.town is not None:
        sql.add(" AND lower(v.town) = {}", search.town.lower())
    if search.postcode_district is not None:
        sql.add(" AND v.postcode_district = {}", search.postcode_district)


def _cursor_key(cursor: str) -> list[Any]:
    key = decode_cursor(cursor, int, int, str, str, str)
    try:
        key[4] = UUID(key[4])
    except ValueError as error:
        raise InvalidInput([{"field": "cursor", "reason": "is not a cursor this API gave"}]) from (
            error
        )
    return key


def ranked_page_query(search: AvailabilitySearch, weeks: tuple[rules.Week, ...]) -> RankedPageQuery:
    """The page of candidate rooms with their blocked-week counts, best first."""
    # MATERIALIZED: the cursor's WHERE must not make the engine work each count out twice.
    sql = RankedPageQuery().add(
        f"WITH ranked AS MATERIALIZED (SELECT {_COLUMNS}, CASE WHEN v.id IN ("
    )
    _open_venues(sql, search.from_date.weekday(), search.start_time, search.end_time)
    sql.add(") THEN ")
    for index, week in enumerate(weeks):
        sql.add(" + " if index else "")
        _week_blocked(sql, week)
    sql.add(" ELSE {} END AS blocked_weeks", len(weeks))
    _filters(sql, search)
    sql.add(") SELECT * FROM ranked")
    if search.cursor is not None:
        sql.add(f" WHERE ({_RANK}) > ({{}}, {{}}, {{}}, {{}}, {{}})", *_cursor_key(search.cursor))
    return sql.add(f" ORDER BY {_RANK} LIMIT {{}}", search.limit + 1)
