"""Pure booking rules: overlaps, slot shape, and which venue rule a slot breaks."""

# ruff: noqa: DTZ001 - naive datetimes are wall-clock readings

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from scheduling.rules.booking import (
    Closed,
    LocalSlot,
    OutsideHours,
    ShutForBankHoliday,
    SlotProblem,
    describe_hours,
    hours_on,
    local_slot,
    minute_problem,
    overlaps,
    rule_failures,
    slot_problems,
    year_problem,
)
from scheduling.rules.opening import ClosureSpan, OpeningRange

LONDON = ZoneInfo("Europe/London")
WED = date(2026, 11, 25)


def _at(hour: int, minute: int = 0, day: date = WED) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)


# -- overlaps -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("b_start", "b_end", "expected"),
    [
        ((9, 0), (10, 0), False),  # ends as the other starts
        ((11, 0), (12, 0), False),  # starts as the other ends
        ((9, 0), (10, 1), True),
        ((10, 59), (12, 0), True),
        ((10, 15), (10, 45), True),
        ((9, 0), (12, 0), True),
        ((10, 0), (11, 0), True),
    ],
)
def test_overlaps_is_half_open(
    b_start: tuple[int, int], b_end: tuple[int, int], expected: bool
) -> None:
    a = (_at(10), _at(11))

    assert overlaps(*a, _at(*b_start), _at(*b_end)) is expected
    assert overlaps(_at(*b_start), _at(*b_end), *a) is expected


_instants = st.datetimes(
    min_value=datetime(2026, 1, 1), max_value=datetime(2026, 1, 2), timezones=st.just(UTC)
)


@given(_instants, _instants, _instants, _instants)
def test_overlaps_of_non_empty_slots_means_some_instant_is_shared(
    a1: datetime, a2: datetime, b1: datetime, b2: datetime
) -> None:
    a_start, a_end = sorted((a1, a2))
    b_start, b_end = sorted((b1, b2))
    assume(a_start < a_end and b_start < b_end)  # slot_problems refuses empty slots first
    shared = max(a_start, b_start) < min(a_end, b_end)

    assert overlaps(a_start, a_end, b_start, b_end) is shared


# -- slot shape -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "end", "problems"),
    [
        (_at(10), _at(11), []),
        (_at(8), _at(20), []),
        (_at(10), _at(10), [SlotProblem("ends_at", "must be after starts_at")]),
        (_at(11), _at(10), [SlotProblem("ends_at", "must be after starts_at")]),
        (_at(8), _at(20, 1), [SlotProblem("ends_at", "must be at most 12 hours after starts_at")]),
        (
            _at(23),
            _at(0, 30, date(2026, 11, 26)),
            [SlotProblem("ends_at", "must be on the same local date as starts_at")],
        ),
    ],
    ids=["hour", "twelve-hours", "empty", "backwards", "over-twelve", "past-midnight"],
)
def test_slot_problems(start: datetime, end: datetime, problems: list[SlotProblem]) -> None:
    assert slot_problems(start, end, LONDON) == problems


def test_slot_problems_use_the_local_date_not_the_utc_one() -> None:
    # 23:30-00:30 UTC on a summer night is 00:30-01:30 local, one local date.
    start = datetime(2026, 6, 9, 23, 30, tzinfo=UTC)

    assert slot_problems(start, start + timedelta(hours=1), LONDON) == []
    assert local_slot(start, start + timedelta(hours=1), LONDON) == LocalSlot(
        date(2026, 6, 10), time(0, 30), time(1, 30)
    )


def test_year_and_minute_problems_name_the_field() -> None:
    assert year_problem("starts_at", datetime(1999, 12, 31, 23, 59)) == SlotProblem(
        "starts_at", "must be in the years 2000 to 2100"
    )
    assert year_problem("starts_at", datetime(2000, 1, 1)) is None
    assert year_problem("ends_at", datetime(2100, 12, 31)) is None
    assert year_problem("ends_at", datetime(2101, 1, 1)) is not None
    assert minute_problem("ends_at", datetime(2026, 1, 1, 10, 0, 1)) == SlotProblem(
        "ends_at", "must be a whole minute (no seconds)"
    )
    assert minute_problem("ends_at", datetime(2026, 1, 1, 10, 0, 0, 1)) is not None
    assert minute_problem("ends_at", datetime(2026, 1, 1, 10, 59)) is None


# -- opening hours ----------------------------------------------------------------------------


def _range(weekday: int, opens: int, closes: int) -> OpeningRange:
    return OpeningRange(weekday, time(opens), time(closes))


def test_hours_on_merges_touching_and_overlapping_ranges_of_that_day_only() -> None:
    ranges = [_range(2, 13, 17), _range(2, 9, 12), _range(2, 12, 13), _range(3, 8, 20)]
    apart = [_range(2, 13, 17), _range(2, 9, 12), _range(2, 10, 11)]

    assert hours_on(ranges, 2) == (_range(2, 9, 17),)
    assert hours_on(apart, 2) == (_range(2, 9, 12), _range(2, 13, 17))
    assert hours_on(ranges, 6) == ()


def test_describe_hours_lists_each_range() -> None:
    assert describe_hours([_range(0, 9, 17)]) == "09:00-17:00"
    assert describe_hours([_range(0, 9, 12), _range(0, 13, 17)]) == "09:00-12:00 and 13:00-17:00"
    assert describe_hours([_range(0, 8, 9), _range(0, 10, 11), _range(0, 18, 21)]) == (
        "08:00-09:00, 10:00-11:00 and 18:00-21:00"
    )


# -- the venue's rules together -------------------------------------------------------------------

WEEKDAYS_9_TO_5 = [_range(day, 9, 17) for day in range(5)]
CHRISTMAS = ClosureSpan(date(2026, 12, 24), date(2027, 1, 2), "Christmas")


def _slot(day: date, start: int = 10, end: int = 11) -> LocalSlot:
    return LocalSlot(day, time(start), time(end))


@pytest.mark.parametrize(
    ("slot", "bank_holidays_open", "failures"),
    [
        (_slot(WED), False, []),
        (_slot(WED, 9, 17), False, []),
        (_slot(WED, 8, 10), False, [OutsideHours(_slot(WED, 8, 10), (WEEKDAYS_9_TO_5[2],))]),
        (_slot(date(2026, 11, 29)), False, [OutsideHours(_slot(date(2026, 11, 29)), ())]),
        (_slot(date(2026, 12, 23)), False, []),
        (_slot(date(2026, 12, 24)), False, [Closed(date(2026, 12, 24), CHRISTMAS)]),
        (_slot(date(2027, 1, 4)), False, []),
        (
            _slot(date(2026, 12, 25)),
            False,
            [
                Closed(date(2026, 12, 25), CHRISTMAS),
                ShutForBankHoliday(date(2026, 12, 25), "Christmas Day"),
            ],
        ),
        (
            _slot(date(2027, 5, 3)),
            False,
            [ShutForBankHoliday(date(2027, 5, 3), "May Day")],
        ),
        (_slot(date(2027, 5, 3)), True, []),
        (
            _slot(date(2026, 12, 28)),
            True,
            [Closed(date(2026, 12, 28), CHRISTMAS)],
        ),
    ],
    ids=[
        "open",
        "whole-day",
        "too-early",
        "sunday",
        "day-before-closure",
        "closure-first-day",
        "after-closure",
        "closure-and-christmas",
        "early-may",
        "opens-on-bank-holidays",
        "boxing-day-observed-in-closure",
    ],
)
def test_rule_failures_lists_every_rule_broken_closure_first(
    slot: LocalSlot, bank_holidays_open: bool, failures: list[object]
) -> None:
    assert (
        rule_failures(
            slot,
            opening=WEEKDAYS_9_TO_5,
            closures=[CHRISTMAS],
            opens_on_bank_holidays=bank_holidays_open,
        )
        == failures
    )


def test_rule_failures_on_boxing_day_observed_names_it() -> None:
    monday = _slot(date(2026, 12, 28))

    failures = rule_failures(
        monday, opening=WEEKDAYS_9_TO_5, closures=[], opens_on_bank_holidays=False
    )

    assert failures == [ShutForBankHoliday(date(2026, 12, 28), "Boxing Day (observed)")]
