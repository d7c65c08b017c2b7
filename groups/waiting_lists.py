"""Places and waiting lists: which enrolments hold a place, and offering freed places in order.

Places held = opted in + active + invitations not yet expired (``groups.rules.enrolment``);
an expired invitation holds nothing from the instant it expires, whether or not anything
has run. Every write that takes or frees a place holds the group's lock (``lock_group``)
while it counts and writes, so capacity is never exceeded.
"""

from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from api.core.actor import Actor
from api.core.database import for_update, write_transaction
from api.core.errors import NotFound
from api.core.settings import get_settings
from api.identity import audit
from groups.group_services.invitations import WAITLIST_OFFER, queue_invitations
from groups.rules.enrolment import EnrolmentStatus as S
from groups.rules.groups import CLOSED
from groups.tables import Enrolment, EnrolmentTransition, Group

ENTITY = "enrolment"
SYSTEM_REASON = "A place became free: offered to the next on the waiting list."
# A waiting list is ordered by waitlisted_at; each newcomer's is at least this much after
# the last one's, so the order is total and the same as the order the writes happened in.
_QUEUE_STEP = timedelta(microseconds=1)


def invitation_expiry(now: datetime) -> datetime:
    """When an invitation sent at ``now`` expires (settings.groups.invitation_expiry_days)."""
    return now + timedelta(days=get_settings().groups.invitation_expiry_days)


def place_holding(group_id: UUID, *, now: datetime) -> Any:
    """The where-clause of a group's enrolments that hold a place at ``now``."""
    return (Enrolment.group == group_id) & (
        Enrolment.status.is_in([S.OPTED_IN.value, S.ACTIVE.value])
        | (
            (Enrolment.status == S.INVITED.value)
            # No expiry (never set by these services) never expires, as effective_status says.
            & ((Enrolment.invitation_expires_at > now) | Enrolment.invitation_expires_at.is_null())
        )
    )


async def places_held(group_id: UUID, *, now: datetime) -> int:
    """How many places of the group are held at ``now``."""
    return int(await Enrolment.count().where(place_holding(group_id, now=now)))


async def lock_group(group_id: UUID) -> dict[str, Any]:
    """Inside a write transaction: the group's status and capacity, its row locked (404)."""
    query = Group.select(Group.id, Group.status, Group.capacity).where(Group.id == group_id)
    row: dict[str, Any] | None = await for_update(query).first()
    if row is None:
        raise NotFound("No group with this id.")
    return row


async def next_queue_instant(group_id: UUID, now: datetime) -> datetime:
    """Inside the group's lock: the waitlisted_at a newcomer to its queue gets."""
    last = (
        await Enrolment.select(Enrolment.waitlisted_at)
        .where((Enrolment.group == group_id) & (Enrolment.waitlisted_at.is_not_null()))
        .order_by(Enrolment.waitlisted_at, ascending=False)
        .first()
    )
    if last is None or last["waitlisted_at"] is None or last["waitlisted_at"] < now:
        return now
    latest: datetime = last["waitlisted_at"]
    return latest + _QUEUE_STEP


async def fill_free_places(group_id: UUID, capacity: int, *, now: datetime) -> list[UUID]:
    """Inside a write transaction holding the group's lock: offer every free place in order.

    Each person offered a place is invited with a fresh expiry, with a transition row by
    the system, an audit entry and a place-offer message per consented channel. Answers
    the enrolment ids offered places.
    """
    free = capacity - await places_held(group_id, now=now)
    if free <= 0:
        return []
    queue = (
        await Enrolment.select(Enrolment.id)
        .where((Enrolment.group == group_id) & (Enrolment.status == S.WAITLISTED.value))
        .order_by(Enrolment.waitlisted_at, Enrolment.id)
        .limit(free)
    )
    offered = [UUID(str(row["id"])) for row in queue]
    if not offered:
        return []
    system = Actor.system()
    await Enrolment.update(
        {
            Enrolment.status: S.INVITED.value,
            Enrolment.invited_at: now,
            Enrolment.invitation_expires_at: invitation_expiry(now),
            Enrolment.updated_at: now,
            Enrolment.version: Enrolment.version + 1,
        }
    ).where(Enrolment.id.is_in(offered))
    await EnrolmentTransition.insert(
        *(
            EnrolmentTransition(
                enrolment=enrolment_id,
                from_status=S.WAITLISTED.value,
                to_status=S.INVITED.value,
                changed_by=None,
                changed_at=now,
                reason=SYSTEM_REASON,
            )
            for enrolment_id in offered
        )
    )
    for enrolment_id in offered:
        await audit.record(system, "enrolment.offer", ENTITY, enrolment_id, now=now)
    await queue_invitations(offered, template_key=WAITLIST_OFFER, now=now)
    return offered


async def offer_freed_places(group_id: UUID, *, now: datetime) -> list[UUID]:
    """Fill every free place of the group from its waiting list, in order (one transaction).

    Places free up when invitations expire, so a job calls this; it offers nothing for a
    completed or cancelled group. Answers the enrolment ids offered places.
    """
    async with write_transaction():
        group = await lock_group(group_id)
        if group["status"] in CLOSED:
            return []
        return await fill_free_places(group_id, group["capacity"], now=now)
