"""Outcome counts, rates and suppression of small numbers."""

from hypothesis import given
from hypothesis import strategies as st

from groups.outcomes import PairedOutcome, classify_pair
from groups.rules.outcome_rates import OutcomeCounts, aggregate, suppressed


def test_rates_use_the_issue_denominators() -> None:
    outcomes = [
        classify_pair(15, 10, 5, 4),  # case, recovered, improved, reliably recovered
        classify_pair(15, 10, 12, 9),  # case, not recovered, no reliable change (-3, -1)
        classify_pair(12, 4, 9, 4),  # case, recovered, no reliable change (-3)
        classify_pair(5, 5, 12, 5),  # not a case, deteriorated (+7)
    ]
    assert aggregate(outcomes) == OutcomeCounts(
        finished=4,
        at_caseness=3,
        recovered=2,
        reliably_improved=1,
        reliably_recovered=1,
        reliably_deteriorated=1,
        recovery_rate=2 / 3,  # over finished minus not at caseness
        reliable_recovery_rate=1 / 3,
        reliable_improvement_rate=1 / 4,  # over all finished
        reliable_deterioration_rate=1 / 4,
    )


def test_no_one_finished_gives_no_rates() -> None:
    assert aggregate([]) == OutcomeCounts(0, 0, 0, 0, 0, 0, None, None, None, None)


def test_suppression_withholds_counts_under_five_and_the_rates_they_feed() -> None:
    counts = OutcomeCounts(12, 10, 6, 4, 3, 0, 0.6, 0.3, 4 / 12, 0.0)
    assert suppressed(counts) == OutcomeCounts(
        finished=12,
        at_caseness=10,
        recovered=6,
        reliably_improved=None,
        reliably_recovered=None,
        reliably_deteriorated=None,
        recovery_rate=0.6,
        reliable_recovery_rate=None,
        reliable_improvement_rate=None,
        reliable_deterioration_rate=None,
    )


outcome = st.builds(
    classify_pair, st.integers(0, 27), st.integers(0, 21), st.integers(0, 27), st.integers(0, 21)
)


@given(st.lists(outcome, max_size=40))
def test_counts_are_consistent(outcomes: list[PairedOutcome]) -> None:
    counts = aggregate(outcomes)
    assert counts.finished == len(outcomes)
    assert counts.reliably_recovered is not None
    assert counts.recovered is not None
    assert counts.reliably_recovered <= counts.recovered <= (counts.at_caseness or 0)
    for rate in (
        counts.recovery_rate,
        counts.reliable_recovery_rate,
        counts.reliable_improvement_rate,
        counts.reliable_deterioration_rate,
    ):
        assert rate is None or 0 <= rate <= 1


@given(st.lists(outcome, max_size=40))
def test_a_suppressed_export_never_shows_a_count_under_five(outcomes: list[PairedOutcome]) -> None:
    shown = suppressed(aggregate(outcomes))
    for value in (
        shown.finished,
        shown.at_caseness,
        shown.recovered,
        shown.reliably_improved,
        shown.reliably_recovered,
        shown.reliably_deteriorated,
    ):
        assert value is None or value >= 5
