"""Waiting-time figures: count, median and 90th centile of whole days. Pure.

Method (stated so two services compute the same figure):

- days are whole calendar days in the service's zone, from the referral date to the
  date of the event (the same day is 0);
- the median is the middle value of the sorted days, or the mean of the two middle
  values when the count is even (so it may end in .5);
- the 90th centile is by nearest rank: the value at rank ceil(0.9 x n) of the sorted
  days (1-based), always one of the observed values; with one value it is that value;
- with no values, count 0 and both figures null.
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class Summary:
    """Count, median and 90th centile of a set of waits in days."""

    count: int
    median_days: float | None
    p90_days: int | None


def days_waited(referred: date, event: date) -> int:
    """Whole days from the referral date to the event's local date."""
    return (event - referred).days


def median(values: Sequence[int]) -> float | None:
    """The middle value (the mean of the middle two for an even count); None when empty."""
    if not values:
        return None
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return float(ordered[middle])
    return (ordered[middle - 1] + ordered[middle]) / 2


def nearest_rank(values: Sequence[int], percentile: int) -> int | None:
    """The nearest-rank percentile (1 to 100): the value at rank ceil(p/100 x n)."""
    if not 0 < percentile <= 100:
        raise ValueError("percentile must be 1 to 100")
    if not values:
        return None
    ordered = sorted(values)
    rank = math.ceil(percentile * len(ordered) / 100)
    return ordered[rank - 1]


def summarise(values: Sequence[int]) -> Summary:
    """The figures services are judged on, for one set of waits."""
    return Summary(count=len(values), median_days=median(values), p90_days=nearest_rank(values, 90))
