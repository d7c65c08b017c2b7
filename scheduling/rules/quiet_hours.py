"""Quiet hours: a non-urgent message due at night waits for the morning (local time).

Hours are whole local hours in the service's zone. ``start > end`` spans midnight
(default 21:00-08:00); ``start == end`` means no quiet hours. The morning is taken on the
local calendar, so on the clock-change nights the message still goes at 08:00 local.
"""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo


def is_quiet(at: datetime, *, start_hour: int, end_hour: int, zone: ZoneInfo) -> bool:
    """Whether the instant ``at`` falls inside quiet hours, read on the local clock."""
    if start_hour == end_hour:
        return False
    hour = at.astimezone(zone).hour
    if start_hour < end_hour:
        return start_hour <= hour < end_hour
    return hour >= start_hour or hour < end_hour


def send_at(
    due_at: datetime, *, urgent: bool, start_hour: int, end_hour: int, zone: ZoneInfo
) -> datetime:
    """When a message due at ``due_at`` may go.

    At once if urgent or outside quiet hours, otherwise when these quiet hours end (local
    ``end_hour``:00).
    """
    if urgent or not is_quiet(due_at, start_hour=start_hour, end_hour=end_hour, zone=zone):
        return due_at
    local = due_at.astimezone(zone)
    day = local.date()
    if local.hour >= end_hour:
        # Quiet hours started this evening: they end tomorrow morning.
        day += timedelta(days=1)
    # end_hour never falls in the UK's 01:00-02:00 change hour unless configured so; if it
    # does, zoneinfo reads a missing time with the offset before the change (PEP 495).
    morning = datetime.combine(day, time(end_hour), tzinfo=zone)
    return morning.astimezone(due_at.tzinfo)
