"""Booking slots: is a slot well formed, and may the venue be used then?

Pure: instants and the venue's opening ranges, closures and bank-holiday setting in,
the problems out. Slots are half-open, ``[starts_at, ends_at)``: a booking ending at
10:00 and the next starting at 10:00 do not overlap.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from scheduling.rules.opening import (
    ClosureSpan,
    OpeningRange,
    bank_holiday_in_england,
    closure_on,
    is_within_opening_hours,
)

MAX_SLOT_LENGTH = timedelta(hours=12)
# Wall-clock years a booking may name: far enough for any course, near enough that
# converting between zones never overflows datetime's range.
MIN_YEAR, MAX_YEAR = 2000, 2100
WEEKDAY_PLURALS = (
    "Mondays",
    "Tuesdays",
    "Wednesdays",
    "Thursdays",
    "Fridays",
    "Saturdays",
    "Sundays",
)


@dataclass(frozen=True, slots=True)
class LocalSlot:
    """A slot as the venue's clock shows it: one local date, a start and an end time."""

    day: date
    start: time
    end: time

    def describe(self) -> str:
        """``"18:00-19:30"``."""
        return f"{self.start:%H:%M}-{self.end:%H:%M}"


@dataclass(frozen=True, slots=True)
class SlotProblem:
    """Why a field of the requested slot is refused."""

    field: str
    reason: str


@dataclass(frozen=True, slots=True)
class Closed:
    """A closure covers the slot's date."""

    day: date
    closure: ClosureSpan


@dataclass(frozen=True, slots=True)
class ShutForBankHoliday:
    """The slot's date is a bank holiday in England and the venue does not open on them."""

    day: date
    holiday: str


@dataclass(frozen=True, slots=True)
class OutsideHours:
    """No opening range that weekday holds the whole slot; ``hours`` are that day's ranges."""

    slot: LocalSlot
    hours: tuple[OpeningRange, ...]


RuleFailure = Closed | ShutForBankHoliday | OutsideHours


def overlaps(a_start: datetime, a_end: datetime, b_start: datetime, b_end: datetime) -> bool:
    """Whether two half-open slots share any instant (touching ends do not)."""
    return a_start < b_end and b_start < a_end


def year_problem(field: str, value: datetime) -> SlotProblem | None:
    """A problem if ``value`` is outside the years a booking may name."""
    if not MIN_YEAR <= value.year <= MAX_YEAR:
        return SlotProblem(field, f"must be in the years {MIN_YEAR} to {MAX_YEAR}")
    return None


def minute_problem(field: str, value: datetime) -> SlotProblem | None:
    """A problem if ``value`` has seconds: rooms are booked in whole minutes."""
    if value.second or value.microsecond:
        return SlotProblem(field, "must be a whole minute (no seconds)")
    return None


def local_slot(starts_at: datetime, ends_at: datetime, zone: ZoneInfo) -> LocalSlot:
    """The slot in the venue's wall-clock time (dated by its start)."""
    start, end = starts_at.astimezone(zone), ends_at.astimezone(zone)
    return LocalSlot(day=start.date(), start=start.time(), end=end.time())


def slot_problems(
    starts_at: datetime,
    ends_at: datetime,
    zone: ZoneInfo,
    *,
    max_length: timedelta = MAX_SLOT_LENGTH,
) -> list[SlotProblem]:
    """Why the slot is malformed; empty when it is well formed.

    It must end after it starts, on the same local date, at most ``max_length`` later.
    Both instants are aware.
    """
    if ends_at <= starts_at:
        return [SlotProblem("ends_at", "must be after starts_at")]
    problems = []
    if starts_at.astimezone(zone).date() != ends_at.astimezone(zone).date():
        problems.append(SlotProblem("ends_at", "must be on the same local date as starts_at"))
    if ends_at - starts_at > max_length:
        hours = max_length.total_seconds() / 3600
        problems.append(SlotProblem("ends_at", f"must be at most {hours:g} hours after starts_at"))
    return problems


def hours_on(ranges: Iterable[OpeningRange], weekday: int) -> tuple[OpeningRange, ...]:
    """That weekday's ranges in order, touching or overlapping ones merged into one."""
    merged: list[OpeningRange] = []
    for entry in sorted((r for r in ranges if r.weekday == weekday), key=lambda r: r.opens_at):
        if merged and entry.opens_at <= merged[-1].closes_at:
            last = merged[-1]
            merged[-1] = OpeningRange(weekday, last.opens_at, max(last.closes_at, entry.closes_at))
        else:
            merged.append(entry)
    return tuple(merged)


def describe_hours(hours: Sequence[OpeningRange]) -> str:
    """``"09:00-12:00 and 13:00-17:00"``."""
    spans = [f"{r.opens_at:%H:%M}-{r.closes_at:%H:%M}" for r in hours]
    return spans[0] if len(spans) == 1 else ", ".join(spans[:-1]) + " and " + spans[-1]


def rule_failures(
    slot: LocalSlot,
    *,
    opening: Iterable[OpeningRange],
    closures: Sequence[ClosureSpan],
    opens_on_bank_holidays: bool,
) -> list[RuleFailure]:
    """Every venue rule the slot breaks, most telling first: closure, bank holiday, hours."""
    failures: list[RuleFailure] = []
    closure = closure_on(closures, slot.day)
    if closure is not None:
        failures.append(Closed(slot.day, closure))
    holiday = bank_holiday_in_england(slot.day)
    if holiday is not None and not opens_on_bank_holidays:
        failures.append(ShutForBankHoliday(slot.day, holiday))
    hours = hours_on(opening, slot.day.weekday())
    if not is_within_opening_hours(hours, slot.day, slot.start, slot.end):
        failures.append(OutsideHours(slot, hours))
    return failures
