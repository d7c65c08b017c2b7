"""Outcome counts and rates over finished episodes, and small-number suppression (pure).

Rates (NHS Talking Therapies, DESIGN.md): recovery and reliable recovery over the finished
episodes at caseness at the start (finished minus those not at caseness); reliable
improvement and deterioration over all finished episodes. A rate with a zero denominator
is None.

Suppression, for any aggregate that leaves the staff API as an export: every count under
``SUPPRESS_UNDER`` (0 to 4: a zero also tells something about each patient in a small
group) is withheld, and so is every rate whose numerator or denominator is withheld.
"""

from collections.abc import Iterable
from dataclasses import dataclass, fields, replace
from typing import Protocol

SUPPRESS_UNDER = 5


class Classified(Protocol):
    """What one finished episode contributes (``groups.outcomes.PairedOutcome`` fits)."""

    @property
    def caseness_at_start(self) -> bool:
        """PHQ-9 or GAD-7 at or over caseness at the first measurement."""
        ...

    @property
    def recovered(self) -> bool | None:
        """None when not at caseness at start."""
        ...

    @property
    def reliable_improvement(self) -> bool:
        """A reliable drop on one measure and no reliable rise on the other."""
        ...

    @property
    def reliable_deterioration(self) -> bool:
        """A reliable rise on one measure and no reliable drop on the other."""
        ...

    @property
    def reliable_recovery(self) -> bool | None:
        """None when not at caseness at start."""
        ...


@dataclass(frozen=True)
class OutcomeCounts:
    """Counts (None where suppressed) and rates from 0 to 1 (None where undefined)."""

    finished: int | None
    at_caseness: int | None
    recovered: int | None
    reliably_improved: int | None
    reliably_recovered: int | None
    reliably_deteriorated: int | None
    recovery_rate: float | None
    reliable_recovery_rate: float | None
    reliable_improvement_rate: float | None
    reliable_deterioration_rate: float | None


def _rate(numerator: int | None, denominator: int | None) -> float | None:
    if numerator is None or denominator is None or denominator == 0:
        return None
    return numerator / denominator


def _with_rates(counts: OutcomeCounts) -> OutcomeCounts:
    return replace(
        counts,
        recovery_rate=_rate(counts.recovered, counts.at_caseness),
        reliable_recovery_rate=_rate(counts.reliably_recovered, counts.at_caseness),
        reliable_improvement_rate=_rate(counts.reliably_improved, counts.finished),
        reliable_deterioration_rate=_rate(counts.reliably_deteriorated, counts.finished),
    )


def aggregate(outcomes: Iterable[Classified]) -> OutcomeCounts:
    """Counts and rates over the finished episodes' paired outcomes."""
    items = list(outcomes)
    return _with_rates(
        OutcomeCounts(
            finished=len(items),
            at_caseness=sum(o.caseness_at_start for o in items),
            recovered=sum(o.recovered is True for o in items),
            reliably_improved=sum(o.reliable_improvement for o in items),
            reliably_recovered=sum(o.reliable_recovery is True for o in items),
            reliably_deteriorated=sum(o.reliable_deterioration for o in items),
            recovery_rate=None,
            reliable_recovery_rate=None,
            reliable_improvement_rate=None,
            reliable_deterioration_rate=None,
        )
    )


_COUNT_FIELDS = (
    "finished",
    "at_caseness",
    "recovered",
    "reliably_improved",
    "reliably_recovered",
    "reliably_deteriorated",
)


def suppressed(counts: OutcomeCounts, *, under: int = SUPPRESS_UNDER) -> OutcomeCounts:
    """The counts for an export: each under ``under`` withheld, rates recomputed from the rest."""
    kept = {
        name: (None if value is None or value < under else value)
        for name, value in ((f.name, getattr(counts, f.name)) for f in fields(counts))
        if name in _COUNT_FIELDS
    }
    return _with_rates(replace(counts, **kept))
