"""Wall-clock times and instants across the Europe/London clock changes."""

# ruff: noqa: DTZ001 - naive datetimes are the wall-clock readings under test

from datetime import UTC, date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scheduling.rules.wallclock import (
    AmbiguousLocalTime,
    NonexistentLocalTime,
    local,
    local_instant,
    to_instant,
)

LONDON = ZoneInfo("Europe/London")


@pytest.mark.parametrize(
    ("wall", "instant"),
    [
        (datetime(2027, 3, 28, 0, 59), datetime(2027, 3, 28, 0, 59, tzinfo=UTC)),
        (datetime(2027, 3, 28, 2, 0), datetime(2027, 3, 28, 1, 0, tzinfo=UTC)),
        (datetime(2027, 3, 28, 10, 0), datetime(2027, 3, 28, 9, 0, tzinfo=UTC)),
        (datetime(2027, 3, 28, 11, 30), datetime(2027, 3, 28, 10, 30, tzinfo=UTC)),
        (datetime(2026, 10, 25, 0, 59), datetime(2026, 10, 24, 23, 59, tzinfo=UTC)),
        (datetime(2026, 10, 25, 2, 0), datetime(2026, 10, 25, 2, 0, tzinfo=UTC)),
        (datetime(2026, 10, 25, 10, 0), datetime(2026, 10, 25, 10, 0, tzinfo=UTC)),
        (datetime(2026, 7, 1, 0, 0), datetime(2026, 6, 30, 23, 0, tzinfo=UTC)),
        (datetime(2026, 12, 1, 0, 0), datetime(2026, 12, 1, 0, 0, tzinfo=UTC)),
    ],
    ids=[
        "before-spring-gap",
        "after-spring-gap",
        "spring-change-day-10am",
        "spring-change-day-1130",
        "before-autumn-repeat",
        "after-autumn-repeat",
        "autumn-change-day-10am",
        "summer",
        "winter",
    ],
)
def test_to_instant_of_wall_clock_time_gives_utc(wall: datetime, instant: datetime) -> None:
    assert to_instant(wall, LONDON) == instant
    assert to_instant(wall, LONDON).tzinfo is UTC


@pytest.mark.parametrize("minute", [0, 1, 30, 59])
def test_to_instant_in_the_spring_gap_raises_nonexistent(minute: int) -> None:
    with pytest.raises(NonexistentLocalTime) as refused:
        to_instant(datetime(2027, 3, 28, 1, minute), LONDON)

    assert str(refused.value) == (
        f"2027-03-28 01:{minute:02d} does not exist in Europe/London (the clocks go forward)"
    )


@pytest.mark.parametrize("minute", [0, 1, 30, 59])
def test_to_instant_in_the_autumn_repeat_raises_ambiguous(minute: int) -> None:
    with pytest.raises(AmbiguousLocalTime) as refused:
        to_instant(datetime(2026, 10, 25, 1, minute), LONDON)

    assert str(refused.value) == (
        f"2026-10-25 01:{minute:02d} happens twice in Europe/London (the clocks go back): "
        "give the time with its UTC offset"
    )


def test_to_instant_of_aware_time_keeps_the_instant() -> None:
    given_time = datetime(2026, 10, 25, 1, 30, tzinfo=timezone(timedelta(hours=1)))

    assert to_instant(given_time, LONDON) == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)


def test_local_instant_and_local_read_the_same_wall_clock() -> None:
    instant = local_instant(date(2027, 3, 28), time(10, 0), LONDON)

    assert instant == datetime(2027, 3, 28, 9, 0, tzinfo=UTC)
    assert local(instant, LONDON).replace(tzinfo=None) == datetime(2027, 3, 28, 10, 0)


@given(
    st.datetimes(
        min_value=datetime(2020, 1, 1), max_value=datetime(2035, 12, 31, 23, 59, 59, 999999)
    )
)
def test_to_instant_refuses_or_round_trips_to_the_same_wall_clock(wall: datetime) -> None:
    try:
        instant = to_instant(wall, LONDON)
    except (NonexistentLocalTime, AmbiguousLocalTime):
        # Only on a change day, between 01:00 and 02:00.
        assert (wall.month, wall.hour) in {(3, 1), (10, 1)}
        assert wall.weekday() == 6  # the last Sunday of the month
        assert wall.day > 31 - 7
        return
    assert instant.tzinfo is UTC
    assert instant.astimezone(LONDON).replace(tzinfo=None) == wall


@given(st.dates(min_value=date(2020, 1, 1), max_value=date(2035, 12, 31)))
def test_ten_am_local_is_nine_or_ten_utc_by_season(day: date) -> None:
    instant = local_instant(day, time(10, 0), LONDON)

    summer = LONDON.utcoffset(datetime.combine(day, time(10, 0))) == timedelta(hours=1)
    assert instant.hour == (9 if summer else 10)
