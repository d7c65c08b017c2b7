"""classify_pair: every boundary in a table, the definitions as properties."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from groups.outcomes import PairedOutcome, classify_pair

phq9 = st.integers(0, 27)
gad7 = st.integers(0, 21)


def outcome(
    caseness: bool,
    recovered: bool | None,
    improvement: bool,
    deterioration: bool,
    reliable_recovery: bool | None,
) -> PairedOutcome:
    return PairedOutcome(caseness, recovered, improvement, deterioration, reliable_recovery)


@pytest.mark.parametrize(
    ("scores", "expected"),
    [
        # Caseness at start: PHQ-9 >= 10 or GAD-7 >= 8.
        ((9, 7, 9, 7), outcome(False, None, False, False, None)),
        ((10, 7, 9, 7), outcome(True, True, False, False, False)),
        ((9, 8, 9, 7), outcome(True, True, False, False, False)),
        # Recovery: last PHQ-9 < 10 and last GAD-7 < 8.
        ((15, 12, 10, 7), outcome(True, False, True, False, False)),  # GAD-7 drop 5
        ((15, 12, 9, 8), outcome(True, False, True, False, False)),
        ((15, 12, 9, 7), outcome(True, True, True, False, True)),
        # Reliable change exactly at the value counts: PHQ-9 drop 6, GAD-7 drop 4.
        ((15, 5, 9, 5), outcome(True, True, True, False, True)),
        ((15, 5, 10, 5), outcome(True, False, False, False, False)),  # drop 5: not reliable
        ((5, 12, 5, 8), outcome(True, False, True, False, False)),  # GAD-7 drop 4
        ((5, 12, 5, 9), outcome(True, False, False, False, False)),  # GAD-7 drop 3
        # Reliable rise: PHQ-9 +6, GAD-7 +4.
        ((3, 2, 9, 2), outcome(False, None, False, True, None)),
        ((3, 2, 8, 2), outcome(False, None, False, False, None)),
        ((3, 2, 3, 6), outcome(False, None, False, True, None)),
        ((3, 2, 3, 5), outcome(False, None, False, False, None)),
        # Drop on one, rise on the other: neither improvement nor deterioration.
        ((20, 2, 14, 6), outcome(True, False, False, False, False)),
        # Drop on one, small rise on the other: still improvement.
        ((20, 2, 8, 5), outcome(True, True, True, False, True)),
        # Extremes.
        ((27, 21, 0, 0), outcome(True, True, True, False, True)),
        ((0, 0, 27, 21), outcome(False, None, False, True, None)),
        ((0, 0, 0, 0), outcome(False, None, False, False, None)),
    ],
)
def test_classify_pair_boundaries(
    scores: tuple[int, int, int, int], expected: PairedOutcome
) -> None:
    assert classify_pair(*scores) == expected


@pytest.mark.parametrize(
    "scores",
    [(-1, 0, 0, 0), (28, 0, 0, 0), (0, -1, 0, 0), (0, 22, 0, 0), (0, 0, 28, 0), (0, 0, 0, 22)],
)
def test_a_score_out_of_range_raises(scores: tuple[int, int, int, int]) -> None:
    with pytest.raises(ValueError, match="outside"):
        classify_pair(*scores)


def test_thresholds_are_keywords() -> None:
    # With caseness 12 a first PHQ-9 of 10 is not a case.
    assert classify_pair(10, 0, 10, 0, phq9_caseness=12).caseness_at_start is False
    assert classify_pair(10, 0, 7, 0, phq9_reliable_change=3).reliable_improvement is True
    assert classify_pair(0, 6, 0, 6, gad7_caseness=6).caseness_at_start is True
    assert classify_pair(0, 6, 0, 4, gad7_reliable_change=2).reliable_improvement is True


@given(phq9, gad7, phq9, gad7)
def test_improvement_and_deterioration_never_both(a: int, b: int, c: int, d: int) -> None:
    result = classify_pair(a, b, c, d)
    assert not (result.reliable_improvement and result.reliable_deterioration)


@given(phq9, gad7, phq9, gad7)
def test_recovery_is_none_exactly_when_not_at_caseness(a: int, b: int, c: int, d: int) -> None:
    result = classify_pair(a, b, c, d)
    assert result.caseness_at_start == (a >= 10 or b >= 8)
    assert (result.recovered is None) == (not result.caseness_at_start)
    assert (result.reliable_recovery is None) == (not result.caseness_at_start)


@given(phq9, gad7, phq9, gad7)
def test_reliable_recovery_is_recovery_and_improvement(a: int, b: int, c: int, d: int) -> None:
    result = classify_pair(a, b, c, d)
    if result.caseness_at_start:
        assert result.reliable_recovery == (result.recovered and result.reliable_improvement)
        assert result.recovered == (c < 10 and d < 8)


@given(phq9, gad7, phq9, gad7)
def test_swapping_first_and_last_swaps_improvement_and_deterioration(
    a: int, b: int, c: int, d: int
) -> None:
    forward = classify_pair(a, b, c, d)
    backward = classify_pair(c, d, a, b)
    assert forward.reliable_improvement == backward.reliable_deterioration
    assert forward.reliable_deterioration == backward.reliable_improvement


@given(phq9, gad7)
def test_no_change_is_never_reliable(a: int, b: int) -> None:
    result = classify_pair(a, b, a, b)
    assert not result.reliable_improvement
    assert not result.reliable_deterioration
    assert result.recovered in (None, False)
