"""Demo data: staff logins and a rural service of venues, loaded once, every rule kept."""

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from piccolo.conf.apps import Finder
from piccolo.table import Table

from api.core import clock
from api.core.actor import Actor
from api.demo import load_demo_data
from api.demo_venues import CHRISTMAS_REASON, christmas_closure, load_demo_venues
from api.identity.tables import AuditEntry, StaffUser
from scheduling.booking_checks import ensure_venue_allows
from scheduling.rules.booking import local_slot, overlaps
from scheduling.rules.opening import bank_holiday_in_england
from scheduling.tables import Closure, OpeningHours, Room, RoomBooking, Venue
from scheduling.venue_hours import get_opening_hours

LONDON = ZoneInfo("Europe/London")
COUNTED: tuple[type[Table], ...] = (
    StaffUser,
    Venue,
    Room,
    OpeningHours,
    Closure,
    RoomBooking,
    AuditEntry,
)
# Bookings the venues loader makes; the groups' session bookings come on top.
VENUE_BOOKINGS = 12


async def _counts() -> dict[str, int]:
    return {table._meta.tablename: await table.count() for table in COUNTED}


async def _all_counts() -> dict[str, int]:
    tables = Finder().get_table_classes()
    return {table._meta.tablename: await table.count() for table in tables}


async def _bookings() -> list[dict[str, Any]]:
    venue: Any = RoomBooking.room.venue
    rows: list[dict[str, Any]] = await RoomBooking.select(
        RoomBooking.id,
        RoomBooking.room.as_alias("room_id"),
        RoomBooking.room.name.as_alias("room_name"),
        venue.as_alias("venue_id"),
        venue.name.as_alias("venue_name"),
        venue.opens_on_bank_holidays.as_alias("opens_on_bank_holidays"),
        RoomBooking.starts_at,
        RoomBooking.ends_at,
        RoomBooking.status,
    ).order_by(RoomBooking.starts_at, RoomBooking.id)
    return rows


def _local(rows: list[dict[str, Any]]) -> list[tuple[str, str, str]]:
    """(room, local start, local end) of each booking, as the venue's clock shows them."""
    return [
        (
            row["room_name"],
            f"{row['starts_at'].astimezone(LONDON):%Y-%m-%d %H:%M}",
            f"{row['ends_at'].astimezone(LONDON):%H:%M}",
        )
        for row in rows
    ]


async def test_load_demo_data_twice_creates_the_service_once(
    database: None, tmp_path: Path
) -> None:
    first = await load_demo_data(tmp_path)
    after_first = await _all_counts()
    second = await load_demo_data(tmp_path)

    assert {name: after_first[name] for name in ("staff_user", "venue", "room", "closure")} == {
        "staff_user": 4,
        "venue": 5,
        "room": 10,
        "closure": 3,
    }
    assert after_first["opening_hours"] == 38
    assert after_first["room_booking"] == VENUE_BOOKINGS + after_first["group_session"]
    assert (len(first), second) == (4, [])
    assert await _all_counts() == after_first


async def test_demo_venues_are_three_towns_five_kinds_with_rooms(database: None) -> None:
    await load_demo_venues(now=clock.now())

    venues = await Venue.select(
        Venue.name, Venue.kind, Venue.town, Venue.postcode, Venue.postcode_district
    ).order_by(Venue.name)
    rooms = await Room.select(Room.venue.name, Room.name, Room.capacity, Room.equipment).order_by(
        Room.venue.name, Room.name
    )
    staff_only = await Venue.select(Venue.name).where(Venue.access_instructions == "")

    assert [tuple(v.values()) for v in venues] == [
        ("Holsworthy Children's Centre", "childrens_centre", "Holsworthy", "EX22 6DQ", "EX22"),
        ("Okehampton Community Centre", "community_centre", "Okehampton", "EX20 1EJ", "EX20"),
        ("Okehampton Community Hospital", "community_hospital", "Okehampton", "EX20 1PN", "EX20"),
        ("Tavistock Library", "library", "Tavistock", "PL19 0AX", "PL19"),
        ("Tavy Bridge Surgery", "gp_surgery", "Tavistock", "PL19 0HT", "PL19"),
    ]
    assert [tuple(r.values()) for r in rooms] == [
        ("Holsworthy Children's Centre", "Family Room", 12, ["flipchart", "kitchen"]),
        ("Holsworthy Children's Centre", "Group Room", 18, ["flipchart", "projector", "screen"]),
        (
            "Okehampton Community Centre",
            "Garden Room",
            16,
            ["flipchart", "kitchen"],
        ),
        (
            "Okehampton Community Centre",
            "Main Hall",
            60,
            ["hearing_loop", "kitchen", "projector", "screen"],
        ),
        ("Okehampton Community Centre", "Meeting Room 2", 10, ["flipchart", "whiteboard"]),
        (
            "Okehampton Community Hospital",
            "Seminar Room",
            20,
            ["hearing_loop", "projector", "screen"],
        ),
        ("Okehampton Community Hospital", "Therapy Room", 8, ["flipchart"]),
        (
            "Tavistock Library",
            "Community Room",
            24,
            ["hearing_loop", "kitchen", "projector", "screen"],
        ),
        ("Tavistock Library", "Meeting Room", 14, ["flipchart", "whiteboard"]),
        ("Tavy Bridge Surgery", "Education Room", 12, ["projector", "screen", "whiteboard"]),
    ]
    assert staff_only == []


async def _week(venue_name: str) -> dict[int, list[str]]:
    venue = await Venue.select(Venue.id).where(Venue.name == venue_name).first()
    assert venue is not None
    hours = await get_opening_hours(venue["id"], by=Actor.system())
    week: dict[int, list[str]] = {day: [] for day in range(7)}
    for entry in hours.ranges:
        week[entry.weekday].append(f"{entry.opens_at}-{entry.closes_at}")
    return week


async def test_demo_hours_library_shut_wednesday_afternoon_and_sunday_surgery_weekdays(
    database: None,
) -> None:
    await load_demo_venues(now=clock.now())

    library = await _week("Tavistock Library")
    surgery = await _week("Tavy Bridge Surgery")

    split_day = ["09:30-12:30", "13:30-17:30"]
    assert library == {
        0: split_day,
        1: split_day,
        2: ["09:30-13:00"],
        3: split_day,
        4: split_day,
        5: ["09:30-13:00"],
        6: [],
    }
    assert surgery == {**{day: ["08:00-18:30"] for day in range(5)}, 5: [], 6: []}


async def test_demo_christmas_closure_covers_christmas_day_not_yet_over(database: None) -> None:
    now = clock.now()
    await load_demo_venues(now=now)

    closures = await Closure.select(
        Closure.venue.name, Closure.start_date, Closure.end_date, Closure.reason
    ).order_by(Closure.venue.name)

    year = closures[0]["start_date"].year
    assert closures == [
        {
            "venue.name": name,
            "start_date": date(year, 12, 24),
            "end_date": date(year + 1, 1, 1),
            "reason": CHRISTMAS_REASON,
        }
        for name in (
            "Holsworthy Children's Centre",
            "Okehampton Community Centre",
            "Tavistock Library",
        )
    ]
    assert closures[0]["end_date"] >= now.astimezone(LONDON).date()


@pytest.mark.parametrize(
    ("today", "first_day"),
    [
        (date(2026, 1, 1), date(2025, 12, 24)),  # the last day of last year's closure
        (date(2026, 1, 2), date(2026, 12, 24)),
        (date(2026, 7, 15), date(2026, 12, 24)),
        (date(2026, 12, 24), date(2026, 12, 24)),
        (date(2026, 12, 31), date(2026, 12, 24)),
    ],
)
def test_christmas_closure_is_the_holidays_not_yet_over(today: date, first_day: date) -> None:
    closure = christmas_closure(today)

    assert (closure.start_date, closure.end_date) == (
        first_day,
        date(first_day.year + 1, 1, 1),
    )
    assert closure.start_date <= date(first_day.year, 12, 25) <= closure.end_date
    assert closure.end_date >= today


async def test_demo_bookings_obey_every_venue_rule_and_never_overlap(database: None) -> None:
    now = clock.now()
    await load_demo_venues(now=now)

    rows = await _bookings()

    for row in rows:
        slot = local_slot(row["starts_at"], row["ends_at"], LONDON)
        await ensure_venue_allows(row, slot)  # the booking service's own check: raises if broken
        assert bank_holiday_in_england(slot.day) is None
        assert row["starts_at"] > now
    clashes = [
        (a["id"], b["id"])
        for a in rows
        for b in rows
        if a["id"] < b["id"]
        and a["room_id"] == b["room_id"]
        and overlaps(a["starts_at"], a["ends_at"], b["starts_at"], b["ends_at"])
    ]
    assert clashes == []
    assert sorted({row["status"] for row in rows}) == ["confirmed", "provisional"]


async def test_demo_loaded_in_december_skips_the_christmas_closure(database: None) -> None:
    await load_demo_venues(now=datetime(2026, 12, 10, 12, 0, tzinfo=UTC))  # a Thursday

    rows = await _bookings()

    assert _local(rows) == [
        ("Seminar Room", "2026-12-11 09:30", "16:00"),
        ("Garden Room", "2026-12-15 10:00", "12:00"),
        ("Family Room", "2026-12-16 09:30", "11:00"),
        ("Community Room", "2026-12-17 14:00", "15:30"),
        ("Garden Room", "2026-12-22 10:00", "12:00"),
        # 24 and 31 December: the library is shut; 29 December: the centre is.
        ("Garden Room", "2027-01-05 10:00", "12:00"),
        ("Community Room", "2027-01-07 14:00", "15:30"),
        ("Garden Room", "2027-01-12 10:00", "12:00"),
        ("Community Room", "2027-01-14 14:00", "15:30"),
        ("Garden Room", "2027-01-19 10:00", "12:00"),
        ("Community Room", "2027-01-21 14:00", "15:30"),
        ("Garden Room", "2027-01-26 10:00", "12:00"),
    ]


async def test_demo_loaded_before_easter_skips_good_friday_and_keeps_summer_time(
    database: None,
) -> None:
    # Thursday 25 March 2027; Good Friday is the 26th, the clocks go forward on the 28th.
    await load_demo_venues(now=datetime(2027, 3, 25, 9, 0, tzinfo=UTC))

    rows = await _bookings()
    training = [row for row in rows if row["room_name"] == "Seminar Room"]

    # The hospital opens on bank holidays, but no course is put on Good Friday.
    assert [(row["starts_at"], row["ends_at"]) for row in training] == [
        (datetime(2027, 4, 2, 8, 30, tzinfo=UTC), datetime(2027, 4, 2, 15, 0, tzinfo=UTC))
    ]
    assert _local(training) == [("Seminar Room", "2027-04-02 09:30", "16:00")]


async def test_demo_venues_when_first_venue_exists_creates_nothing(database: None) -> None:
    assert await load_demo_venues(now=clock.now()) is True
    before = await _counts()

    again = await load_demo_venues(now=datetime(2027, 6, 1, tzinfo=UTC))

    assert again is False
    assert await _counts() == before
    assert before["room_booking"] == 12
