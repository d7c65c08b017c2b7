"""The availability rule: weekly windows across clock changes, each reason, ranking."""

from datetime import UTC, date, datetime, time, timedelta
from uuid import UUID
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scheduling.rules.availability import (
    Booked,
    BookedSlot,
    CandidateRoom,
    Closed,
    InvalidLocalTime,
    OutsideHours,
    RoomAvailability,
    ShutForBankHoliday,
    Week,
    assess,
    assess_room,
    rank_key,
    weekly_windows,
)
from scheduling.rules.opening import ClosureSpan, OpeningRange

LONDON = ZoneInfo("Europe/London")
ROOM_ID = UUID("00000000-0000-0000-0000-00000000000a")
VENUE_ID = UUID("00000000-0000-0000-0000-0000000000b0")
TEN, HALF_ELEVEN = time(10, 0), time(11, 30)
ALL_DAY = tuple(OpeningRange(day, time(0, 0), time(23, 59)) for day in range(7))


def room(
    *,
    room_id: UUID = ROOM_ID,
    capacity: int = 12,
    venue_name: str = "Library",
    room_name: str = "Room",
    opens_on_bank_holidays: bool = False,
) -> CandidateRoom:
    return CandidateRoom(room_id, VENUE_ID, capacity, room_name, venue_name, opens_on_bank_holidays)


def booking(starts_at: datetime, ends_at: datetime, number: int = 1) -> BookedSlot:
    return BookedSlot(UUID(int=number), ROOM_ID, starts_at, ends_at, "confirmed")


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def assess_one(
    weeks: tuple[Week, ...],
    *,
    bookings: tuple[BookedSlot, ...] = (),
    closures: tuple[ClosureSpan, ...] = (),
    opening: tuple[OpeningRange, ...] = ALL_DAY,
    candidate: CandidateRoom | None = None,
) -> RoomAvailability:
    return assess_room(
        candidate or room(), weeks, bookings=bookings, closures=closures, opening=opening
    )


def test_weekly_windows_across_march_change_keep_local_time() -> None:
    weeks = weekly_windows(date(2027, 3, 21), TEN, HALF_ELEVEN, 3, LONDON)

    assert [(w.day, w.starts_at, w.ends_at) for w in weeks] == [
        (date(2027, 3, 21), utc(2027, 3, 21, 10, 0), utc(2027, 3, 21, 11, 30)),  # GMT
        (date(2027, 3, 28), utc(2027, 3, 28, 9, 0), utc(2027, 3, 28, 10, 30)),  # BST from 01:00
        (date(2027, 4, 4), utc(2027, 4, 4, 9, 0), utc(2027, 4, 4, 10, 30)),
    ]
    assert all(w.invalid_local_time is None for w in weeks)


def test_weekly_windows_across_october_change_keep_local_time() -> None:
    weeks = weekly_windows(date(2026, 10, 18), TEN, HALF_ELEVEN, 2, LONDON)

    assert [w.starts_at for w in weeks] == [utc(2026, 10, 18, 9, 0), utc(2026, 10, 25, 10, 0)]


def test_weekly_windows_in_spring_gap_is_invalid_week_not_skipped() -> None:
    weeks = weekly_windows(date(2027, 3, 21), time(1, 30), time(2, 30), 2, LONDON)

    assert [(w.day, w.starts_at) for w in weeks] == [
        (date(2027, 3, 21), utc(2027, 3, 21, 1, 30)),
        (date(2027, 3, 28), None),
    ]
    assert weeks[1].invalid_local_time == (
        "2027-03-28 01:30 does not exist in Europe/London (the clocks go forward)"
    )


def test_weekly_windows_ending_in_autumn_repeat_is_invalid() -> None:
    (week,) = weekly_windows(date(2026, 10, 25), time(0, 30), time(1, 30), 1, LONDON)

    assert week.starts_at is None
    assert week.invalid_local_time is not None
    assert "happens twice" in week.invalid_local_time


def test_weekly_windows_name_bank_holidays() -> None:
    weeks = weekly_windows(date(2026, 12, 18), TEN, HALF_ELEVEN, 3, LONDON)

    assert [w.bank_holiday for w in weeks] == [None, "Christmas Day", "New Year's Day"]


@given(
    day=st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 12, 31)),
    minutes=st.integers(min_value=0, max_value=23 * 60 + 58),
)
def test_weekly_windows_are_the_wall_clock_time_or_invalid(day: date, minutes: int) -> None:
    start = time(minutes // 60, minutes % 60)
    (week,) = weekly_windows(day, start, time(23, 59), 1, LONDON)

    if week.starts_at is None:
        assert week.invalid_local_time is not None
    else:
        local = week.starts_at.astimezone(LONDON)
        assert (local.date(), local.time()) == (day, start)
        assert week.starts_at.tzinfo is UTC


def test_assess_room_with_nothing_in_the_way_is_free_every_week() -> None:
    weeks = weekly_windows(date(2027, 2, 1), TEN, HALF_ELEVEN, 3, LONDON)

    result = assess_one(weeks)

    assert [v.reasons for v in result.weeks] == [(), (), ()]
    assert result.free_weeks == 3


@pytest.mark.parametrize(
    ("starts_at", "ends_at", "clashes"),
    [
        (utc(2027, 2, 1, 9, 0), utc(2027, 2, 1, 10, 0), False),  # ends as the slot starts
        (utc(2027, 2, 1, 9, 0), utc(2027, 2, 1, 10, 1), True),
        (utc(2027, 2, 1, 11, 29), utc(2027, 2, 1, 12, 0), True),
        (utc(2027, 2, 1, 11, 30), utc(2027, 2, 1, 12, 0), False),  # starts as it ends
        (utc(2027, 2, 1, 10, 15), utc(2027, 2, 1, 10, 45), True),  # inside
        (utc(2027, 2, 1, 8, 0), utc(2027, 2, 1, 13, 0), True),  # around
    ],
)
def test_assess_room_booking_blocks_only_when_it_overlaps(
    starts_at: datetime, ends_at: datetime, clashes: bool
) -> None:
    weeks = weekly_windows(date(2027, 2, 1), TEN, HALF_ELEVEN, 1, LONDON)
    slot = booking(starts_at, ends_at)

    result = assess_one(weeks, bookings=(slot,))

    assert result.weeks[0].reasons == ((Booked(slot),) if clashes else ())


def test_assess_room_lists_every_clashing_booking_in_order() -> None:
    weeks = weekly_windows(date(2027, 2, 1), TEN, HALF_ELEVEN, 2, LONDON)
    late = booking(utc(2027, 2, 8, 11, 0), utc(2027, 2, 8, 12, 0), 2)
    early = booking(utc(2027, 2, 8, 9, 30), utc(2027, 2, 8, 10, 30), 3)

    result = assess_one(weeks, bookings=(late, early))

    assert [v.reasons for v in result.weeks] == [(), (Booked(early), Booked(late))]
    assert result.free_weeks == 1


def test_assess_room_closure_blocks_the_weeks_it_covers() -> None:
    weeks = weekly_windows(date(2026, 12, 14), TEN, HALF_ELEVEN, 4, LONDON)
    christmas = ClosureSpan(date(2026, 12, 19), date(2027, 1, 3), "Christmas holidays")

    result = assess_one(weeks, closures=(christmas,))

    assert [v.reasons for v in result.weeks] == [
        (),
        (Closed(christmas),),
        (Closed(christmas), ShutForBankHoliday("Boxing Day (observed)")),
        (),
    ]


def test_assess_room_bank_holiday_only_when_venue_shuts_on_them() -> None:
    weeks = weekly_windows(date(2026, 12, 18), TEN, HALF_ELEVEN, 3, LONDON)

    shut = assess_one(weeks)
    opens = assess_one(weeks, candidate=room(opens_on_bank_holidays=True))

    assert [v.reasons for v in shut.weeks] == [
        (),
        (ShutForBankHoliday("Christmas Day"),),
        (ShutForBankHoliday("New Year's Day"),),
    ]
    assert opens.free_weeks == 3


def test_assess_room_outside_hours_blocks_every_week_naming_that_days_hours() -> None:
    weeks = weekly_windows(date(2027, 2, 1), TEN, HALF_ELEVEN, 2, LONDON)
    afternoons = (OpeningRange(0, time(13, 0), time(17, 0)), OpeningRange(1, time(9), time(17)))

    result = assess_one(weeks, opening=afternoons)

    expected = OutsideHours(0, (OpeningRange(0, time(13, 0), time(17, 0)),))
    assert [v.reasons for v in result.weeks] == [(expected,), (expected,)]


def test_assess_room_venue_shut_that_weekday_has_no_hours_to_name() -> None:
    weeks = weekly_windows(date(2027, 2, 7), TEN, HALF_ELEVEN, 1, LONDON)  # a Sunday

    result = assess_one(weeks, opening=tuple(r for r in ALL_DAY if r.weekday != 6))

    assert result.weeks[0].reasons == (OutsideHours(6, ()),)


@pytest.mark.parametrize(
    ("ranges", "holds"),
    [
        (((9, 12), (12, 17)), True),  # touching ranges are one
        (((9, 11), (12, 17)), False),  # a gap inside the slot
        (((9, 11), (11, 12), (12, 17)), True),
        (((10, 11),), False),  # ends 11:00, before 11:30
    ],
)
def test_assess_room_opening_ranges_merge_when_they_touch(
    ranges: tuple[tuple[int, int], ...], holds: bool
) -> None:
    weeks = weekly_windows(date(2027, 2, 1), TEN, HALF_ELEVEN, 1, LONDON)
    opening = tuple(OpeningRange(0, time(a), time(b)) for a, b in ranges)

    result = assess_one(weeks, opening=opening)

    assert result.weeks[0].free is holds


def test_assess_room_several_reasons_in_one_week_in_fixed_order() -> None:
    weeks = weekly_windows(date(2026, 12, 25), TEN, HALF_ELEVEN, 1, LONDON)
    closure = ClosureSpan(date(2026, 12, 24), date(2026, 12, 31), "Christmas")
    clash = booking(utc(2026, 12, 25, 10, 0), utc(2026, 12, 25, 11, 0))
    mornings_shut = (OpeningRange(4, time(13), time(17)),)

    result = assess_one(weeks, bookings=(clash,), closures=(closure,), opening=mornings_shut)

    assert result.weeks[0].reasons == (
        Closed(closure),
        ShutForBankHoliday("Christmas Day"),
        OutsideHours(4, mornings_shut),
        Booked(clash),
    )


def test_assess_room_invalid_local_time_week_is_blocked_with_its_reason() -> None:
    weeks = weekly_windows(date(2027, 3, 28), time(1, 30), time(2, 30), 1, LONDON)

    result = assess_one(weeks)

    assert result.weeks[0].reasons == (
        InvalidLocalTime(
            "2027-03-28 01:30 does not exist in Europe/London (the clocks go forward)"
        ),
    )
    assert result.free_weeks == 0


def test_assess_ranks_free_weeks_then_smallest_room_then_names() -> None:
    weeks = weekly_windows(date(2027, 2, 1), TEN, HALF_ELEVEN, 2, LONDON)
    busy = room(room_id=UUID(int=1), capacity=12, venue_name="A")
    big = room(room_id=UUID(int=2), capacity=60, venue_name="A")
    small_b = room(room_id=UUID(int=3), capacity=12, venue_name="B")
    small_a = room(room_id=UUID(int=4), capacity=12, venue_name="A", room_name="Z")
    twin = room(room_id=UUID(int=5), capacity=12, venue_name="A", room_name="Z")
    clash = BookedSlot(UUID(int=9), busy.room_id, utc(2027, 2, 1, 10), utc(2027, 2, 1, 11), "x")

    ranked = assess(
        [busy, big, small_b, twin, small_a],
        weeks,
        bookings={busy.room_id: [clash]},
        closures={},
        opening={VENUE_ID: ALL_DAY},
    )

    assert [r.room.room_id for r in ranked] == [
        small_a.room_id,
        twin.room_id,
        small_b.room_id,
        big.room_id,
        busy.room_id,
    ]
    assert rank_key(ranked[-1]) == (1, 12, "A", "Room", str(busy.room_id))


def test_weekly_windows_are_seven_days_apart() -> None:
    weeks = weekly_windows(date(2027, 1, 4), TEN, HALF_ELEVEN, 52, LONDON)

    assert [w.day for w in weeks] == [date(2027, 1, 4) + timedelta(days=7 * i) for i in range(52)]
    assert [w.index for w in weeks] == list(range(52))
