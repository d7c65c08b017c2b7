"""Waiting-time figures: median, nearest-rank 90th centile, whole days."""

import math
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from groups.rules.waiting_times import Summary, days_waited, median, nearest_rank, summarise


def test_days_are_whole_calendar_days() -> None:
    assert days_waited(date(2026, 10, 1), date(2026, 10, 1)) == 0
    assert days_waited(date(2026, 10, 1), date(2026, 11, 5)) == 35


@pytest.mark.parametrize(
    ("values", "expected"),
    [([], None), ([7], 7.0), ([3, 1], 2.0), ([1, 2], 1.5), ([9, 1, 5], 5.0), ([4, 1, 3, 2], 2.5)],
)
def test_median(values: list[int], expected: float | None) -> None:
    assert median(values) == expected


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([], None),
        ([12], 12),
        (list(range(1, 11)), 9),  # rank ceil(0.9 x 10) = 9
        (list(range(1, 12)), 10),  # rank ceil(0.9 x 11) = 10 (9.9 rounds up)
        (list(range(1, 21)), 18),  # rank 18
        ([50, 10, 40, 20, 30], 50),  # rank ceil(4.5) = 5
    ],
)
def test_90th_centile_by_nearest_rank(values: list[int], expected: int | None) -> None:
    assert nearest_rank(values, 90) == expected


def test_percentile_outside_1_to_100_is_refused() -> None:
    with pytest.raises(ValueError, match="percentile"):
        nearest_rank([1], 0)


def test_summary_of_no_waits() -> None:
    assert summarise([]) == Summary(count=0, median_days=None, p90_days=None)


@given(st.lists(st.integers(0, 2000), min_size=1, max_size=200))
def test_centile_is_an_observed_value_with_enough_values_at_or_below(values: list[int]) -> None:
    p90 = nearest_rank(values, 90)
    assert p90 in values
    assert sum(v <= p90 for v in values) >= math.ceil(0.9 * len(values))
    assert sum(v < p90 for v in values) < math.ceil(0.9 * len(values))
    middle = median(values)
    assert middle is not None
    assert min(values) <= middle <= max(values)
