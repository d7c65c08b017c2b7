"""Seed venues, rooms, opening hours, closures and room bookings for the venues benchmark.

Run by ``bench/run.py`` after ``bench/seed.py``, in a subprocess whose environment names
the bench database (``api`` reads its settings once, at import). Everything is inserted
directly, in large batches, not through the booking service: venues, rooms, hours and
closures with Piccolo's multi-row insert; bookings with one ``executemany`` on SQLite and
``COPY`` on PostgreSQL (where the exclusion constraint still checks every row).

The data:

* ``--venues`` venues in about 40 market towns, of every kind, with varied facilities
  (1% archived); every venue open 07:00-22:00 every day; every venue closed over
  Christmas (24 December to 1 January) each year, and one in ten closed for a week of
  refurbishment once in the past.
* ``--rooms`` rooms spread unevenly over the venues (each has at least one), capacities
  from 6 to 60 seats, some equipment (2% archived).
* ``--bookings`` bookings of 60 or 90 minutes on a grid of back-to-back slots between 07:00
  and 22:00, never on a bank holiday or a closure, never overlapping in a room. About one
  booking per room per week, more in some rooms than others; the span grows with the
  count and always ends ``FUTURE_DAYS`` ahead, so a smaller seed has the same bookings in
  the weeks the benchmark reads (the next month, the availability weeks) and only a
  shorter history: 200,000 bookings over 2,000 rooms cover about 23 months, 20,000 about
  10 weeks. 1% are cancelled, the rest provisional or confirmed.

It writes the booking-create plan (``bench/booking_plan.py``): live rooms, the dates of
the year after next, which holds no booking, and ten 90-minute slots a day.

Prints one JSON object: the counts, seconds taken, and what the benchmark asks for (the
availability search's first date, the calendar's venue and month and how many bookings
that month holds).
"""

import argparse
import asyncio
import calendar
import json
import random
import sqlite3
import statistics
import sys
import time
import uuid
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from booking_plan import BookingPlan

import api  # noqa: F401 - sets PICCOLO_CONF before Piccolo looks for it
from api.core import clock
from api.core.database import close_pool, write_transaction
from api.core.settings import get_settings
from scheduling.rules.opening import bank_holiday_in_england
from scheduling.rules.postcode import normalise_postcode, postcode_district
from scheduling.tables import Closure, OpeningHours, Room, Venue

BOOKINGS_PER_ROOM_WEEK = 1.0
FUTURE_DAYS = 70  # the seeded bookings end this many days after today
AVAILABILITY_LEAD_DAYS = 21  # the availability search starts on the Monday after this
OPENS, CLOSES = clock_time(7, 0), clock_time(22, 0)
# Back-to-back 90-minute slots filling the opening day; a booking takes one or two.
SLOT_STARTS = tuple(clock_time(7 + (minutes // 60), minutes % 60) for minutes in range(0, 900, 90))
SLOT = timedelta(minutes=90)
BOOKING_COLUMNS = (
    "id",
    "room",
    "starts_at",
    "ends_at",
    "purpose",
    "status",
    "booked_by",
    "subject_kind",
    "subject_id",
    "version",
    "created_at",
    "updated_at",
)
BOOKING_BATCH = 20_000
PIECE_BATCH = 400  # Piccolo multi-row inserts: 22 columns x 400 rows, under both limits
# fmt: off
TOWNS = (
    "Ashburton", "Bovey", "Buckfastleigh", "Chagford", "Chudleigh", "Crediton", "Cullompton",
    "Dartmouth", "Dulverton", "Hatherleigh", "Holsworthy", "Honiton", "Ivybridge", "Kingsbridge",
    "Launceston", "Liskeard", "Lostwithiel", "Modbury", "Moretonhampstead", "Newton",
    "Okehampton", "Ottery", "Princetown", "Shaldon", "Sidmouth", "Tavistock", "Teignmouth",
    "Tiverton", "Torrington", "Totnes", "Wellington", "Wiveliscombe", "Yelverton", "Bampton",
    "Bideford", "Callington", "Camelford", "Padstow", "Saltash", "Wadebridge",
)
# fmt: on
AREAS = ("EX", "PL", "TQ", "TR", "TA")
KINDS = {
    "library": "Library",
    "community_centre": "Community Centre",
    "childrens_centre": "Children's Centre",
    "gp_surgery": "Medical Practice",
    "community_hospital": "Community Hospital",
    "other": "Village Hall",
}
EQUIPMENT = ("projector", "screen", "flipchart", "kitchen", "whiteboard", "hearing_loop")
CAPACITIES = (6, 8, 10, 12, 12, 15, 16, 20, 20, 24, 30, 40, 60)
PURPOSES = (
    "Healthy eating course",
    "Living well with diabetes",
    "Pulmonary rehab group",
    "Falls prevention class",
    "Carers' support group",
    "Weight management session",
    "Mindfulness course",
    "Staff training",
)
INWARD_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"


def _postcode(rng: random.Random, town_index: int) -> str:
    area = AREAS[town_index % len(AREAS)]
    inward = f"{rng.randint(1, 9)}{rng.choice(INWARD_LETTERS)}{rng.choice(INWARD_LETTERS)}"
    return normalise_postcode(f"{area}{town_index // len(AREAS) + 1} {inward}")


def _venues(rng: random.Random, count: int, now: datetime) -> list[Venue]:
    rows = []
    seen: Counter[str] = Counter()
    for number in range(count):
        town_index = rng.randrange(len(TOWNS))
        kind = rng.choice(tuple(KINDS))
        name = f"{TOWNS[town_index]} {KINDS[kind]}"
        seen[name] += 1
        if seen[name] > 1:
            name = f"{name} {seen[name]}"
        postcode = _postcode(rng, town_index)
        rows.append(
            Venue(
                name=name,
                kind=kind,
                address_line_1=f"{rng.randint(1, 120)} High Street",
                town=TOWNS[town_index],
                postcode=postcode,
                postcode_district=postcode_district(postcode),
                phone=f"01{rng.randint(100, 999)} {rng.randint(100000, 999999)}",
                email=f"bookings{number}@venue.example",
                access_instructions=f"Key safe by the side door, code {rng.randint(1000, 9999)}.",
                step_free_access=rng.random() < 0.7,
                accessible_toilet=rng.random() < 0.6,
                hearing_loop=rng.random() < 0.3,
                parking=rng.random() < 0.5,
                public_transport_notes="Bus stop outside; hourly service.",
                opens_on_bank_holidays=kind == "community_hospital",
                notes="",
                is_archived=rng.random() < 0.01,
                created_at=now,
                updated_at=now,
            )
        )
    return rows


def _rooms(rng: random.Random, venues: list[Venue], count: int, now: datetime) -> list[Room]:
    homes = list(venues) + [rng.choice(venues) for _ in range(count - len(venues))]
    rows = []
    for number, venue in enumerate(homes):
        rows.append(
            Room(
                venue=venue.id,
                name=f"Room {number:05d}",
                capacity=rng.choice(CAPACITIES),
                equipment=sorted(rng.sample(EQUIPMENT, rng.randint(0, 3))),
                layout_notes="Tables in a horseshoe.",
                is_archived=rng.random() < 0.02,
                created_at=now,
                updated_at=now,
            )
        )
    return rows


def _christmas(day: date) -> bool:
    return (day.month, day.day) >= (12, 24) or (day.month, day.day) <= (1, 1)


def _closures(
    rng: random.Random, venues: list[Venue], years: range, past: list[date]
) -> list[Closure]:
    rows = []
    for venue in venues:
        for year in years:
            rows.append(
                Closure(
                    venue=venue.id,
                    start_date=date(year, 12, 24),
                    end_date=date(year + 1, 1, 1),
                    reason="Christmas and New Year",
                )
            )
        if past and rng.random() < 0.1:
            start = rng.choice(past)
            rows.append(
                Closure(
                    venue=venue.id,
                    start_date=start,
                    end_date=start + timedelta(days=6),
                    reason="Refurbishment",
                )
            )
    return rows


async def _insert(rows: list[Any]) -> None:
    if not rows:
        return
    table = type(rows[0])
    for start in range(0, len(rows), PIECE_BATCH):
        async with write_transaction():
            await table.insert(*rows[start : start + PIECE_BATCH])


def _open_days(first: date, last: date) -> list[date]:
    """Dates on which every venue may be booked: no bank holiday, not Christmas."""
    days = []
    day = first
    while day <= last:
        if not _christmas(day) and bank_holiday_in_england(day) is None:
            days.append(day)
        day += timedelta(days=1)
    return days


def _room_counts(rng: random.Random, rooms: int, bookings: int) -> list[int]:
    weights = [rng.uniform(0.4, 1.6) for _ in range(rooms)]
    total = sum(weights)
    counts = [int(bookings * weight / total) for weight in weights]
    for index in range(bookings - sum(counts)):
        counts[index % rooms] += 1
    return counts


class _Slots:
    """(day, slot index, minutes) -> (UTC start, UTC end), each worked out once."""

    def __init__(self, zone: ZoneInfo) -> None:
        self.zone = zone
        self.cache: dict[tuple[date, int, int], tuple[datetime, datetime]] = {}

    def get(self, day: date, slot: int, minutes: int) -> tuple[datetime, datetime]:
        key = (day, slot, minutes)
        found = self.cache.get(key)
        if found is None:
            start = datetime.combine(day, SLOT_STARTS[slot], tzinfo=self.zone)
            end = start + timedelta(minutes=minutes)
            found = (start.astimezone(UTC), end.astimezone(UTC))
            self.cache[key] = found
        return found


def _bookings(
    rng: random.Random,
    rooms: list[Room],
    refurbished: dict[Any, tuple[date, date]],
    days: list[date],
    count: int,
    booked_by: uuid.UUID,
    now: datetime,
    zone: ZoneInfo,
) -> list[tuple[Any, ...]]:
    slots = _Slots(zone)
    per_slot = len(SLOT_STARTS)
    rows: list[tuple[Any, ...]] = []
    for room, wanted in zip(rooms, _room_counts(rng, len(rooms), count), strict=True):
        closed = refurbished.get(room.venue)
        usable = days if closed is None else [d for d in days if not closed[0] <= d <= closed[1]]
        cells = len(usable) * per_slot
        if wanted > cells:
            raise SystemExit(f"seed_venues: {wanted} bookings do not fit in {cells} slots")
        for cell in rng.sample(range(cells), wanted):
            day, slot = usable[cell // per_slot], cell % per_slot
            # An hour or the whole slot: never past the slot, so never over the next one.
            starts_at, ends_at = slots.get(day, slot, 60 if rng.random() < 0.3 else 90)
            roll = rng.random()
            status = "cancelled" if roll < 0.01 else "confirmed" if roll < 0.6 else "provisional"
            linked = rng.random() < 0.5
            rows.append(
                (
                    uuid.uuid4(),
                    room.id,
                    starts_at,
                    ends_at,
                    rng.choice(PURPOSES),
                    status,
                    booked_by,
                    "group_session" if linked else None,
                    str(uuid.uuid4()) if linked else None,
                    1,
                    now,
                    now,
                )
            )
    return rows


def _insert_sqlite(path: Path, rows: list[tuple[Any, ...]]) -> None:
    # Piccolo's adapters (registered with sqlite3 on import) store UUIDs and instants the
    # way the service's own writes do: text, instants in UTC.
    connection = sqlite3.connect(path, timeout=30)
    try:
        marks = ", ".join("?" for _ in BOOKING_COLUMNS)
        statement = f"INSERT INTO room_booking ({', '.join(BOOKING_COLUMNS)}) VALUES ({marks})"  # noqa: S608
        with connection:
            connection.executemany(statement, rows)
    finally:
        connection.close()


async def _insert_postgres(url: str, rows: list[tuple[Any, ...]]) -> None:
    import asyncpg  # type: ignore[import-untyped]

    connection = await asyncpg.connect(url)
    try:
        for start in range(0, len(rows), BOOKING_BATCH):
            await connection.copy_records_to_table(
                "room_booking", records=rows[start : start + BOOKING_BATCH], columns=BOOKING_COLUMNS
            )
        # What autovacuum would have done to tables this size in production.
        await connection.execute("VACUUM ANALYZE venue, room, opening_hours, closure, room_booking")
    finally:
        await connection.close()


def _first_monday_after(day: date) -> date:
    return day + timedelta(days=(7 - day.weekday()) % 7)


def _next_month(today: date) -> tuple[date, date]:
    year, month = (today.year + 1, 1) if today.month == 12 else (today.year, today.month + 1)
    return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])


def _calendar_venue(
    rows: list[tuple[Any, ...]], rooms: list[Room], live: set[Any], month: tuple[date, date]
) -> tuple[Any, int, float]:
    """The live venue with most bookings in the month, its count, and the median count."""
    venue_of_room = {room.id: room.venue for room in rooms}
    zone = ZoneInfo(get_settings().service.time_zone)
    counts: Counter[Any] = Counter({venue: 0 for venue in live})
    for row in rows:
        venue = venue_of_room[row[1]]
        if venue in live and row[5] != "cancelled":
            day = row[2].astimezone(zone).date()
            if month[0] <= day <= month[1]:
                counts[venue] += 1
    venue, most = counts.most_common(1)[0]
    return venue, most, statistics.median(counts.values())


def _plan(rooms: list[Room], live_venues: set[Any], year: int) -> BookingPlan:
    dates = _open_days(date(year, 1, 1), date(year, 12, 31))
    return BookingPlan(
        rooms=tuple(str(r.id) for r in rooms if not r.is_archived and r.venue in live_venues),
        dates=tuple(day.isoformat() for day in dates),
        slots=tuple(
            (f"{start:%H:%M}", f"{(datetime.combine(date.min, start) + SLOT):%H:%M}")
            for start in SLOT_STARTS
        ),
    )


async def seed(args: argparse.Namespace) -> dict[str, Any]:
    """Insert everything; answers what the harness needs (see the module docstring)."""
    started = time.perf_counter()
    rng = random.Random(args.seed)
    settings = get_settings()
    zone = ZoneInfo(settings.service.time_zone)
    now = clock.now()
    today = now.astimezone(zone).date()
    span_days = max(round(args.bookings * 7 / args.rooms / BOOKINGS_PER_ROOM_WEEK), 1)
    last = today + timedelta(days=FUTURE_DAYS - 1)
    first = last - timedelta(days=span_days - 1)
    days = _open_days(first, last)
    plan_year = today.year + 2

    venues = _venues(rng, args.venues, now)
    rooms = _rooms(rng, venues, args.rooms, now)
    hours = [
        OpeningHours(venue=venue.id, weekday=weekday, opens_at=OPENS, closes_at=CLOSES)
        for venue in venues
        for weekday in range(7)
    ]
    past = [day for day in days if day < today - timedelta(days=7)]
    closures = _closures(rng, venues, range(first.year - 1, plan_year + 1), past)
    refurbished = {
        c.venue: (c.start_date, c.end_date) for c in closures if c.reason == "Refurbishment"
    }
    rows = _bookings(
        rng, rooms, refurbished, days, args.bookings, uuid.UUID(args.booked_by), now, zone
    )
    generated = time.perf_counter()
    try:
        for pieces in (venues, rooms, hours, closures):
            await _insert(pieces)
    finally:
        await close_pool()
    if settings.database.is_sqlite:
        _insert_sqlite(settings.database.sqlite_path, rows)
    else:
        await _insert_postgres(settings.database.url, rows)

    live = {venue.id for venue in venues if not venue.is_archived}
    month = _next_month(today)
    calendar_venue, month_bookings, median = _calendar_venue(rows, rooms, live, month)
    plan = _plan(rooms, live, plan_year)
    plan.write(Path(args.plan_file))
    return {
        "venues": len(venues),
        "live_venues": len(live),
        "rooms": len(rooms),
        "bookings": len(rows),
        "opening_hours": len(hours),
        "closures": len(closures),
        "booking_span": [days[0].isoformat(), days[-1].isoformat()],
        "availability_from": _first_monday_after(
            today + timedelta(days=AVAILABILITY_LEAD_DAYS)
        ).isoformat(),
        "calendar_venue_id": str(calendar_venue),
        "calendar_from": month[0].isoformat(),
        "calendar_to": month[1].isoformat(),
        "calendar_bookings": month_bookings,
        "calendar_bookings_median_venue": median,
        "plan_size": plan.size,
        "generate_seconds": round(generated - started, 2),
        "seed_seconds": round(time.perf_counter() - started, 2),
    }


def main() -> int:
    """Seed, then print the result as one JSON line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--venues", type=int, default=500)
    parser.add_argument("--rooms", type=int, default=2000)
    parser.add_argument("--bookings", type=int, default=200_000)
    parser.add_argument("--booked-by", required=True, help="the admin's id")
    parser.add_argument("--plan-file", required=True, help="where to write the booking plan")
    parser.add_argument("--seed", type=int, default=4, help="random seed")
    args = parser.parse_args()
    if args.venues < 50 or args.rooms < args.venues or args.bookings < 0:
        parser.error("need --venues >= 50, --rooms >= --venues and --bookings >= 0")
    result = asyncio.run(seed(args))
    print(json.dumps(result))
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
