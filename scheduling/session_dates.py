"""A group's session dates at a venue: load what the venue says about its days, apply the rule.

Three indexed queries whatever the number of sessions: the venue, its closures from the
first date to as far as the dates could reach, and its opening hours on the weekday.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, time, timedelta
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from api.core.errors import NotFound
from scheduling.rules.opening import ClosureSpan, OpeningRange
from scheduling.rules.recurrence import MAX_SKIPPED_WEEKS, Schedule, plan_sessions
from scheduling.tables import Closure, OpeningHours, Venue


@dataclass(frozen=True, slots=True)
class VenueDays:
    """What a venue says about the days a group could meet there."""

    venue_id: UUID
    name: str
    town: str
    is_archived: bool
    opens_on_bank_holidays: bool
    closures: tuple[ClosureSpan, ...]
    hours: tuple[OpeningRange, ...]  # on the group's weekday


async def load_venue_days(
    venue_id: UUID, first_date: date, weekday: int, sessions: int
) -> VenueDays:
    """The venue's facts, closures that could touch the dates, and that weekday's hours."""
    venue: dict[str, Any] | None = (
        await Venue.select(Venue.name, Venue.town, Venue.is_archived, Venue.opens_on_bank_holidays)
        .where(Venue.id == venue_id)
        .first()
    )
    if venue is None:
        raise NotFound("No venue with this id.")
    last_possible = first_date + timedelta(weeks=sessions + MAX_SKIPPED_WEEKS)
    closures = await Closure.select(Closure.start_date, Closure.end_date, Closure.reason).where(
        Closure.venue == venue_id,
        Closure.end_date >= first_date,
        Closure.start_date <= last_possible,
    )
    hours = await OpeningHours.select(
        OpeningHours.weekday, OpeningHours.opens_at, OpeningHours.closes_at
    ).where(OpeningHours.venue == venue_id, OpeningHours.weekday == weekday)
    return VenueDays(
        venue_id=venue_id,
        name=venue["name"],
        town=venue["town"],
        is_archived=venue["is_archived"],
        opens_on_bank_holidays=venue["opens_on_bank_holidays"],
        closures=tuple(ClosureSpan(**row) for row in closures),
        hours=tuple(OpeningRange(**row) for row in hours),
    )


def session_dates(
    venue: VenueDays,
    first_date: date,
    start_time: time,
    durations: Sequence[int],
    zone: ZoneInfo,
) -> Schedule:
    """The dated sessions at the venue (raises recurrence.ScheduleImpossible)."""
    return plan_sessions(
        first_date,
        start_time,
        durations,
        zone,
        closures=venue.closures,
        opens_on_bank_holidays=venue.opens_on_bank_holidays,
    )
