"""When session reminders fall due, and which ones a late run still sends.

Offsets are written "2d" (two calendar days before, at the same local time, so a
reminder before a clock change still comes at the session's wall-clock time) or "2h" /
"30m" (that long before, by the clock on the wall at the time: absolute).
"""

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

_OFFSET = re.compile(r"^(\d{1,3})([dhm])$")


@dataclass(frozen=True)
class Offset:
    """A reminder offset: its label ("2d") and its length."""

    label: str
    days: int = 0
    minutes: int = 0

    @property
    def approximate(self) -> timedelta:
        """Its length, an hour longer for day offsets (a clock change adds at most one)."""
        if self.days:
            return timedelta(days=self.days, hours=1)
        return timedelta(minutes=self.minutes)


def parse_offset(text: str) -> Offset:
    """An offset from "2d", "2h" or "30m".

    Raises:
        ValueError: anything else.
    """
    found = _OFFSET.match(text.strip())
    if found is None or int(found.group(1)) == 0:
        raise ValueError(f"a reminder offset looks like 2d, 2h or 30m, not {text!r}")
    amount, unit = int(found.group(1)), found.group(2)
    label = f"{amount}{unit}"
    if unit == "d":
        return Offset(label, days=amount)
    return Offset(label, minutes=amount * (60 if unit == "h" else 1))


def due_at(starts_at: datetime, offset: Offset, zone: ZoneInfo) -> datetime:
    """When the reminder ``offset`` before a session starting at ``starts_at`` is due."""
    if not offset.days:
        return starts_at - timedelta(minutes=offset.minutes)
    local = starts_at.astimezone(zone)
    # Same wall-clock time, days earlier; zoneinfo picks the right offset for that date
    # (in the spring gap it reads the time with the offset before the change).
    earlier = (local.replace(tzinfo=None) - timedelta(days=offset.days)).replace(tzinfo=zone)
    return earlier.astimezone(starts_at.tzinfo)


QUEUE = "queue"
SUPERSEDED = "superseded"
SESSION_STARTED = "session_started"


@dataclass(frozen=True)
class Decision:
    """What to do with one of a session's reminders now."""

    offset: Offset
    due_at: datetime
    action: str  # queue, superseded, session_started


def decide(
    starts_at: datetime, offsets: list[Offset], *, now: datetime, ahead: timedelta, zone: ZoneInfo
) -> list[Decision]:
    """The reminders of one session to handle at ``now`` (the rest are not due yet).

    Due (or due within ``ahead``) reminders are queued. When a run comes late (the
    process was down) and several are overdue, only the latest is still worth sending;
    the earlier ones are superseded. Once the session has started none is sent.
    """
    due = sorted(
        ((offset, due_at(starts_at, offset, zone)) for offset in offsets), key=lambda pair: pair[1]
    )
    handled = [(offset, at) for offset, at in due if at <= now + ahead]
    if starts_at <= now:
        return [Decision(offset, at, SESSION_STARTED) for offset, at in handled]
    overdue = [pair for pair in handled if pair[1] <= now]
    latest_overdue = overdue[-1][0] if overdue else None
    decisions = []
    for offset, at in handled:
        if at <= now and offset != latest_overdue:
            decisions.append(Decision(offset, at, SUPERSEDED))
        else:
            decisions.append(Decision(offset, at, QUEUE))
    return decisions


_DAYS = {
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
    "cy": (
        "Dydd Llun",
        "Dydd Mawrth",
        "Dydd Mercher",
        "Dydd Iau",
        "Dydd Gwener",
        "Dydd Sadwrn",
        "Dydd Sul",
    ),
}
_MONTHS = {
    "en": (
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ),
    "cy": (
        "Ionawr",
        "Chwefror",
        "Mawrth",
        "Ebrill",
        "Mai",
        "Mehefin",
        "Gorffennaf",
        "Awst",
        "Medi",
        "Hydref",
        "Tachwedd",
        "Rhagfyr",
    ),
}
_AT = {"en": "at", "cy": "am"}


def spoken_time(at: datetime, zone: ZoneInfo, language: str) -> str:
    """A local date and time as a message says it: "Monday 29 March at 10:00"."""
    words = language.split("-", 1)[0].lower()
    if words not in _DAYS:
        words = "en"
    local = at.astimezone(zone)
    day = _DAYS[words][local.weekday()]
    month = _MONTHS[words][local.month - 1]
    return f"{day} {local.day} {month} {_AT[words]} {local:%H:%M}"
