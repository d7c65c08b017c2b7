"""Wall-clock times people type, and the instants we store, across the clock changes.

A naive datetime is a Europe/London (the service's zone) wall-clock reading. On the
March change 01:00-02:00 does not exist; on the October change 01:00-02:00 happens
twice. Both are refused rather than guessed: a session booked at a time that does not
exist, or that is ambiguous, must be corrected by a person.
"""

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo


class NonexistentLocalTime(ValueError):
    """The wall-clock time falls in the spring-forward gap."""


class AmbiguousLocalTime(ValueError):
    """The wall-clock time happens twice (autumn fall-back)."""


def to_instant(value: datetime, zone: ZoneInfo) -> datetime:
    """An aware UTC instant; a naive value is read as wall-clock time in ``zone``."""
    if value.tzinfo is not None:
        return value.astimezone(UTC)
    first = value.replace(tzinfo=zone, fold=0)
    second = value.replace(tzinfo=zone, fold=1)
    if first.utcoffset() != second.utcoffset():
        # Either a gap or a repeat; a gap does not survive the round trip through UTC.
        round_trip = first.astimezone(UTC).astimezone(zone).replace(tzinfo=None)
        if round_trip != value:
            raise NonexistentLocalTime(
                f"{value:%Y-%m-%d %H:%M} does not exist in {zone.key} (the clocks go forward)"
            )
        raise AmbiguousLocalTime(
            f"{value:%Y-%m-%d %H:%M} happens twice in {zone.key} (the clocks go back): "
            "give the time with its UTC offset"
        )
    return first.astimezone(UTC)


def local_instant(day: date, at: time, zone: ZoneInfo) -> datetime:
    """The UTC instant of a wall-clock time on a date, refusing gaps and repeats."""
    return to_instant(datetime.combine(day, at), zone)


def local(value: datetime, zone: ZoneInfo) -> datetime:
    """An instant as wall-clock time in ``zone`` (aware)."""
    return value.astimezone(zone)
