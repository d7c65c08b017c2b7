"""Opening-hours validation: ranges run forwards, never overlap on a day, a few a day at most."""

from datetime import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scheduling.rules.hours import MAX_RANGES_PER_DAY, RangeProblem, opening_hours_problems
from scheduling.rules.opening import OpeningRange


def r(weekday: int, opens: str, closes: str) -> OpeningRange:
    return OpeningRange(weekday, time.fromisoformat(opens), time.fromisoformat(closes))


def test_opening_hours_problems_when_week_is_empty_is_empty() -> None:
    assert opening_hours_problems([]) == []


def test_opening_hours_problems_when_ranges_touch_or_fall_on_other_days_is_empty() -> None:
    week = [
        r(0, "09:00", "12:00"),
        r(0, "12:00", "17:00"),  # starts as the first ends: touching, not overlapping
        r(1, "09:00", "17:00"),
        r(1, "17:00", "21:00"),
        r(6, "00:00", "23:59"),
        r(2, "11:00", "12:00"),
        r(3, "11:00", "12:00"),
    ]

    assert opening_hours_problems(week) == []


@pytest.mark.parametrize(
    ("opens", "closes"), [("17:00", "09:00"), ("09:00", "09:00"), ("09:01", "09:00")]
)
def test_opening_hours_problems_when_range_does_not_run_forwards_names_closes_at(
    opens: str, closes: str
) -> None:
    assert opening_hours_problems([r(0, "08:00", "08:30"), r(4, opens, closes)]) == [
        RangeProblem(1, "closes_at", f"must be after opens_at ({opens})")
    ]


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (("09:00", "12:00"), ("11:59", "13:00")),  # overlaps the end by a minute
        (("09:00", "12:00"), ("08:00", "09:01")),  # overlaps the start by a minute
        (("09:00", "12:00"), ("10:00", "11:00")),  # inside
        (("10:00", "11:00"), ("09:00", "12:00")),  # around
        (("09:00", "12:00"), ("09:00", "12:00")),  # the same
    ],
)
def test_opening_hours_problems_when_ranges_overlap_names_the_later_entry(
    first: tuple[str, str], second: tuple[str, str]
) -> None:
    week = [r(2, *first), r(3, *second), r(2, *second)]

    assert opening_hours_problems(week) == [
        RangeProblem(2, "", f"overlaps entry 0 (Wednesday {first[0]}-{first[1]})")
    ]


def test_opening_hours_problems_names_every_overlap_and_reversal_in_entry_order() -> None:
    week = [
        r(5, "09:00", "13:00"),
        r(5, "12:00", "14:00"),
        r(5, "08:00", "07:00"),
        r(5, "10:00", "11:00"),
    ]

    assert opening_hours_problems(week) == [
        RangeProblem(1, "", "overlaps entry 0 (Saturday 09:00-13:00)"),
        RangeProblem(2, "closes_at", "must be after opens_at (08:00)"),
        RangeProblem(3, "", "overlaps entry 0 (Saturday 09:00-13:00)"),
    ]


def test_opening_hours_problems_allows_four_ranges_a_day_and_refuses_the_fifth() -> None:
    four = [r(1, f"{h:02d}:00", f"{h:02d}:30") for h in range(8, 8 + MAX_RANGES_PER_DAY)]
    five = [*four, r(1, "20:00", "21:00")]

    assert MAX_RANGES_PER_DAY == 4
    assert opening_hours_problems(four) == []
    assert opening_hours_problems(five) == [
        RangeProblem(4, "weekday", "at most 4 ranges on a Tuesday")
    ]


@pytest.mark.parametrize("weekday", [-1, 7])
def test_opening_hours_problems_when_weekday_out_of_range_names_weekday(weekday: int) -> None:
    assert opening_hours_problems([r(weekday, "09:00", "10:00")]) == [
        RangeProblem(0, "weekday", "must be 0 (Monday) to 6 (Sunday)")
    ]


_minutes = st.integers(min_value=0, max_value=23 * 60 + 59)


def _at(minute: int) -> time:
    return time(minute // 60, minute % 60)


@given(
    weekday=st.integers(min_value=0, max_value=6),
    cuts=st.lists(_minutes, min_size=2, max_size=2 * MAX_RANGES_PER_DAY, unique=True),
    order=st.randoms(use_true_random=False),
)
def test_opening_hours_problems_accepts_any_disjoint_day_in_any_order(
    weekday: int, cuts: list[int], order: object
) -> None:
    points = sorted(cuts)
    ranges = [
        OpeningRange(weekday, _at(a), _at(b))
        for a, b in zip(points[::2], points[1::2], strict=False)
    ]
    order.shuffle(ranges)  # type: ignore[attr-defined]

    assert opening_hours_problems(ranges) == []


@given(
    a=st.tuples(_minutes, _minutes).filter(lambda t: t[0] < t[1]),
    b=st.tuples(_minutes, _minutes).filter(lambda t: t[0] < t[1]),
)
def test_opening_hours_problems_refuses_two_ranges_exactly_when_they_share_a_minute(
    a: tuple[int, int], b: tuple[int, int]
) -> None:
    share = max(a[0], b[0]) < min(a[1], b[1])

    problems = opening_hours_problems(
        [OpeningRange(0, _at(a[0]), _at(a[1])), OpeningRange(0, _at(b[0]), _at(b[1]))]
    )

    assert [p.index for p in problems] == ([1] if share else [])
