"""The enrolment lifecycle as data: statuses, which hold a place, and the allowed moves.

Pure: no I/O, no clock (the caller passes ``now``). An invitation past its expiry is
"expired" from that instant, whether or not anything has moved it on (computed on read).
"""

import enum
from dataclasses import dataclass
from datetime import datetime


class EnrolmentStatus(enum.StrEnum):
    """A stored status, plus ``expired`` (an invitation past its expiry, never stored)."""

    INVITED = "invited"
    OPTED_IN = "opted_in"
    ACTIVE = "active"
    WAITLISTED = "waitlisted"
    DECLINED = "declined"
    COMPLETED = "completed"
    DISCHARGED = "discharged"
    STEPPED_UP = "stepped_up"
    DROPPED_OUT = "dropped_out"
    EXPIRED = "expired"


S = EnrolmentStatus

# Invited (until expiry), opted-in and active hold a place against capacity (DESIGN.md).
PLACE_HOLDING = frozenset({S.INVITED, S.OPTED_IN, S.ACTIVE})
# Statuses after which the enrolment has ended.
ENDED = frozenset({S.DECLINED, S.COMPLETED, S.DISCHARGED, S.STEPPED_UP, S.DROPPED_OUT})

ALLOWED_MOVES: dict[EnrolmentStatus, tuple[EnrolmentStatus, ...]] = {
    S.INVITED: (S.OPTED_IN, S.DECLINED),
    S.EXPIRED: (S.DECLINED, S.WAITLISTED, S.INVITED),
    S.OPTED_IN: (S.ACTIVE, S.DECLINED, S.STEPPED_UP, S.DROPPED_OUT),
    S.ACTIVE: (S.COMPLETED, S.DISCHARGED, S.STEPPED_UP, S.DROPPED_OUT),
    S.WAITLISTED: (S.INVITED, S.DECLINED),
    S.DECLINED: (),
    S.COMPLETED: (),
    S.DISCHARGED: (),
    S.STEPPED_UP: (),
    S.DROPPED_OUT: (),
}
# Moves recorded by a route of their own, which asks for more than a reason: a step-up
# names where the patient goes (groups.step_up).
OWN_ROUTE = frozenset({S.STEPPED_UP})
# Moves that take a place, so need one free (a re-invitation, an offer from the list).
NEEDS_FREE_PLACE = frozenset({(S.EXPIRED, S.INVITED), (S.WAITLISTED, S.INVITED)})


def effective_status(
    status: str, invitation_expires_at: datetime | None, *, now: datetime
) -> EnrolmentStatus:
    """The status as a reader should see it: an invitation past expiry is ``expired``."""
    stored = EnrolmentStatus(status)
    if stored is S.INVITED and invitation_expires_at is not None and invitation_expires_at <= now:
        return S.EXPIRED
    return stored


def holds_place(status: str, invitation_expires_at: datetime | None, *, now: datetime) -> bool:
    """Whether the enrolment counts against the group's capacity at ``now``."""
    return effective_status(status, invitation_expires_at, now=now) in PLACE_HOLDING


def allowed_moves(current: EnrolmentStatus) -> tuple[EnrolmentStatus, ...]:
    """Where an enrolment in ``current`` (effective) may go next."""
    return ALLOWED_MOVES[current]


def is_allowed(current: EnrolmentStatus, target: EnrolmentStatus) -> bool:
    """Whether the move from ``current`` (effective) to ``target`` is in the table."""
    return target in ALLOWED_MOVES[current]


def needs_free_place(current: EnrolmentStatus, target: EnrolmentStatus) -> bool:
    """Whether the move takes a place (so is refused when the group is full)."""
    return (current, target) in NEEDS_FREE_PLACE


def frees_place(current: EnrolmentStatus, target: EnrolmentStatus) -> bool:
    """Whether the move gives up a place someone on the waiting list could have."""
    return current in PLACE_HOLDING and target not in PLACE_HOLDING


@dataclass(frozen=True, slots=True)
class Stamps:
    """Which timestamps a move sets (each True one is set to the move's instant)."""

    invited: bool = False
    opted_in: bool = False
    started: bool = False
    waitlisted: bool = False
    ended: bool = False


def stamps_for(target: EnrolmentStatus) -> Stamps:
    """The timestamps a move into ``target`` sets."""
    if target is S.INVITED:
        return Stamps(invited=True)
    if target is S.OPTED_IN:
        return Stamps(opted_in=True)
    if target is S.ACTIVE:
        return Stamps(started=True)
    if target is S.WAITLISTED:
        return Stamps(waitlisted=True)
    if target in ENDED:
        return Stamps(ended=True)
    return Stamps()
