"""Supervision flags: each reason, its boundaries, and their order."""

from datetime import UTC, datetime, timedelta

import pytest

from groups.rules.supervision import Flag, FlagFacts, Scores, flags, no_reliable_improvement

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
RECENT = NOW - timedelta(days=1)


def flagged(**facts: object) -> tuple[Flag, ...]:
    values: dict[str, object] = {"last_discussed_at": RECENT, **facts}
    return flags(FlagFacts(**values), now=NOW, dna_review_after=2)  # type: ignore[arg-type]


def test_discussed_recently_with_nothing_else_has_no_flag() -> None:
    assert flagged() == ()


def test_never_discussed_is_new() -> None:
    assert flagged(last_discussed_at=None) == (Flag.NEW_ENROLMENT,)


@pytest.mark.parametrize(
    ("age", "due"),
    [(timedelta(days=27, hours=23), False), (timedelta(days=28), True), (timedelta(days=60), True)],
)
def test_four_weeks_since_discussion_is_due(age: timedelta, due: bool) -> None:
    assert (Flag.NOT_DISCUSSED_RECENTLY in flagged(last_discussed_at=NOW - age)) is due


def test_an_open_alert_flags() -> None:
    assert flagged(open_alerts=1) == (Flag.OPEN_RISK_ALERT,)


@pytest.mark.parametrize(
    ("phq9", "gad7", "severe"),
    [(19, None, False), (20, None, True), (27, None, True), (None, 14, False), (None, 15, True)],
)
def test_severe_band_of_the_latest_score(phq9: int | None, gad7: int | None, severe: bool) -> None:
    facts = {"phq9": Scores(phq9, phq9, 1), "gad7": Scores(gad7, gad7, 1)}
    assert (Flag.SEVERE_SCORE in flagged(**facts)) is severe


@pytest.mark.parametrize(
    ("phq9", "gad7", "session", "stuck"),
    [
        (Scores(15, 10, 2), Scores(10, 7, 2), 4, True),  # drops of 5 and 3: not reliable
        (Scores(15, 9, 2), Scores(10, 10, 2), 4, False),  # PHQ-9 drop of exactly 6
        (Scores(15, 14, 2), Scores(10, 6, 2), 4, False),  # GAD-7 drop of exactly 4
        (Scores(15, 10, 2), Scores(10, 7, 2), 3, False),  # before session 4
        (Scores(15, 15, 1), Scores(), 5, False),  # a single score is no pair
        (Scores(12, 14, 3), Scores(), 6, True),  # worse, PHQ-9 only
        (Scores(), Scores(), None, False),
    ],
)
def test_no_reliable_improvement_by_session_4(
    phq9: Scores, gad7: Scores, session: int | None, stuck: bool
) -> None:
    facts = FlagFacts(phq9=phq9, gad7=gad7, latest_scored_session=session)
    assert no_reliable_improvement(facts) is stuck


@pytest.mark.parametrize(
    ("count", "flagged_at", "shown"),
    [(2, RECENT, True), (3, RECENT, True), (1, RECENT, False), (2, None, False)],
)
def test_consecutive_dnas_need_the_policy_flag_and_the_count(
    count: int, flagged_at: datetime | None, shown: bool
) -> None:
    facts = flagged(consecutive_dnas=count, review_flagged_at=flagged_at)
    assert (Flag.CONSECUTIVE_DNAS in facts) is shown


def test_reasons_come_in_a_fixed_order() -> None:
    assert flagged(
        last_discussed_at=None,
        open_alerts=2,
        phq9=Scores(22, 21, 4),
        latest_scored_session=4,
        consecutive_dnas=2,
        review_flagged_at=RECENT,
    ) == (
        Flag.NEW_ENROLMENT,
        Flag.OPEN_RISK_ALERT,
        Flag.SEVERE_SCORE,
        Flag.NO_RELIABLE_IMPROVEMENT,
        Flag.CONSECUTIVE_DNAS,
    )
