"""Quiet hours: non-urgent messages wait for 08:00 local, across the clock changes."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from scheduling.rules.quiet_hours import is_quiet, send_at

LONDON = ZoneInfo("Europe/London")


def _send(due: datetime, urgent: bool = False, start: int = 21, end: int = 8) -> datetime:
    return send_at(due, urgent=urgent, start_hour=start, end_hour=end, zone=LONDON)


def _local(value: datetime) -> str:
    return value.astimezone(LONDON).strftime("%Y-%m-%d %H:%M %Z")


def test_daytime_messages_go_when_due() -> None:
    due = datetime(2027, 1, 4, 12, 0, tzinfo=UTC)
    assert _send(due) == due


def test_an_evening_message_waits_for_the_next_morning_and_an_early_one_for_this_morning() -> None:
    assert _local(_send(datetime(2027, 1, 4, 22, 30, tzinfo=UTC))) == "2027-01-05 08:00 GMT"
    assert _local(_send(datetime(2027, 1, 5, 6, 0, tzinfo=UTC))) == "2027-01-05 08:00 GMT"


def test_quiet_hours_are_local_in_summer() -> None:
    # 20:30 UTC in July is 21:30 BST: quiet. 07:30 UTC is 08:30 BST: not quiet.
    assert _local(_send(datetime(2027, 7, 5, 20, 30, tzinfo=UTC))) == "2027-07-06 08:00 BST"
    due = datetime(2027, 7, 5, 7, 30, tzinfo=UTC)
    assert _send(due) == due


def test_urgent_messages_are_never_delayed() -> None:
    due = datetime(2027, 1, 4, 23, 0, tzinfo=UTC)
    assert _send(due, urgent=True) == due


def test_across_the_march_change_the_morning_is_0800_bst() -> None:
    # Saturday 27 March 2027 23:00 GMT; the clocks go forward at 01:00 on Sunday 28.
    sent = _send(datetime(2027, 3, 27, 23, 0, tzinfo=UTC))
    assert _local(sent) == "2027-03-28 08:00 BST"
    assert sent == datetime(2027, 3, 28, 7, 0, tzinfo=UTC)


def test_across_the_october_change_the_morning_is_0800_gmt() -> None:
    # Saturday 30 October 2027 22:00 BST (21:00 UTC); the clocks go back at 02:00 on 31.
    sent = _send(datetime(2027, 10, 30, 21, 0, tzinfo=UTC))
    assert _local(sent) == "2027-10-31 08:00 GMT"
    assert sent == datetime(2027, 10, 31, 8, 0, tzinfo=UTC)


def test_equal_hours_mean_no_quiet_hours_and_daytime_windows_work() -> None:
    due = datetime(2027, 1, 4, 23, 0, tzinfo=UTC)
    assert _send(due, start=8, end=8) == due
    lunch = datetime(2027, 1, 4, 13, 0, tzinfo=UTC)
    assert is_quiet(lunch, start_hour=12, end_hour=14, zone=LONDON)
    assert _local(_send(datetime(2027, 1, 4, 13, 0, tzinfo=UTC), start=12, end=14)) == (
        "2027-01-04 14:00 GMT"
    )


@given(
    st.datetimes(
        min_value=datetime(2026, 1, 1),  # noqa: DTZ001 - hypothesis wants naive bounds
        max_value=datetime(2030, 12, 31),  # noqa: DTZ001
        timezones=st.just(UTC),
    ),
    st.booleans(),
)
def test_never_earlier_never_quiet_and_at_most_eleven_hours_late(
    due: datetime, urgent: bool
) -> None:
    sent = _send(due, urgent=urgent)
    assert sent >= due
    assert sent - due <= timedelta(hours=12)  # 11 hours, plus one on a clock-change night
    if urgent:
        assert sent == due
    else:
        assert not is_quiet(sent, start_hour=21, end_hour=8, zone=LONDON)
