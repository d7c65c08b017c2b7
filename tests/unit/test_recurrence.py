"""Session dates: weekly from the first date, skipping bank holidays and closures."""

import itertools
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scheduling.rules.opening import ClosureSpan
from scheduling.rules.recurrence import (
    BANK_HOLIDAY,
    CLOSURE,
    PlannedSession,
    ScheduleImpossible,
    SkippedDate,
    plan_sessions,
    weekly_dates,
)

LONDON = ZoneInfo("Europe/London")


def test_plan_sessions_across_the_march_change_keeps_the_local_time() -> None:
    # Mondays 18:00 from 15 March 2027; clocks go forward on Sunday 28 March and
    # Monday 29 March is Easter Monday (skipped).
    schedule = plan_sessions(date(2027, 3, 15), time(18, 0), [90, 90, 90], LONDON)

    assert schedule.sessions == (
        PlannedSession(
            1,
            date(2027, 3, 15),
            time(18, 0),
            time(19, 30),
            datetime(2027, 3, 15, 18, 0, tzinfo=UTC),
            datetime(2027, 3, 15, 19, 30, tzinfo=UTC),
        ),
        PlannedSession(
            2,
            date(2027, 3, 22),
            time(18, 0),
            time(19, 30),
            datetime(2027, 3, 22, 18, 0, tzinfo=UTC),
            datetime(2027, 3, 22, 19, 30, tzinfo=UTC),
        ),
        PlannedSession(
            3,
            date(2027, 4, 5),
            time(18, 0),
            time(19, 30),
            datetime(2027, 4, 5, 17, 0, tzinfo=UTC),
            datetime(2027, 4, 5, 18, 30, tzinfo=UTC),
        ),
    )
    assert schedule.skipped == (SkippedDate(date(2027, 3, 29), BANK_HOLIDAY, "Easter Monday"),)


def test_plan_sessions_across_the_october_change_keeps_the_local_time() -> None:
    # Clocks go back on Sunday 31 October 2027.
    schedule = plan_sessions(date(2027, 10, 25), time(18, 0), [90, 90], LONDON)

    assert [(s.day, s.local_start, s.starts_at) for s in schedule.sessions] == [
        (date(2027, 10, 25), time(18, 0), datetime(2027, 10, 25, 17, 0, tzinfo=UTC)),
        (date(2027, 11, 1), time(18, 0), datetime(2027, 11, 1, 18, 0, tzinfo=UTC)),
    ]
    assert schedule.skipped == ()


def test_plan_sessions_skips_the_early_may_bank_holiday_and_moves_the_rest_on() -> None:
    schedule = plan_sessions(date(2027, 4, 26), time(10, 0), [90] * 4, LONDON)

    assert [s.day for s in schedule.sessions] == [
        date(2027, 4, 26),
        date(2027, 5, 10),
        date(2027, 5, 17),
        date(2027, 5, 24),
    ]
    assert schedule.skipped == (SkippedDate(date(2027, 5, 3), BANK_HOLIDAY, "May Day"),)


def test_plan_sessions_when_the_venue_opens_on_bank_holidays_meets_then() -> None:
    schedule = plan_sessions(
        date(2027, 4, 26), time(10, 0), [90] * 2, LONDON, opens_on_bank_holidays=True
    )

    assert [s.day for s in schedule.sessions] == [date(2027, 4, 26), date(2027, 5, 3)]
    assert schedule.skipped == ()


def test_plan_sessions_skips_every_week_a_closure_covers_with_its_reason() -> None:
    works = ClosureSpan(date(2027, 2, 1), date(2027, 2, 14), "Roof repairs")

    schedule = plan_sessions(date(2027, 1, 25), time(10, 0), [90] * 3, LONDON, closures=[works])

    assert [s.day for s in schedule.sessions] == [
        date(2027, 1, 25),
        date(2027, 2, 15),
        date(2027, 2, 22),
    ]
    assert schedule.skipped == (
        SkippedDate(date(2027, 2, 1), CLOSURE, "Roof repairs"),
        SkippedDate(date(2027, 2, 8), CLOSURE, "Roof repairs"),
    )


def test_plan_sessions_names_a_closure_before_a_bank_holiday_on_the_same_day() -> None:
    christmas = ClosureSpan(date(2027, 12, 20), date(2028, 1, 2), "Christmas closure")

    schedule = plan_sessions(date(2027, 12, 20), time(10, 0), [60], LONDON, closures=[christmas])

    # 27 December is a bank holiday too; 3 January 2028 is New Year's Day (observed).
    assert [s.day for s in schedule.sessions] == [date(2028, 1, 10)]
    assert schedule.skipped == (
        SkippedDate(date(2027, 12, 20), CLOSURE, "Christmas closure"),
        SkippedDate(date(2027, 12, 27), CLOSURE, "Christmas closure"),
        SkippedDate(date(2028, 1, 3), BANK_HOLIDAY, "New Year's Day (observed)"),
    )


def test_plan_sessions_uses_each_session_length() -> None:
    schedule = plan_sessions(date(2027, 1, 11), time(10, 0), [120, 60], LONDON)

    assert [(s.local_start, s.local_end) for s in schedule.sessions] == [
        (time(10, 0), time(12, 0)),
        (time(10, 0), time(11, 0)),
    ]


def test_plan_sessions_refuses_a_start_in_the_spring_gap() -> None:
    # Sundays 01:30 from 21 March 2027: 28 March 01:30 does not exist.
    with pytest.raises(ScheduleImpossible) as refused:
        plan_sessions(date(2027, 3, 21), time(1, 30), [60, 60], LONDON)

    assert refused.value.field == "start_time"
    assert "session 2: 2027-03-28 01:30 does not exist in Europe/London" in refused.value.reason


def test_plan_sessions_refuses_a_start_that_happens_twice() -> None:
    with pytest.raises(ScheduleImpossible) as refused:
        plan_sessions(date(2027, 10, 31), time(1, 30), [30], LONDON)

    assert refused.value.field == "start_time"
    assert "happens twice" in refused.value.reason


def test_plan_sessions_refuses_a_session_past_midnight() -> None:
    with pytest.raises(ScheduleImpossible) as refused:
        plan_sessions(date(2027, 1, 11), time(23, 0), [90], LONDON)

    assert (refused.value.field, refused.value.reason) == (
        "session_plan",
        "session 1 would run past midnight on 2027-01-11",
    )


def test_weekly_dates_when_the_venue_is_shut_for_over_a_year_gives_up() -> None:
    shut = ClosureSpan(date(2027, 1, 1), date(2028, 12, 31), "Rebuilding")

    with pytest.raises(ScheduleImpossible) as refused:
        weekly_dates(date(2027, 1, 11), 6, closures=[shut])

    assert refused.value.field == "first_session_date"


def test_weekly_dates_with_no_sessions_is_refused() -> None:
    with pytest.raises(ScheduleImpossible) as refused:
        weekly_dates(date(2027, 1, 11), 0)

    assert refused.value.field == "session_plan"


_closures = st.lists(
    st.builds(
        lambda start, length, reason: ClosureSpan(start, start + timedelta(days=length), reason),
        st.dates(date(2026, 1, 1), date(2029, 12, 31)),
        st.integers(0, 30),
        st.sampled_from(["Works", "Staff training", "Election"]),
    ),
    max_size=6,
)


@given(
    first=st.dates(date(2026, 1, 1), date(2029, 12, 31)),
    start=st.times().map(lambda t: t.replace(second=0, microsecond=0)),
    count=st.integers(1, 20),
    closures=_closures,
    opens_on_bank_holidays=st.booleans(),
)
def test_plan_sessions_properties(
    first: date,
    start: time,
    count: int,
    closures: list[ClosureSpan],
    opens_on_bank_holidays: bool,
) -> None:
    try:
        schedule = plan_sessions(
            first,
            start,
            [30] * count,
            LONDON,
            closures=closures,
            opens_on_bank_holidays=opens_on_bank_holidays,
        )
    except ScheduleImpossible as refused:
        refused_field = refused.field
    else:
        refused_field = None
    # Only a clock-change day or a late start can refuse (a 30-day closure at most six
    # times never fills a year).
    assert refused_field in {None, "start_time", "session_plan"}
    if refused_field is not None:
        return
    days = [s.day for s in schedule.sessions]
    skipped = {s.day for s in schedule.skipped}
    # N sessions, numbered in order, never on a skipped date.
    assert [s.number for s in schedule.sessions] == list(range(1, count + 1))
    assert not skipped & set(days)
    # Strictly weekly order from the first date, each week either met or skipped.
    assert days[0] >= first
    assert all((day - first).days % 7 == 0 for day in days + sorted(skipped))
    assert all(a < b for a, b in itertools.pairwise(days))
    weeks = {first + timedelta(weeks=n) for n in range((days[-1] - first).days // 7 + 1)}
    assert weeks == set(days) | skipped
    # Same local wall-clock time, whatever the UTC offset.
    for session in schedule.sessions:
        assert session.starts_at.astimezone(LONDON).date() == session.day
        assert session.starts_at.astimezone(LONDON).time() == start
        assert session.ends_at - session.starts_at == timedelta(minutes=30)
