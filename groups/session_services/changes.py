"""Moving and cancelling one session, and cancelling a whole group.

Each is one write transaction: the If-Match check locks the row, the room booking moves
or is cancelled through the booking service (every booking rule re-checked on a move),
the session's iCalendar sequence is raised, the change is audited and every patient
holding a place is queued a message through the outbox.

Pending outbox messages already queued about a cancelled group (reminders) are left as
they are: the reminders issue's delivery job must skip messages about cancelled
sessions when it sends.
"""

from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from asyncpg.exceptions import ExclusionViolationError  # type: ignore[import-untyped]

from api.core.actor import Actor
from api.core.database import write_transaction
from api.core.errors import InvalidInput, NotFound
from api.identity import audit
from api.identity.versioning import require_current_version
from groups import session_notifications as notify
from groups.facilitator_clashes import find_facilitator_clashes
from groups.schemas.sessions import CancelRequest, GroupCancelled, SessionMove, SessionRead
from groups.session_errors import (
    FacilitatorBusy,
    GroupNotCancellable,
    SessionCancelled,
    SessionOver,
)
from groups.session_services.common import (
    CANCELLED,
    GROUP_ENTITY,
    SCHEDULED,
    SESSION_ENTITY,
    as_uuid,
    require_admin,
    session_read,
    session_rows,
    utc,
)
from groups.supervision_flags import refresh_group_clinical_flags
from groups.tables import Group, GroupFacilitator, GroupSession
from scheduling.booking_queries import service_zone
from scheduling.bookings import (
    BookingCancelled,
    book_in_transaction,
    cancel_in_transaction,
    check_slot,
    move_in_transaction,
    refused_by_constraint,
    to_utc,
)
from scheduling.outbox import cancel_pending_for

FINISHED = ("completed", CANCELLED)


async def _session(session_id: UUID) -> dict[str, Any]:
    rows = await session_rows(GroupSession.id == session_id)
    if not rows:
        raise NotFound("No session with this id.")
    return rows[0]


def _require_changeable(row: dict[str, Any], now: datetime) -> None:
    if row["status"] == CANCELLED:
        raise SessionCancelled("This session is cancelled; it stays as history.")
    if row["starts_at"] <= now:
        raise SessionOver("This session has already started; record what happened in its register.")


async def _facilitators(group_id: UUID) -> list[UUID]:
    rows = await GroupFacilitator.select(GroupFacilitator.staff).where(
        GroupFacilitator.group == group_id
    )
    return [as_uuid(row["staff"]) for row in rows]


async def _ensure_facilitators_free(
    row: dict[str, Any], starts_at: datetime, ends_at: datetime
) -> None:
    clashes = await find_facilitator_clashes(
        await _facilitators(row["group_id"]),
        [(starts_at, ends_at)],
        excluding_sessions=[row["id"]],
        lock=True,
    )
    if clashes:
        first = clashes[0]
        raise FacilitatorBusy(
            f"{first.staff_name} already runs a session of {first.group_name} then "
            f"(session {first.session_id}).",
            clashes=[
                {
                    "staff_id": str(c.staff_id),
                    "staff_name": c.staff_name,
                    "clashing_group_id": str(c.group_id),
                    "clashing_group_name": c.group_name,
                    "clashing_session_id": str(c.session_id),
                    "clashing_starts_at": utc(c.starts_at).isoformat().replace("+00:00", "Z"),
                    "clashing_ends_at": utc(c.ends_at).isoformat().replace("+00:00", "Z"),
                }
                for c in clashes
            ],
        )


async def _move_booking(
    row: dict[str, Any], starts_at: datetime, ends_at: datetime, *, by: Actor, now: datetime
) -> UUID:
    if row["booking_id"] is not None:
        try:
            await move_in_transaction(row["booking_id"], starts_at, ends_at, by=by, now=now)
        except BookingCancelled:
            pass  # someone cancelled the room booking itself: book the room afresh
        else:
            return as_uuid(row["booking_id"])
    booking = await book_in_transaction(
        row["room_id"],
        starts_at,
        ends_at,
        purpose=f"Group session {row['number']}",
        subject_kind=SESSION_ENTITY,
        subject_id=str(row["id"]),
        by=by,
        now=now,
    )
    return booking.id


async def _cancel_pending_about(group_id: UUID, session_id: UUID, *, now: datetime) -> None:
    """Reminders, nudges and earlier move notices for the session's old time: not to be sent.

    The reminders job queues fresh ones for a moved session's new time (its sequence is in
    their keys).
    """
    await cancel_pending_for(f"group:{group_id}:session:{session_id}:", now=now)
    await cancel_pending_for(f"session-moved:{session_id}:", now=now)


async def move_session(
    session_id: UUID,
    changes: SessionMove,
    *,
    expected_version: int | None,
    by: Actor,
    now: datetime,
) -> SessionRead:
    """Move a future session (its booking with it); clashes refused; place holders told."""
    require_admin(by)
    zone = service_zone()
    starts_at = to_utc("starts_at", changes.starts_at, zone)
    if starts_at <= now:
        raise InvalidInput([{"field": "starts_at", "reason": "must be in the future"}])
    target: tuple[UUID, datetime, datetime, UUID | None] | None = None
    try:
        async with write_transaction():
            await require_current_version(GroupSession, session_id, expected_version)
            row = await _session(session_id)
            _require_changeable(row, now)
            length = (
                timedelta(minutes=changes.duration_minutes)
                if changes.duration_minutes is not None
                else row["ends_at"] - row["starts_at"]
            )
            ends_at = starts_at + length
            check_slot(starts_at, ends_at, zone)
            if (starts_at, ends_at) == (row["starts_at"], row["ends_at"]):
                return session_read(row, zone)  # nothing to move, nothing to tell
            target = (row["room_id"], starts_at, ends_at, row["booking_id"])
            # The booking first: it locks the room, and the staff lock comes after it.
            booking_id = await _move_booking(row, starts_at, ends_at, by=by, now=now)
            await _ensure_facilitators_free(row, starts_at, ends_at)
            sequence = row["sequence"] + 1
            await GroupSession.update(
                {
                    GroupSession.starts_at: starts_at,
                    GroupSession.ends_at: ends_at,
                    GroupSession.booking: booking_id,
                    GroupSession.sequence: sequence,
                    GroupSession.version: GroupSession.version + 1,
                    GroupSession.updated_at: now,
                }
            ).where(GroupSession.id == session_id)
            await audit.record(by, f"{SESSION_ENTITY}.move", SESSION_ENTITY, session_id, now=now)
            # Scores are ordered by session time: a move can change which is first or latest.
            await refresh_group_clinical_flags(row["group_id"], now=now)
            await _cancel_pending_about(row["group_id"], session_id, now=now)
            await notify.session_moved(
                row["group_id"], session_id, sequence, starts_at=starts_at, zone=zone, now=now
            )
    except ExclusionViolationError:
        if target is None:  # pragma: no cover - only the booking move can overlap
            raise
        room_id, start, end, other = target
        raise await refused_by_constraint(room_id, start, end, other_than=other) from None
    return session_read(await _session(session_id), zone)


async def cancel_session(
    session_id: UUID,
    request: CancelRequest,
    *,
    expected_version: int | None,
    by: Actor,
    now: datetime,
) -> SessionRead:
    """Cancel a future session: its booking is cancelled (kept), place holders are told.

    The reason is kept on the session for staff and never sent to patients. Reminders and
    nudges still pending for the session are cancelled with it.
    """
    require_admin(by)
    zone = service_zone()
    async with write_transaction():
        await require_current_version(GroupSession, session_id, expected_version)
        row = await _session(session_id)
        _require_changeable(row, now)
        if row["booking_id"] is not None:
            await cancel_in_transaction([row["booking_id"]], by=by, now=now)
        await GroupSession.update(
            {
                GroupSession.status: CANCELLED,
                GroupSession.cancel_reason: request.reason,
                GroupSession.cancelled_at: now,
                GroupSession.sequence: GroupSession.sequence + 1,
                GroupSession.version: GroupSession.version + 1,
                GroupSession.updated_at: now,
            }
        ).where(GroupSession.id == session_id)
        await _cancel_pending_about(row["group_id"], session_id, now=now)
        await audit.record(by, f"{SESSION_ENTITY}.cancel", SESSION_ENTITY, session_id, now=now)
        await notify.session_cancelled(
            row["group_id"], session_id, starts_at=row["starts_at"], zone=zone, now=now
        )
    return session_read(await _session(session_id), zone)


async def cancel_group(
    group_id: UUID,
    request: CancelRequest,
    *,
    expected_version: int | None,
    by: Actor,
    now: datetime,
) -> GroupCancelled:
    """Cancel a group: every future session and its booking cancelled, place holders told once.

    The reason is kept on the group and its sessions. Every message still pending about
    the group (reminders, nudges, invitations) is cancelled. Enrolments are left as they
    are (the groups service ends them).
    """
    require_admin(by)
    zone = service_zone()
    async with write_transaction():
        await require_current_version(Group, group_id, expected_version)
        group: dict[str, Any] | None = (
            await Group.select(Group.status, Group.version).where(Group.id == group_id).first()
        )
        if group is None:  # pragma: no cover - the version check has just found it
            raise NotFound("No group with this id.")
        if group["status"] in FINISHED:
            raise GroupNotCancellable(
                f"The group is {group['status']}.", group_status=group["status"]
            )
        future = await session_rows(
            GroupSession.group == group_id,
            GroupSession.status == SCHEDULED,
            GroupSession.starts_at > now,
        )
        ids = [as_uuid(row["id"]) for row in future]
        bookings = [as_uuid(row["booking_id"]) for row in future if row["booking_id"]]
        await cancel_in_transaction(bookings, by=by, now=now)
        if ids:
            await GroupSession.update(
                {
                    GroupSession.status: CANCELLED,
                    GroupSession.cancel_reason: request.reason,
                    GroupSession.cancelled_at: now,
                    GroupSession.sequence: GroupSession.sequence + 1,
                    GroupSession.version: GroupSession.version + 1,
                    GroupSession.updated_at: now,
                }
            ).where(GroupSession.id.is_in(ids))
        for session_id in ids:
            await audit.record(by, f"{SESSION_ENTITY}.cancel", SESSION_ENTITY, session_id, now=now)
        await Group.update(
            {
                Group.status: CANCELLED,
                Group.cancel_reason: request.reason,
                Group.cancelled_at: now,
                Group.version: Group.version + 1,
                Group.updated_at: now,
            }
        ).where(Group.id == group_id)
        await cancel_pending_for(f"group:{group_id}:", now=now)
        await audit.record(by, f"{GROUP_ENTITY}.cancel", GROUP_ENTITY, group_id, now=now)
        if future:
            next_start = min(row["starts_at"] for row in future)
            await notify.group_cancelled(group_id, next_starts_at=next_start, zone=zone, now=now)
    return GroupCancelled(
        group_id=group_id,
        status=CANCELLED,
        version=group["version"] + 1,
        cancelled_session_ids=ids,
    )
