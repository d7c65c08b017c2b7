"""Reminder offsets and which reminders a run handles (pure rules beside quiet hours)."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from scheduling.rules.reminders import (
    QUEUE,
    SESSION_STARTED,
    SUPERSEDED,
    Offset,
    decide,
    due_at,
    parse_offset,
    spoken_time,
)

LONDON = ZoneInfo("Europe/London")
OFFSETS = [parse_offset("2d"), parse_offset("2h")]
# Monday 29 March 2027 10:00 BST, the day after the clocks went forward.
MARCH = datetime(2027, 3, 29, 9, 0, tzinfo=UTC)
# Monday 1 November 2027 10:00 GMT, the day after the clocks went back.
OCTOBER = datetime(2027, 11, 1, 10, 0, tzinfo=UTC)


def test_offsets_parse_and_refuse_nonsense() -> None:
    assert parse_offset("2d") == Offset("2d", days=2)
    assert parse_offset(" 2h ") == Offset("2h", minutes=120)
    assert parse_offset("30m") == Offset("30m", minutes=30)
    for bad in ("", "0d", "2w", "-1h", "1.5h", "2 d"):
        with pytest.raises(ValueError, match="reminder offset"):
            parse_offset(bad)


def test_day_offsets_keep_the_local_time_across_both_changes() -> None:
    assert due_at(MARCH, OFFSETS[0], LONDON) == datetime(2027, 3, 27, 10, 0, tzinfo=UTC)
    assert due_at(MARCH, OFFSETS[1], LONDON) == datetime(2027, 3, 29, 7, 0, tzinfo=UTC)
    assert due_at(OCTOBER, OFFSETS[0], LONDON) == datetime(2027, 10, 30, 9, 0, tzinfo=UTC)
    assert due_at(OCTOBER, OFFSETS[1], LONDON) == datetime(2027, 11, 1, 8, 0, tzinfo=UTC)


def test_a_day_offset_landing_in_the_spring_gap_is_read_before_the_change() -> None:
    # A session on Tuesday 30 March at 01:30 BST: two days before is Sunday 28 March
    # 01:30, which does not exist; it is read as 01:30 GMT (02:30 BST).
    starts = datetime(2027, 3, 30, 0, 30, tzinfo=UTC)
    assert due_at(starts, OFFSETS[0], LONDON) == datetime(2027, 3, 28, 1, 30, tzinfo=UTC)


def _actions(now: datetime) -> list[tuple[str, str]]:
    decisions = decide(MARCH, OFFSETS, now=now, ahead=timedelta(minutes=15), zone=LONDON)
    return [(decision.offset.label, decision.action) for decision in decisions]


def test_reminders_are_handled_when_due_and_late_runs_send_only_the_latest() -> None:
    assert _actions(datetime(2027, 3, 26, 12, 0, tzinfo=UTC)) == []
    assert _actions(datetime(2027, 3, 27, 9, 50, tzinfo=UTC)) == [("2d", QUEUE)]
    assert _actions(datetime(2027, 3, 28, 12, 0, tzinfo=UTC)) == [("2d", QUEUE)]
    assert _actions(datetime(2027, 3, 29, 7, 30, tzinfo=UTC)) == [
        ("2d", SUPERSEDED),
        ("2h", QUEUE),
    ]
    assert _actions(MARCH) == [("2d", SESSION_STARTED), ("2h", SESSION_STARTED)]


def test_spoken_times_in_english_and_welsh() -> None:
    assert spoken_time(MARCH, LONDON, "en") == "Monday 29 March at 10:00"
    assert spoken_time(MARCH, LONDON, "cy-GB") == "Dydd Llun 29 Mawrth am 10:00"
    assert spoken_time(OCTOBER, LONDON, "pl") == "Monday 1 November at 10:00"
