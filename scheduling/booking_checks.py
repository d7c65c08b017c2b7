"""May the venue be used for a local slot?

Applies the pure rules to the venue's hours and closures that day and raises the problem
of the first rule broken (closure, bank holiday, hours).
"""

from collections.abc import Sequence
from typing import Any

from api.core.errors import Conflict
from scheduling.errors import BankHoliday, OutsideOpeningHours, VenueClosed
from scheduling.rules.booking import (
    WEEKDAY_PLURALS,
    Closed,
    LocalSlot,
    OutsideHours,
    RuleFailure,
    ShutForBankHoliday,
    describe_hours,
    rule_failures,
)
from scheduling.rules.opening import ClosureSpan, OpeningRange
from scheduling.tables import Closure, OpeningHours


async def ensure_venue_allows(room: dict[str, Any], slot: LocalSlot) -> None:
    """Raise the first venue rule the slot breaks, loading that day's hours and closures.

    ``room`` carries venue_id, venue_name and opens_on_bank_holidays. Two indexed queries.
    (The booking service reads the hours and closures with the venue and calls
    ``check_venue_rules``.)
    """
    venue_id = room["venue_id"]
    hours = await OpeningHours.select(
        OpeningHours.weekday, OpeningHours.opens_at, OpeningHours.closes_at
    ).where(OpeningHours.venue == venue_id, OpeningHours.weekday == slot.day.weekday())
    closures = await Closure.select(Closure.start_date, Closure.end_date, Closure.reason).where(
        Closure.venue == venue_id, Closure.start_date <= slot.day, Closure.end_date >= slot.day
    )
    check_venue_rules(
        room,
        slot,
        [OpeningRange(**row) for row in hours],
        [ClosureSpan(**row) for row in closures],
    )


def check_venue_rules(
    venue: dict[str, Any],
    slot: LocalSlot,
    opening: Sequence[OpeningRange],
    closures: Sequence[ClosureSpan],
) -> None:
    """Raise the first venue rule the slot breaks.

    ``venue`` carries venue_name and opens_on_bank_holidays; ``opening`` and ``closures``
    are the venue's hours that weekday and its closures over the date.
    """
    failures = rule_failures(
        slot,
        opening=opening,
        closures=closures,
        opens_on_bank_holidays=bool(venue["opens_on_bank_holidays"]),
    )
    if failures:
        raise venue_problem(failures[0], venue["venue_name"])


def venue_problem(failure: RuleFailure, venue_name: str) -> Conflict:
    """The problem for a broken venue rule: which rule, which dates, which hours."""
    if isinstance(failure, Closed):
        closure = failure.closure
        return VenueClosed(
            f"{venue_name} is closed from {closure.start_date.isoformat()} to "
            f"{closure.end_date.isoformat()} ({closure.reason}); "
            f"the booking is on {failure.day.isoformat()}.",
            date=failure.day.isoformat(),
            closure_start_date=closure.start_date.isoformat(),
            closure_end_date=closure.end_date.isoformat(),
            reason=closure.reason,
        )
    if isinstance(failure, ShutForBankHoliday):
        return BankHoliday(
            f"{failure.day.isoformat()} is {failure.holiday}, a bank holiday in England, "
            f"and {venue_name} does not open on bank holidays.",
            date=failure.day.isoformat(),
            holiday=failure.holiday,
        )
    return _outside_hours(failure, venue_name)


def _outside_hours(failure: OutsideHours, venue_name: str) -> Conflict:
    slot, days = failure.slot, WEEKDAY_PLURALS[failure.slot.day.weekday()]
    if failure.hours:
        said = f"{venue_name} opens {describe_hours(failure.hours)} on {days}"
    else:
        said = f"{venue_name} is not open on {days}"
    return OutsideOpeningHours(
        f"{said}; the booking is {slot.describe()}.",
        date=slot.day.isoformat(),
        opening_hours=[
            {"opens_at": f"{r.opens_at:%H:%M}", "closes_at": f"{r.closes_at:%H:%M}"}
            for r in failure.hours
        ],
    )
