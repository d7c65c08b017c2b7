"""Supervision flags: why an enrolment should be discussed in case-management supervision.

Pure: the facts come in (from the enrolment's denormalised columns and its first and
latest scored measure sets), the reasons go out, in a fixed order. The flags:

- ``new_enrolment``: never discussed (``last_discussed_at`` is null);
- ``open_risk_alert``: at least one risk alert still open;
- ``severe_score``: latest PHQ-9 >= 20 or latest GAD-7 >= 15 (the severe bands,
  DESIGN.md, Clinical rules);
- ``no_reliable_improvement``: by session 4 (the latest scored PHQ-9 or GAD-7 is from a
  session numbered 4 or later), with a first and a later score on at least one of them,
  neither has dropped reliably (PHQ-9 by 6 or more, GAD-7 by 4 or more): consider step-up;
- ``consecutive_dnas``: the DNA policy flagged a streak at or over the setting
  (``review_flagged_at`` set, count still at or over ``dna_review_after``); a
  discussion clears it;
- ``not_discussed_recently``: last discussed 28 days ago or longer (four weeks).

The three that come from the clinical record (open alert, severe score, no reliable
improvement), with the latest scores, are worked out by ``clinical_flags`` and stored on
the enrolment whenever its measure sets or alerts change, and nightly; the rest come from the
enrolment's own columns and the time. ``groups.supervision`` filters the same conditions
in SQL over those columns so the list pages by keyset; ``listed_flags`` then names each
listed enrolment's reasons.
"""

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta

PHQ9 = "PHQ-9"
GAD7 = "GAD-7"
PHQ9_SEVERE = 20
GAD7_SEVERE = 15
PHQ9_RELIABLE_CHANGE = 6
GAD7_RELIABLE_CHANGE = 4
IMPROVEMENT_REVIEW_SESSION = 4
DISCUSSION_INTERVAL = timedelta(days=28)


class Flag(enum.StrEnum):
    """A reason to discuss a patient in supervision."""

    NEW_ENROLMENT = "new_enrolment"
    OPEN_RISK_ALERT = "open_risk_alert"
    SEVERE_SCORE = "severe_score"
    NO_RELIABLE_IMPROVEMENT = "no_reliable_improvement"
    CONSECUTIVE_DNAS = "consecutive_dnas"
    NOT_DISCUSSED_RECENTLY = "not_discussed_recently"


@dataclass(frozen=True)
class Scores:
    """One instrument's scored measure sets of an enrolment: first, latest, how many."""

    first: int | None = None
    latest: int | None = None
    count: int = 0

    def dropped_by(self, change: int) -> bool:
        """Whether the latest is at least ``change`` below the first (a reliable drop)."""
        if self.count < 2 or self.first is None or self.latest is None:
            return False
        return self.first - self.latest >= change


@dataclass(frozen=True)
class FlagFacts:
    """What the flags are worked out from."""

    last_discussed_at: datetime | None = None
    review_flagged_at: datetime | None = None
    consecutive_dnas: int = 0
    open_alerts: int = 0
    phq9: Scores = Scores()
    gad7: Scores = Scores()
    latest_scored_session: int | None = None


def discussion_due_before(now: datetime) -> datetime:
    """A discussion at or before this instant is four weeks old."""
    return now - DISCUSSION_INTERVAL


def no_reliable_improvement(facts: FlagFacts) -> bool:
    """By session 4, with a pair of scores, and no reliable drop on either measure."""
    if facts.latest_scored_session is None:
        return False
    if facts.latest_scored_session < IMPROVEMENT_REVIEW_SESSION:
        return False
    if facts.phq9.count < 2 and facts.gad7.count < 2:
        return False
    return not (
        facts.phq9.dropped_by(PHQ9_RELIABLE_CHANGE) or facts.gad7.dropped_by(GAD7_RELIABLE_CHANGE)
    )


@dataclass(frozen=True)
class ClinicalFlags:
    """The flags that follow from the clinical record, kept on the enrolment row.

    Worked out whenever a measure set or risk alert of the enrolment changes, and nightly
    (``groups.supervision_flags``), so the list reads them instead of the history.
    """

    open_risk_alert: bool = False
    severe_score: bool = False
    no_reliable_improvement: bool = False
    latest_phq9: int | None = None
    latest_gad7: int | None = None


def clinical_flags(facts: FlagFacts) -> ClinicalFlags:
    """The open-alert, severe-score and improvement flags, with the latest scores."""
    return ClinicalFlags(
        open_risk_alert=facts.open_alerts > 0,
        severe_score=(facts.phq9.latest is not None and facts.phq9.latest >= PHQ9_SEVERE)
        or (facts.gad7.latest is not None and facts.gad7.latest >= GAD7_SEVERE),
        no_reliable_improvement=no_reliable_improvement(facts),
        latest_phq9=facts.phq9.latest,
        latest_gad7=facts.gad7.latest,
    )


def listed_flags(
    clinical: ClinicalFlags,
    *,
    last_discussed_at: datetime | None,
    review_flagged_at: datetime | None,
    consecutive_dnas: int,
    now: datetime,
    dna_review_after: int,
) -> tuple[Flag, ...]:
    """Every flag, in the order of ``Flag``: the stored clinical ones and those of time."""
    found: list[Flag] = []
    if last_discussed_at is None:
        found.append(Flag.NEW_ENROLMENT)
    if clinical.open_risk_alert:
        found.append(Flag.OPEN_RISK_ALERT)
    if clinical.severe_score:
        found.append(Flag.SEVERE_SCORE)
    if clinical.no_reliable_improvement:
        found.append(Flag.NO_RELIABLE_IMPROVEMENT)
    if review_flagged_at is not None and consecutive_dnas >= dna_review_after:
        found.append(Flag.CONSECUTIVE_DNAS)
    if last_discussed_at is not None and last_discussed_at <= discussion_due_before(now):
        found.append(Flag.NOT_DISCUSSED_RECENTLY)
    return tuple(found)


def flags(facts: FlagFacts, *, now: datetime, dna_review_after: int) -> tuple[Flag, ...]:
    """The enrolment's flags, in the order of ``Flag``; empty when none applies."""
    return listed_flags(
        clinical_flags(facts),
        last_discussed_at=facts.last_discussed_at,
        review_flagged_at=facts.review_flagged_at,
        consecutive_dnas=facts.consecutive_dnas,
        now=now,
        dna_review_after=dna_review_after,
    )
