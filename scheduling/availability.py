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

import operator
from collections import defaultdict
from datetime import date, datetime
from functools import reduce
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from api.core.actor import Actor, Role
from api.core.errors import Forbidden
from api.core.schemas import Page, encode_cursor
from api.core.settings import get_settings
from scheduling.availability_query import RankedPageQuery, ranked_page_query
from scheduling.rules import availability as rules
from scheduling.rules.opening import ClosureSpan, OpeningRange
from scheduling.schemas.availability import AvailabilitySearch, AvailableRoomRead
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


async def _clashing_bookings(
    room_ids: list[UUID], weeks: tuple[rules.Week, ...]
) -> dict[UUID, list[rules.BookedSlot]]:
    windows = [
        (RoomBooking.starts_at > w.starts_at - rules.LONGEST_BOOKING)
        & (RoomBooking.starts_at < w.ends_at)
        & (RoomBooking.ends_at > w.starts_at)
        for w in weeks
        if w.starts_at is not None and w.ends_at is not None
    ]
    found: dict[UUID, list[rules.BookedSlot]] = defaultdict(list)
    if not windows:
        return found
    rows = await RoomBooking.select(
        RoomBooking.id,
        RoomBooking.room,
        RoomBooking.starts_at,
        RoomBooking.ends_at,
        RoomBooking.status,
    ).where(
        RoomBooking.room.is_in(room_ids),
        RoomBooking.status != CANCELLED,
        reduce(operator.or_, windows),
    )
    for row in rows:
        room_id = _as_uuid(row["room"])
        found[room_id].append(
            rules.BookedSlot(row["id"], room_id, row["starts_at"], row["ends_at"], row["status"])
        )
    return found


async def _opening(venue_ids: list[UUID], weekday: int) -> dict[UUID, list[OpeningRange]]:
    rows = await OpeningHours.select(
        OpeningHours.venue, OpeningHours.opens_at, OpeningHours.closes_at
    ).where(OpeningHours.venue.is_in(venue_ids), OpeningHours.weekday == weekday)
    found: dict[UUID, list[OpeningRange]] = defaultdict(list)
    for row in rows:
        found[_as_uuid(row["venue"])].append(
            OpeningRange(weekday, row["opens_at"], row["closes_at"])
        )
    return found


async def _closures(
    venue_ids: list[UUID], first: date, last: date
) -> dict[UUID, list[ClosureSpan]]:
    rows = await Closure.select(
        Closure.venue, Closure.start_date, Closure.end_date, Closure.reason
    ).where(Closure.venue.is_in(venue_ids), Closure.end_date >= first, Closure.start_date <= last)
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


async def search_availability(search: AvailabilitySearch, *, by: Actor) -> Page[AvailableRoomRead]:
    """The rooms that fit, each with every requested week free or with its reasons."""
    if not by.has_any(*READERS):
        raise Forbidden("Only staff search room availability.")
    zone = ZoneInfo(get_settings().service.time_zone)
    weeks = rules.weekly_windows(
        search.from_date, search.start_time, search.end_time, search.weeks, zone
    )
    rows = await _ranked_rows(ranked_page_query(search, weeks))
    page, more = rows[: search.limit], len(rows) > search.limit
    if not page:
        return Page[AvailableRoomRead](items=[], next_cursor=None)
    rooms = [_candidate(row) for row in page]
    venue_ids = list({room.venue_id for room in rooms})
    bookings = await _clashing_bookings([room.room_id for room in rooms], weeks)
    opening = await _opening(venue_ids, search.from_date.weekday())
    closures = await _closures(venue_ids, weeks[0].day, weeks[-1].day)
    items = []
    for row, room in zip(page, rooms, strict=True):
        result = rules.assess_room(
            room,
            weeks,
            bookings=bookings.get(room.room_id, ()),
            closures=closures.get(room.venue_id, ()),
            opening=opening.get(room.venue_id, ()),
        )
        items.append(_item(row, result, zone))
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
    return Page[AvailableRoomRead].model_validate({"items": items, "next_cursor": next_cursor})


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


def _item(row: dict[str, Any], result: rules.RoomAvailability, zone: ZoneInfo) -> dict[str, Any]:
    equipment = row["equipment"]
    return {
        "room": {
            "id": result.room.room_id,
            "name": row["room_name"],
            "capacity": row["capacity"],
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
                "date": verdict.week.day,
                "starts_at": verdict.week.starts_at,
                "ends_at": verdict.week.ends_at,
                "local_starts_at": _local(verdict.week.starts_at, zone),
                "local_ends_at": _local(verdict.week.ends_at, zone),
                "free": verdict.free,
                "reasons": [_reason(reason) for reason in verdict.reasons],
            }
            for verdict in result.weeks
        ],
    }
