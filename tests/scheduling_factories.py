"""Builders for venues, rooms, opening hours and closures: rows saved directly, valid by default."""

import itertools
from datetime import date, time
from typing import Any

from scheduling.tables import Closure, OpeningHours, Room, Venue

_numbers = itertools.count(1)
WEEKDAYS = range(7)


async def make_venue(
    *,
    open_from: time | None = time(8, 0),
    open_until: time = time(21, 0),
    weekdays: range | tuple[int, ...] = WEEKDAYS,
    **fields: Any,
) -> Venue:
    """A venue, open every day 08:00-21:00 unless told otherwise (``open_from=None``: no hours)."""
    number = next(_numbers)
    values: dict[str, Any] = {
        "name": f"Venue {number}",
        "kind": "library",
        "address_line_1": f"{number} High Street",
        "town": "Tavistock",
        "postcode": "PL19 0AE",
        "postcode_district": "PL19",
        **fields,
    }
    venue = Venue(**values)
    await venue.save()
    if open_from is not None:
        await OpeningHours.insert(
            *(
                OpeningHours(venue=venue.id, weekday=day, opens_at=open_from, closes_at=open_until)
                for day in weekdays
            )
        )
    return venue


async def make_room(venue: Venue | None = None, **fields: Any) -> Room:
    """A room for 16 in a new (or the given) venue."""
    venue = venue or await make_venue()
    values: dict[str, Any] = {
        "venue": venue.id,
        "name": f"Room {next(_numbers)}",
        "capacity": 16,
        "equipment": [],
        **fields,
    }
    room = Room(**values)
    await room.save()
    return room


async def make_closure(venue: Venue, start: date, end: date, reason: str = "Works") -> Closure:
    """A closure over the dates, inclusive."""
    closure = Closure(venue=venue.id, start_date=start, end_date=end, reason=reason)
    await closure.save()
    return closure
