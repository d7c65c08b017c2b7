"""Is a room free for a weekly slot over K weeks, and if not, why not, week by week?

Pure: the weekly windows, the candidate rooms, their clashing bookings, their venues'
closures and opening ranges in; per room, every week with its reasons out, and the
order best matches come in. Nothing is skipped: a week whose wall-clock slot does not
exist (or happens twice) on a clock-change day is a blocked week with that reason.
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from uuid import UUID
from zoneinfo import ZoneInfo

from scheduling.rules.booking import MAX_SLOT_LENGTH, hours_on
from scheduling.rules.opening import (
    ClosureSpan,
    OpeningRange,
    bank_holiday_in_england,
    is_within_opening_hours,
)
from scheduling.rules.wallclock import AmbiguousLocalTime, NonexistentLocalTime, local_instant

# No booking is longer than this (the booking rules refuse longer ones). It bounds the
# index range scanned for bookings that started before a window and run into it.
LONGEST_BOOKING = MAX_SLOT_LENGTH


@dataclass(frozen=True, slots=True)
class Week:
    """One week's slot: its local date, and its instants unless the local time is invalid."""

    index: int
    day: date
    start: time
    end: time
    starts_at: datetime | None
    ends_at: datetime | None
    bank_holiday: str | None
    invalid_local_time: str | None

    @property
    def has_instants(self) -> bool:
        """Whether the wall-clock slot maps to one UTC range (bookings can clash with it)."""
        return self.starts_at is not None and self.ends_at is not None


def weekly_windows(
    first_day: date, start: time, end: time, weeks: int, zone: ZoneInfo
) -> tuple[Week, ...]:
    """The slot on ``first_day`` and the same weekday for ``weeks`` weeks, in UTC."""
    windows = []
    for index in range(weeks):
        day = first_day + timedelta(days=7 * index)
        starts_at: datetime | None
        ends_at: datetime | None
        try:
            starts_at, ends_at = local_instant(day, start, zone), local_instant(day, end, zone)
            invalid = None
        except (NonexistentLocalTime, AmbiguousLocalTime) as error:
            starts_at, ends_at, invalid = None, None, str(error)
        windows.append(
            Week(index, day, start, end, starts_at, ends_at, bank_holiday_in_england(day), invalid)
        )
    return tuple(windows)


@dataclass(frozen=True, slots=True)
class CandidateRoom:
    """A room that fits the search, with what ranking and the rules need of its venue."""

    room_id: UUID
    venue_id: UUID
    capacity: int
    room_name: str
    venue_name: str
    opens_on_bank_holidays: bool


@dataclass(frozen=True, slots=True)
class BookedSlot:
    """A non-cancelled booking of a room."""

    booking_id: UUID
    room_id: UUID
    starts_at: datetime
    ends_at: datetime
    status: str


@dataclass(frozen=True, slots=True)
class InvalidLocalTime:
    """The slot's wall-clock time does not exist, or happens twice, that day."""

    detail: str


@dataclass(frozen=True, slots=True)
class Closed:
    """A closure of the venue covers the date."""

    closure: ClosureSpan


@dataclass(frozen=True, slots=True)
class ShutForBankHoliday:
    """A bank holiday in England, and the venue does not open on them."""

    name: str


@dataclass(frozen=True, slots=True)
class OutsideHours:
    """No opening range that weekday holds the slot; ``hours`` are merged, empty if shut."""

    weekday: int
    hours: tuple[OpeningRange, ...]


@dataclass(frozen=True, slots=True)
class Booked:
    """The room is booked for part of the slot."""

    booking: BookedSlot


Reason = InvalidLocalTime | Closed | ShutForBankHoliday | OutsideHours | Booked


@dataclass(frozen=True, slots=True)
class WeekVerdict:
    """One week for one room: free, or blocked with every reason."""

    week: Week
    reasons: tuple[Reason, ...]

    @property
    def free(self) -> bool:
        """Whether nothing stands in the way that week."""
        return not self.reasons


@dataclass(frozen=True, slots=True)
class RoomAvailability:
    """Every requested week for one room."""

    room: CandidateRoom
    weeks: tuple[WeekVerdict, ...]

    @property
    def free_weeks(self) -> int:
        """How many of the weeks are free."""
        return sum(1 for verdict in self.weeks if verdict.free)


def _week_reasons(
    week: Week,
    room: CandidateRoom,
    bookings: Sequence[BookedSlot],
    closures: Sequence[ClosureSpan],
    outside: OutsideHours | None,
) -> tuple[Reason, ...]:
    # Called for every room and week of a page: the empty cases skip the comprehensions.
    reasons: list[Reason] = []
    if week.invalid_local_time is not None:
        reasons.append(InvalidLocalTime(week.invalid_local_time))
    if closures:
        reasons += [Closed(c) for c in closures if c.covers(week.day)]
    if week.bank_holiday is not None and not room.opens_on_bank_holidays:
        reasons.append(ShutForBankHoliday(week.bank_holiday))
    if outside is not None:
        reasons.append(outside)
    if bookings and week.starts_at is not None and week.ends_at is not None:
        starts_at, ends_at = week.starts_at, week.ends_at
        reasons += [Booked(b) for b in bookings if b.starts_at < ends_at and starts_at < b.ends_at]
    return tuple(reasons)


def assess_room(
    room: CandidateRoom,
    weeks: Sequence[Week],
    *,
    bookings: Sequence[BookedSlot],
    closures: Sequence[ClosureSpan],
    opening: Sequence[OpeningRange],
) -> RoomAvailability:
    """Every week for one room, given its bookings and its venue's closures and hours."""
    outside = None
    if weeks:
        first = weeks[0]
        weekday = first.day.weekday()
        # hours_on merges touching ranges: 09:00-12:00 and 12:00-17:00 hold 11:00-13:00.
        hours = hours_on(opening, weekday)
        if not is_within_opening_hours(hours, first.day, first.start, first.end):
            outside = OutsideHours(weekday, hours)
    ordered = sorted(bookings, key=lambda b: (b.starts_at, b.booking_id))
    by_start = sorted(closures, key=lambda c: (c.start_date, c.end_date))
    return RoomAvailability(
        room,
        tuple(WeekVerdict(w, _week_reasons(w, room, ordered, by_start, outside)) for w in weeks),
    )


def rank_key(result: RoomAvailability) -> tuple[int, int, str, str, str]:
    """Best first: most free weeks, then the smallest room that fits, then names and id."""
    room = result.room
    blocked = len(result.weeks) - result.free_weeks
    return (blocked, room.capacity, room.venue_name, room.room_name, str(room.room_id))


def assess(
    rooms: Iterable[CandidateRoom],
    weeks: Sequence[Week],
    *,
    bookings: Mapping[UUID, Sequence[BookedSlot]],
    closures: Mapping[UUID, Sequence[ClosureSpan]],
    opening: Mapping[UUID, Sequence[OpeningRange]],
) -> list[RoomAvailability]:
    """Each room's weeks, best matches first (bookings by room, the rest by venue)."""
    results = [
        assess_room(
            room,
            weeks,
            bookings=bookings.get(room.room_id, ()),
            closures=closures.get(room.venue_id, ()),
            opening=opening.get(room.venue_id, ()),
        )
        for room in rooms
    ]
    return sorted(results, key=rank_key)
