"""The availability search's one ranking query: candidate rooms, blocked weeks, best first.

Every candidate room's number of blocked weeks is worked out in SQL, so ranking and the
keyset cursor need no rows in Python beyond the page. A week is blocked when its local
time is invalid, the venue is not open for the slot that weekday (then every week is),
shuts for that bank holiday, is closed that date, or the room has a clashing booking.
These mirror ``scheduling.rules.availability``, which gives the page's reasons.

The work is done once per thing, not once per room and week: the clashing bookings of
every room come from one short index range per week (``room_booking_live_starts``), and
each venue's opening and closures are worked out once for all its rooms. Only the page's
rows carry the columns shown (measured at 2,000 rooms and 200,000 bookings: 16-18 ms
on either engine with one probe per room and week, about 4 ms so).
"""

from datetime import time
from typing import Any
from uuid import UUID

from api.core.errors import InvalidInput
from api.core.schemas import decode_cursor
from scheduling.rules import availability as rules
from scheduling.schemas.availability import AvailabilitySearch

_RANK = ("blocked_weeks", "capacity", "venue_name", "room_name", "room_id")
_SHOWN = ", ".join(
    (
        "p.room_id AS room_id",
        "p.room_name AS room_name",
        "p.capacity AS capacity",
        "r.equipment AS equipment",
        "p.venue_id AS venue_id",
        "p.venue_name AS venue_name",
        "v.town AS town",
        "v.postcode AS postcode",
        "v.step_free_access AS step_free_access",
        "v.accessible_toilet AS accessible_toilet",
        "v.hearing_loop AS hearing_loop",
        "v.parking AS parking",
        "v.public_transport_notes AS public_transport_notes",
        "v.opens_on_bank_holidays AS opens_on_bank_holidays",
        "p.blocked_weeks AS blocked_weeks",
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
    # (rules.booking.hours_on): a range holds the start, and the venue has no range ending
    # inside the slot that no other range continues. That last set is worked out once
    # (NOT IN), not per venue: a third of the cost on SQLite.
    sql.add(
        "SELECT o.venue FROM opening_hours o WHERE o.weekday = {} AND o.opens_at <= {} "
        "AND o.closes_at > {} AND o.venue NOT IN (SELECT g.venue FROM opening_hours g "
        "WHERE g.weekday = {} AND g.closes_at > {} AND g.closes_at < {} "
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


def _has_instants(week: rules.Week) -> bool:
    return week.starts_at is not None and week.ends_at is not None


def _booked(sql: RankedPageQuery, live: list[rules.Week]) -> None:
    # Per room that has any: 1 in column b<i> when a live booking clashes with week i.
    # One range of the (starts_at, ends_at, room) index per week, bounded below by the
    # longest booking; the literal 'cancelled' lets both engines use the partial index.
    flags = ", ".join(
        f"MAX(CASE WHEN week = {week.index} THEN 1 ELSE 0 END) AS b{week.index}" for week in live
    )
    sql.add(f"booked AS MATERIALIZED (SELECT room, {flags} FROM (")  # noqa: S608 - week numbers
    for position, week in enumerate(live):
        sql.add(
            f"{' UNION ALL ' if position else ''}SELECT b.room AS room, {week.index} AS week "  # noqa: S608
            "FROM room_booking b WHERE b.starts_at > {} AND b.starts_at < {} "
            "AND b.ends_at > {} AND b.status <> 'cancelled'",
            week.starts_at - rules.LONGEST_BOOKING,  # type: ignore[operator]
            week.ends_at,
            week.starts_at,
        )
    sql.add(") AS clashes GROUP BY room), ")


def _venue_weeks(
    sql: RankedPageQuery, search: AvailabilitySearch, weeks: tuple[rules.Week, ...]
) -> None:
    # Per live venue that passes the filters: shut (1 when not open for the slot that
    # weekday) and w<i> (1 when week i is blocked for every room there).
    sql.add(
        "closed AS MATERIALIZED (SELECT c.venue AS venue, c.start_date AS start_date, "
        "c.end_date AS end_date FROM closure c WHERE c.end_date >= {} AND c.start_date <= {}), ",
        weeks[0].day,
        weeks[-1].day,
    )
    sql.add("open_venue AS MATERIALIZED (")
    _open_venues(sql, search.from_date.weekday(), search.start_time, search.end_time)
    sql.add(
        "), venue_weeks AS MATERIALIZED (SELECT v.id AS venue_id, v.name AS venue_name, "
        "CASE WHEN v.id IN (SELECT venue FROM open_venue) THEN 0 ELSE 1 END AS shut"
    )
    for week in weeks:
        if not _has_instants(week):
            sql.add(f", 1 AS w{week.index}")
            continue
        shut_that_day = "NOT v.opens_on_bank_holidays OR " if week.bank_holiday else ""
        sql.add(
            f", CASE WHEN {shut_that_day}EXISTS (SELECT 1 FROM closed c WHERE c.venue = v.id "  # noqa: S608
            f"AND c.start_date <= {{}} AND c.end_date >= {{}}) THEN 1 ELSE 0 END AS w{week.index}",
            week.day,
            week.day,
        )
    sql.add(" FROM venue v WHERE NOT v.is_archived")
    for flag in ("step_free_access", "accessible_toilet", "hearing_loop", "parking"):
        if getattr(search, flag):
            sql.add(f" AND v.{flag}")
    if search.town is not None:
        sql.add(" AND lower(v.town) = {}", search.town.lower())
    if search.postcode_district is not None:
        sql.add(" AND v.postcode_district = {}", search.postcode_district)
    sql.add("), ")


def _blocked_weeks(weeks: tuple[rules.Week, ...], live: list[rules.Week]) -> str:
    terms = []
    for week in weeks:
        if not _has_instants(week):
            terms.append("1")
        elif live:
            terms.append(
                f"(CASE WHEN vw.w{week.index} = 1 OR bk.b{week.index} = 1 THEN 1 ELSE 0 END)"
            )
        else:  # pragma: no cover - a week with instants is live
            terms.append(f"vw.w{week.index}")
    return f"CASE WHEN vw.shut = 1 THEN {len(weeks)} ELSE {' + '.join(terms)} END"


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
    live = [week for week in weeks if _has_instants(week)]
    sql = RankedPageQuery().add("WITH ")
    if live:
        _booked(sql, live)
    _venue_weeks(sql, search, weeks)
    # NOT MATERIALIZED: each count is arithmetic on joined columns, cheaper to work out
    # again for the cursor's WHERE than copying every candidate row (SQLite: ~0.7 ms).
    sql.add(
        "ranked AS NOT MATERIALIZED (SELECT r.id AS room_id, r.name AS room_name, "  # noqa: S608
        "r.capacity AS capacity, vw.venue_id AS venue_id, vw.venue_name AS venue_name, "
        f"{_blocked_weeks(weeks, live)} AS blocked_weeks FROM room r "
        "JOIN venue_weeks vw ON vw.venue_id = r.venue"
        f"{' LEFT JOIN booked bk ON bk.room = r.id' if live else ''} "
        "WHERE r.capacity >= {} AND NOT r.is_archived), page AS (SELECT * FROM ranked",
        search.capacity,
    )
    rank = ", ".join(_RANK)
    if search.cursor is not None:
        sql.add(f" WHERE ({rank}) > ({{}}, {{}}, {{}}, {{}}, {{}})", *_cursor_key(search.cursor))
    sql.add(f" ORDER BY {rank} LIMIT {{}})", search.limit + 1)
    # Only the page's rows fetch what is shown of the room and the venue.
    sql.add(
        f" SELECT {_SHOWN} FROM page p JOIN room r ON r.id = p.room_id "  # noqa: S608 - constants
        "JOIN venue v ON v.id = p.venue_id ORDER BY "
    )
    return sql.add(", ".join(f"p.{column}" for column in _RANK))
