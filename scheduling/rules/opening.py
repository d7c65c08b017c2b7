"""Opening hours, closures and bank holidays: may a room be used for this local slot?"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, time
from functools import cache

import holidays


@dataclass(frozen=True, slots=True)
class OpeningRange:
    """One opening range on a weekday (0 = Monday), local time."""

    weekday: int
    opens_at: time
    closes_at: time


@dataclass(frozen=True, slots=True)
class ClosureSpan:
    """Dates a venue is shut, inclusive."""

    start_date: date
    end_date: date
    reason: str

    def covers(self, day: date) -> bool:
        """Whether the venue is shut on ``day``."""
        return self.start_date <= day <= self.end_date


def is_within_opening_hours(
    ranges: Iterable[OpeningRange], day: date, start: time, end: time
) -> bool:
    """Whether one opening range on that weekday holds the whole slot."""
    weekday = day.weekday()
    return any(r.weekday == weekday and r.opens_at <= start and end <= r.closes_at for r in ranges)


def closure_on(closures: Sequence[ClosureSpan], day: date) -> ClosureSpan | None:
    """The closure covering ``day``, if any."""
    return next((c for c in closures if c.covers(day)), None)


@cache
def _england_holidays(year: int) -> dict[date, str]:
    # England's bank holidays (the holidays package's UK calendar, subdivision ENG).
    return dict(holidays.country_holidays("GB", subdiv="ENG", years=year).items())


def bank_holiday_in_england(day: date) -> str | None:
    """The bank holiday's name if ``day`` is one in England."""
    return _england_holidays(day.year).get(day)
