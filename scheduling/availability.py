"""Availability search: rooms free at one weekly slot for K weeks, best matches first.

At most four queries, whatever the number of rooms and bookings:

1. the page: candidate rooms joined to their venues and filtered, each with its number of
   blocked weeks worked out in SQL (so ranking and the keyset cursor need no rows in
   Python beyond the page), ordered best first;
2. the page's rooms' non-cancelled bookings that clash with any week;
3. the page's venues' opening ranges on that weekday;
4. the page's venues' closures over the dates.

The pure rule (``scheduling.rules.availability``) then gives every week of every room on
the page its reasons. The four queries are not one snapshot: a booking made between them
can make a room's ``free_weeks`` differ from the count it was ranked by, never a 500.
"""

from collections import defaultdict
from datetime import date, datetime
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from api.core.actor import Actor, Role
from api.core.errors import Forbidden
from api.core.schemas import encode_cursor
from api.core.settings import get_settings
from scheduling.availability_query import RankedPageQuery, ranked_page_query
from scheduling.rules import availability as rules
from scheduling.rules.opening import ClosureSpan, OpeningRange
from scheduling.schemas.availability import AvailabilitySearch
from scheduling.tables import Closure, OpeningHours, Room, RoomBooking

READERS = (Role.ADMIN, Role.FACILITATOR, Role.SUPERVISOR)
CANCELLED = "cancelled"


async def _ranked_rows(query: RankedPageQuery) -> list[dict[str, Any]]:
    # On PostgreSQL the connections run with jit off (api.core.database): this query's
    # cost estimate grows with rooms x weeks past the JIT threshold, and compiling it
    # then took seconds (measured: 3.5 s instead of 67 ms at 52 weeks).
    rows: list[dict[str, Any]] = await Room.raw(query.text, *query.args)
    return rows


def _as_uuid(value: Any) -> UUID:
    return value if isinstance(value, UUID) else UUID(str(value))


def _marks(count: int) -> str:
    return ", ".join("{}" for _ in range(count))


async def _clashing_bookings(
    room_ids: list[UUID], weeks: tuple[rules.Week, ...]
) -> dict[UUID, list[rules.BookedSlot]]:
    # One index range per week (as the ranking reads them), kept to the page's rooms.
    # Raw SQL: building the equivalent Piccolo select cost more than running it.
    live = [w for w in weeks if w.starts_at is not None and w.ends_at is not None]
    found: dict[UUID, list[rules.BookedSlot]] = defaultdict(list)
    if not live:
        return found
    rooms = _marks(len(room_ids))
    branch = (
        "SELECT b.id AS id, b.room AS room, b.starts_at AS starts_at, b.ends_at AS ends_at, "  # noqa: S608 - placeholders only
        f"b.status AS status FROM room_booking b WHERE b.room IN ({rooms}) "
        "AND b.starts_at > {} AND b.starts_at < {} AND b.ends_at > {} "
        "AND b.status <> 'cancelled'"
    )
    args: list[Any] = []
    for week in live:
        args += [*room_ids, week.starts_at - rules.LONGEST_BOOKING, week.ends_at, week.starts_at]  # type: ignore[operator]
    rows = await RoomBooking.raw(" UNION ALL ".join(branch for _ in live), *args)
    for row in rows:
        room_id = _as_uuid(row["room"])
        found[room_id].append(
            rules.BookedSlot(
                _as_uuid(row["id"]), room_id, row["starts_at"], row["ends_at"], row["status"]
            )
        )
    return found


async def _opening(venue_ids: list[UUID], weekday: int) -> dict[UUID, list[OpeningRange]]:
    rows = await OpeningHours.raw(
        "SELECT o.venue AS venue, o.opens_at AS opens_at, o.closes_at AS closes_at "  # noqa: S608 - placeholders only
        f"FROM opening_hours o WHERE o.venue IN ({_marks(len(venue_ids))}) "
        "AND o.weekday = {}",
        *venue_ids,
        weekday,
    )
    found: dict[UUID, list[OpeningRange]] = defaultdict(list)
    for row in rows:
        found[_as_uuid(row["venue"])].append(
            OpeningRange(weekday, row["opens_at"], row["closes_at"])
        )
    return found


async def _closures(
    venue_ids: list[UUID], first: date, last: date
) -> dict[UUID, list[ClosureSpan]]:
    rows = await Closure.raw(
        "SELECT c.venue AS venue, c.start_date AS start_date, c.end_date AS end_date, "  # noqa: S608 - placeholders only
        f"c.reason AS reason FROM closure c WHERE c.venue IN ({_marks(len(venue_ids))}) "
        "AND c.end_date >= {} AND c.start_date <= {}",
        *venue_ids,
        first,
        last,
    )
    found: dict[UUID, list[ClosureSpan]] = defaultdict(list)
    for row in rows:
        found[_as_uuid(row["venue"])].append(
            ClosureSpan(row["start_date"], row["end_date"], row["reason"])
        )
    return found


def _candidate(row: dict[str, Any]) -> rules.CandidateRoom:
    return rules.CandidateRoom(
        room_id=_as_uuid(row["room_id"]),
        venue_id=_as_uuid(row["venue_id"]),
        capacity=int(row["capacity"]),
        room_name=row["room_name"],
        venue_name=row["venue_name"],
        opens_on_bank_holidays=bool(row["opens_on_bank_holidays"]),
    )


async def search_availability(search: AvailabilitySearch, *, by: Actor) -> dict[str, Any]:
    """The rooms that fit, each with every requested week free or with its reasons.

    The page comes back as JSON-ready values in the shape of ``Page[AvailableRoomRead]``
    (the controller's documented answer), built from trusted rows: validating 50 rooms x
    K weeks through the model cost more CPU than the whole page's SQL on PostgreSQL.
    ``tests/api/test_availability.py`` compares whole bodies, and the contract tests
    check them against the schema.
    """
    if not by.has_any(*READERS):
        raise Forbidden("Only staff search room availability.")
    zone = ZoneInfo(get_settings().service.time_zone)
    weeks = rules.weekly_windows(
        search.from_date, search.start_time, search.end_time, search.weeks, zone
    )
    rows = await _ranked_rows(ranked_page_query(search, weeks))
    page, more = rows[: search.limit], len(rows) > search.limit
    if not page:
        return {"items": [], "next_cursor": None}
    rooms = [_candidate(row) for row in page]
    venue_ids = list({room.venue_id for room in rooms})
    bookings = await _clashing_bookings([room.room_id for room in rooms], weeks)
    opening = await _opening(venue_ids, search.from_date.weekday())
    closures = await _closures(venue_ids, weeks[0].day, weeks[-1].day)
    times = _week_times(weeks, zone)
    items = []
    for row, room in zip(page, rooms, strict=True):
        result = rules.assess_room(
            room,
            weeks,
            bookings=bookings.get(room.room_id, ()),
            closures=closures.get(room.venue_id, ()),
            opening=opening.get(room.venue_id, ()),
        )
        items.append(_item(row, result, times))
    last = page[-1]
    next_cursor = (
        encode_cursor(
            int(last["blocked_weeks"]),
            int(last["capacity"]),
            last["venue_name"],
            last["room_name"],
            str(_as_uuid(last["room_id"])),
        )
        if more
        else None
    )
    return {"items": items, "next_cursor": next_cursor}


def _reason(reason: rules.Reason) -> dict[str, Any]:
    match reason:
        case rules.Booked(booking):
            return {
                "kind": "booking",
                "booking_id": booking.booking_id,
                "starts_at": booking.starts_at,
                "ends_at": booking.ends_at,
                "status": booking.status,
            }
        case rules.Closed(closure):
            return {
                "kind": "closure",
                "start_date": closure.start_date,
                "end_date": closure.end_date,
                "reason": closure.reason,
            }
        case rules.ShutForBankHoliday(name):
            return {"kind": "bank_holiday", "name": name}
        case rules.OutsideHours(weekday, hours):
            spans = [
                {"opens_at": f"{h.opens_at:%H:%M}", "closes_at": f"{h.closes_at:%H:%M}"}
                for h in hours
            ]
            return {"kind": "outside_opening_hours", "weekday": weekday, "opening_hours": spans}
        case rules.InvalidLocalTime(detail):
            return {"kind": "invalid_local_time", "detail": detail}
    raise AssertionError(reason)  # pragma: no cover - the match is exhaustive


def _local(value: datetime | None, zone: ZoneInfo) -> datetime | None:
    return None if value is None else value.astimezone(zone)


def _week_times(weeks: tuple[rules.Week, ...], zone: ZoneInfo) -> dict[int, dict[str, Any]]:
    """Each week's date and instants as shown, the same for every room: worked out once."""
    return {
        week.index: {
            "date": week.day,
            "starts_at": week.starts_at,
            "ends_at": week.ends_at,
            "local_starts_at": _local(week.starts_at, zone),
            "local_ends_at": _local(week.ends_at, zone),
        }
        for week in weeks
    }


def _item(
    row: dict[str, Any], result: rules.RoomAvailability, times: dict[int, dict[str, Any]]
) -> dict[str, Any]:
    equipment = row["equipment"]
    return {
        "room": {
            "id": result.room.room_id,
            "name": row["room_name"],
            "capacity": int(row["capacity"]),
            "equipment": equipment if isinstance(equipment, list) else [],
        },
        "venue": {
            "id": result.room.venue_id,
            "name": row["venue_name"],
            "town": row["town"],
            "postcode": row["postcode"],
            "step_free_access": bool(row["step_free_access"]),
            "accessible_toilet": bool(row["accessible_toilet"]),
            "hearing_loop": bool(row["hearing_loop"]),
            "parking": bool(row["parking"]),
            "public_transport_notes": row["public_transport_notes"],
        },
        "free_weeks": result.free_weeks,
        "weeks": [
            {
                **times[verdict.week.index],
                "free": not verdict.reasons,
                "reasons": [_reason(reason) for reason in verdict.reasons],
            }
            for verdict in result.weeks
        ],
    }
