"""A group's session dates: weekly from the first date, skipping the weeks it cannot meet.

Pure: the first date, the wall-clock start, each session's length, the venue's closures
and whether it opens on bank holidays in; the dated sessions (as local dates and UTC
instants) and the skipped dates with their reasons out.

A week is skipped when its date is a bank holiday in England (unless the venue opens on
them) or a closure of the venue covers it; the rest of the course moves one week on (the
next free week), so the group keeps its weekday and meets the planned number of times.
The local start time is kept across the clock changes: 18:00 in March and in November are
different UTC instants. A start that does not exist (spring forward) or happens twice
(fall back) on a session's date is refused, never guessed.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from scheduling.rules.opening import ClosureSpan, bank_holiday_in_england, closure_on
from scheduling.rules.wallclock import AmbiguousLocalTime, NonexistentLocalTime, local_instant

WEEK = timedelta(weeks=1)
# How many weeks beyond the planned ones the search may skip before giving up: a venue
# shut for a year is a setup mistake to report, not a loop to run.
MAX_SKIPPED_WEEKS = 52
BANK_HOLIDAY = "bank_holiday"
CLOSURE = "closure"


@dataclass(frozen=True, slots=True)
class SkippedDate:
    """A week the group does not meet, and why (the holiday's name or the closure reason)."""

    day: date
    kind: str  # bank_holiday or closure
    reason: str


@dataclass(frozen=True, slots=True)
class PlannedSession:
    """One dated session: its number in the plan, local date and times, UTC instants."""

    number: int
    day: date
    local_start: time
    local_end: time
    starts_at: datetime
    ends_at: datetime


@dataclass(frozen=True, slots=True)
class Schedule:
    """The sessions in order and every skipped week before the last of them."""

    sessions: tuple[PlannedSession, ...]
    skipped: tuple[SkippedDate, ...]


class ScheduleImpossible(ValueError):
    """No schedule can be made; ``field`` names the input at fault."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(reason)
        self.field = field
        self.reason = reason


def skip_reason(
    day: date, closures: Sequence[ClosureSpan], *, opens_on_bank_holidays: bool
) -> SkippedDate | None:
    """Why the group cannot meet on ``day`` (a closure first, then a bank holiday), if it can't."""
    closure = closure_on(closures, day)
    if closure is not None:
        return SkippedDate(day, CLOSURE, closure.reason)
    holiday = bank_holiday_in_england(day)
    if holiday is not None and not opens_on_bank_holidays:
        return SkippedDate(day, BANK_HOLIDAY, holiday)
    return None


def weekly_dates(
    first_date: date,
    count: int,
    *,
    closures: Sequence[ClosureSpan] = (),
    opens_on_bank_holidays: bool = False,
    max_skipped: int = MAX_SKIPPED_WEEKS,
) -> tuple[list[date], list[SkippedDate]]:
    """``count`` free dates a week apart from ``first_date``, and the dates skipped on the way."""
    if count < 1:
        raise ScheduleImpossible("session_plan", "the plan has no sessions to schedule")
    dates: list[date] = []
    skipped: list[SkippedDate] = []
    day = first_date
    while len(dates) < count:
        reason = skip_reason(day, closures, opens_on_bank_holidays=opens_on_bank_holidays)
        if reason is None:
            dates.append(day)
        else:
            skipped.append(reason)
            if len(skipped) > max_skipped:
                raise ScheduleImpossible(
                    "first_session_date",
                    f"the venue cannot take the group on {len(skipped)} weeks from "
                    f"{first_date.isoformat()}: too many closures and bank holidays to "
                    f"find {count} free weeks",
                )
        day += WEEK
    return dates, skipped


def plan_sessions(
    first_date: date,
    start_time: time,
    durations: Sequence[int],
    zone: ZoneInfo,
    *,
    closures: Sequence[ClosureSpan] = (),
    opens_on_bank_holidays: bool = False,
) -> Schedule:
    """One session per duration (minutes), weekly at ``start_time`` local, skipping closed weeks.

    Raises ScheduleImpossible naming ``start_time`` when the time does not exist, or is
    ambiguous, on one of the dates (a clock-change day), and ``session_plan`` when a
    session would run past local midnight.
    """
    if any(minutes < 1 for minutes in durations):
        raise ScheduleImpossible("session_plan", "every session must last at least a minute")
    dates, skipped = weekly_dates(
        first_date,
        len(durations),
        closures=closures,
        opens_on_bank_holidays=opens_on_bank_holidays,
    )
    sessions = []
    for number, (day, minutes) in enumerate(zip(dates, durations, strict=True), start=1):
        try:
            starts_at = local_instant(day, start_time, zone)
        except (NonexistentLocalTime, AmbiguousLocalTime) as error:
            raise ScheduleImpossible("start_time", f"session {number}: {error}") from error
        ends_at = starts_at + timedelta(minutes=minutes)
        local_end = ends_at.astimezone(zone)
        if local_end.date() != day:
            raise ScheduleImpossible(
                "session_plan", f"session {number} would run past midnight on {day.isoformat()}"
            )
        sessions.append(
            PlannedSession(
                number=number,
                day=day,
                local_start=start_time,
                local_end=local_end.time().replace(tzinfo=None),
                starts_at=starts_at,
                ends_at=ends_at,
            )
        )
    return Schedule(sessions=tuple(sessions), skipped=tuple(skipped))
