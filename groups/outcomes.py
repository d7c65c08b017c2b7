"""Paired outcomes of one episode: caseness, recovery, reliable change (pure).

Definitions from NHS Talking Therapies (DESIGN.md, Clinical rules; the issue's text wins
where it is more precise): the first and the last measurement of PHQ-9 and of the
anxiety measure (GAD-7 until an ADSM with a cited threshold ships).
"""

from dataclasses import dataclass

from groups.rules.instruments import GAD7, PHQ9, Instrument


@dataclass(frozen=True)
class PairedOutcome:
    """How one finished episode counts in the recovery figures.

    ``recovered`` and ``reliable_recovery`` are None when the patient was not at caseness
    at the start (they are left out of those rates' denominators).
    """

    caseness_at_start: bool
    recovered: bool | None
    reliable_improvement: bool
    reliable_deterioration: bool
    reliable_recovery: bool | None


def _check(value: int, instrument: Instrument, which: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{which} must be an integer {instrument.code} total")
    if not instrument.total_min <= value <= instrument.total_max:
        raise ValueError(
            f"{which} {value} is outside {instrument.code}'s range "
            f"{instrument.total_min}-{instrument.total_max}"
        )


def classify_pair(
    first_phq9: int,
    first_gad7: int,
    last_phq9: int,
    last_gad7: int,
    *,
    phq9_caseness: int = 10,
    phq9_reliable_change: int = 6,
    gad7_caseness: int = 8,
    gad7_reliable_change: int = 4,
) -> PairedOutcome:
    """Classify one episode's first and last scores; ValueError for a score out of range.

    Defaults: PHQ-9 caseness 10 and reliable change 6, GAD-7 caseness 8 and reliable
    change 4 (NHS Talking Therapies manual; see ``groups.rules.instruments``). A change
    exactly equal to the reliable-change value counts as reliable.
    """
    _check(first_phq9, PHQ9, "first_phq9")
    _check(first_gad7, GAD7, "first_gad7")
    _check(last_phq9, PHQ9, "last_phq9")
    _check(last_gad7, GAD7, "last_gad7")
    caseness = first_phq9 >= phq9_caseness or first_gad7 >= gad7_caseness
    reliable_drop = (
        first_phq9 - last_phq9 >= phq9_reliable_change
        or first_gad7 - last_gad7 >= gad7_reliable_change
    )
    reliable_rise = (
        last_phq9 - first_phq9 >= phq9_reliable_change
        or last_gad7 - first_gad7 >= gad7_reliable_change
    )
    # A measure cannot both drop and rise, so "no reliable rise on the other" is "no
    # reliable rise on either", and likewise for deterioration.
    improvement = reliable_drop and not reliable_rise
    deterioration = reliable_rise and not reliable_drop
    recovered: bool | None = None
    reliable_recovery: bool | None = None
    if caseness:
        recovered = last_phq9 < phq9_caseness and last_gad7 < gad7_caseness
        reliable_recovery = recovered and improvement
    return PairedOutcome(
        caseness_at_start=caseness,
        recovered=recovered,
        reliable_improvement=improvement,
        reliable_deterioration=deterioration,
        reliable_recovery=reliable_recovery,
    )
