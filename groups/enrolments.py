"""Enrolments: enrol (invited or waitlisted) and move through the lifecycle.

Capacity is never exceeded: every write that takes or frees a place locks the group row
first (FOR UPDATE on PostgreSQL; SQLite's IMMEDIATE write transaction already holds the
single write lock), counts the places held and writes in the same transaction. Places and
the waiting list are ``groups.waiting_lists``; ``offer_freed_places`` is re-exported here.
"""

from datetime import datetime
from typing import Any
from uuid import UUID

from api.core.actor import Actor, Role
from api.core.database import (
    CONSTRAINT_ERRORS,
    is_unique_violation,
    write_transaction,
)
from api.core.errors import Forbidden, NotFound
from api.identity import audit
from api.identity.versioning import require_current_version
from groups.access import facilitates
from groups.errors import (
    AlreadyEnrolled,
    GroupClosed,
    InvitationExpired,
    NoPlaceFree,
    TransitionNotAllowed,
)
from groups.group_services.invitations import INVITATION, WAITLIST_OFFER, queue_invitations
from groups.rules import enrolment as rules
from groups.rules.enrolment import EnrolmentStatus as S
from groups.rules.groups import CLOSED
from groups.schemas.enrolments import EnrolmentCreate, EnrolmentRead, TransitionCreate
from groups.tables import Enrolment, EnrolmentTransition, Patient
from groups.waiting_lists import (
    fill_free_places,
    invitation_expiry,
    lock_group,
    next_queue_instant,
    places_held,
)
from groups.waiting_lists import offer_freed_places as offer_freed_places

ENTITY = "enrolment"


async def _transition_row(
    enrolment_id: UUID,
    from_status: str | None,
    to_status: str,
    *,
    by: Actor,
    now: datetime,
    reason: str = "",
) -> None:
    await EnrolmentTransition.insert(
        EnrolmentTransition(
            enrolment=enrolment_id,
            from_status=from_status,
            to_status=to_status,
            changed_by=by.user_id,
            changed_at=now,
            reason=reason,
        )
    )


def _require_admin(by: Actor) -> None:
    if by.user_id is not None and not by.has_any(Role.ADMIN):
        raise Forbidden("Only admins enrol patients.")


async def _existing_enrolment(group_id: UUID, patient_id: UUID) -> UUID | None:
    row = (
        await Enrolment.select(Enrolment.id)
        .where((Enrolment.group == group_id) & (Enrolment.patient == patient_id))
        .first()
    )
    return None if row is None else UUID(str(row["id"]))


def _already(existing: UUID) -> AlreadyEnrolled:
    return AlreadyEnrolled(
        "The patient is already enrolled in this group.", existing_enrolment_id=str(existing)
    )


async def enrol(group_id: UUID, new: EnrolmentCreate, *, by: Actor, now: datetime) -> EnrolmentRead:
    """Invite the patient if a place is free, else add them to the waiting list."""
    _require_admin(by)
    try:
        async with write_transaction():
            group = await lock_group(group_id)
            if group["status"] in CLOSED:
                raise GroupClosed(f"The group is {group['status']}: it takes no enrolments.")
            if not await Patient.exists().where(Patient.id == new.patient_id):
                raise NotFound("No patient with this id.", field="patient_id")
            existing = await _existing_enrolment(group_id, new.patient_id)
            if existing is not None:
                raise _already(existing)
            enrolment = Enrolment(group=group_id, patient=new.patient_id, created_at=now)
            if await places_held(group_id, now=now) < group["capacity"]:
                enrolment.status = S.INVITED.value
                enrolment.invited_at = now
                enrolment.invitation_expires_at = invitation_expiry(now)
            else:
                enrolment.status = S.WAITLISTED.value
                enrolment.waitlisted_at = await next_queue_instant(group_id, now)
            enrolment.updated_at = now
            await enrolment.save()
            await _transition_row(enrolment.id, None, enrolment.status, by=by, now=now)
            await audit.record(by, "enrolment.create", ENTITY, enrolment.id, now=now)
            if enrolment.status == S.INVITED.value:
                await queue_invitations([enrolment.id], template_key=INVITATION, now=now)
    except CONSTRAINT_ERRORS as error:
        if not is_unique_violation(error):
            raise
        winner = await _existing_enrolment(group_id, new.patient_id)
        if winner is None:
            raise
        raise _already(winner) from None
    return await _read_one(enrolment.id, now=now)


_ENROLMENT_COLUMNS = (
    Enrolment.id,
    Enrolment.group.as_alias("group_id"),
    Enrolment.patient.as_alias("patient_id"),
    Enrolment.patient.given_name.as_alias("given_name"),
    Enrolment.patient.family_name.as_alias("family_name"),
    Enrolment.patient.preferred_name.as_alias("preferred_name"),
    Enrolment.status,
    Enrolment.invited_at,
    Enrolment.invitation_expires_at,
    Enrolment.opted_in_at,
    Enrolment.started_at,
    Enrolment.waitlisted_at,
    Enrolment.ended_at,
    Enrolment.end_reason,
    Enrolment.version,
    Enrolment.created_at,
    Enrolment.updated_at,
)


def enrolment_read(row: dict[str, Any], *, now: datetime) -> EnrolmentRead:
    """A row of ``_ENROLMENT_COLUMNS`` as read, with its effective status."""
    status = rules.effective_status(row["status"], row["invitation_expires_at"], now=now)
    return EnrolmentRead.model_validate({**row, "status": status})


def enrolment_columns() -> tuple[Any, ...]:
    """The columns an EnrolmentRead is built from (patient names joined)."""
    return _ENROLMENT_COLUMNS


async def _read_one(enrolment_id: UUID, *, now: datetime) -> EnrolmentRead:
    row = await Enrolment.select(*_ENROLMENT_COLUMNS).where(Enrolment.id == enrolment_id).first()
    if row is None:
        raise NotFound("No enrolment with this id.")
    return enrolment_read(row, now=now)


async def group_of(enrolment_id: UUID) -> UUID:
    """The group an enrolment belongs to (404 if there is no such enrolment)."""
    row = await Enrolment.select(Enrolment.group).where(Enrolment.id == enrolment_id).first()
    if row is None:
        raise NotFound("No enrolment with this id.")
    return UUID(str(row["group"]))


def _refuse_move(current: S, target: S) -> None:
    if target in rules.OWN_ROUTE:
        raise TransitionNotAllowed(
            "A step-up records where the patient goes: use POST "
            "/api/v1/enrolments/{id}/step-up with the destination and reason.",
            from_status=current.value,
            to_status=target.value,
            allowed=[move.value for move in rules.allowed_moves(current)],
        )
    if target is S.OPTED_IN and current is S.EXPIRED:
        raise InvitationExpired(
            "The invitation expired: re-invite the patient if a place is free.",
            from_status=current.value,
            to_status=target.value,
        )
    if not rules.is_allowed(current, target):
        allowed = [move.value for move in rules.allowed_moves(current)]
        raise TransitionNotAllowed(
            f"An enrolment cannot move from {current.value} to {target.value}.",
            from_status=current.value,
            to_status=target.value,
            allowed=allowed,
        )


def _changes(target: S, reason: str, now: datetime) -> dict[Any, Any]:
    stamps = rules.stamps_for(target)
    values: dict[Any, Any] = {Enrolment.status: target.value}
    if stamps.invited:
        values[Enrolment.invited_at] = now
        values[Enrolment.invitation_expires_at] = invitation_expiry(now)
    if stamps.opted_in:
        values[Enrolment.opted_in_at] = now
    if stamps.started:
        values[Enrolment.started_at] = now
    if stamps.waitlisted:
        values[Enrolment.waitlisted_at] = now
    if stamps.ended:
        values[Enrolment.ended_at] = now
        values[Enrolment.end_reason] = reason
    return values


async def _require_transition_rights(group_id: UUID, by: Actor) -> None:
    """Admins move any enrolment on; a facilitator those of the groups they run."""
    if by.user_id is None or by.has_any(Role.ADMIN):
        return
    if by.has_any(Role.FACILITATOR) and await facilitates(by, group_id):
        return
    raise Forbidden("Only admins and the group's facilitators change enrolments.")


async def transition(
    enrolment_id: UUID,
    move: TransitionCreate,
    *,
    expected_version: int | None,
    by: Actor,
    now: datetime,
) -> EnrolmentRead:
    """Move an enrolment on if the table allows it; a freed place goes to the next waiting."""
    group_id = await group_of(enrolment_id)
    await _require_transition_rights(group_id, by)
    target = move.to
    async with write_transaction():
        group = await lock_group(group_id)
        await require_current_version(Enrolment, enrolment_id, expected_version)
        row = (
            await Enrolment.select(Enrolment.status, Enrolment.invitation_expires_at)
            .where(Enrolment.id == enrolment_id)
            .first()
        )
        if row is None:
            raise NotFound("No enrolment with this id.")
        current = rules.effective_status(row["status"], row["invitation_expires_at"], now=now)
        _refuse_move(current, target)
        if rules.needs_free_place(current, target):
            if group["status"] in CLOSED:
                raise GroupClosed(f"The group is {group['status']}: it takes no enrolments.")
            if await places_held(group_id, now=now) >= group["capacity"]:
                raise NoPlaceFree("Every place is held: the patient stays where they are.")
        values = _changes(target, move.reason, now)
        if target is S.WAITLISTED:
            values[Enrolment.waitlisted_at] = await next_queue_instant(group_id, now)
        values[Enrolment.updated_at] = now
        values[Enrolment.version] = Enrolment.version + 1
        await Enrolment.update(values).where(Enrolment.id == enrolment_id)
        await _transition_row(
            enrolment_id, current.value, target.value, by=by, now=now, reason=move.reason
        )
        await audit.record(by, f"enrolment.{target.value}", ENTITY, enrolment_id, now=now)
        if target is S.INVITED:
            key = WAITLIST_OFFER if current is S.WAITLISTED else INVITATION
            await queue_invitations([enrolment_id], template_key=key, now=now)
        if rules.frees_place(current, target) and group["status"] not in CLOSED:
            await fill_free_places(group_id, group["capacity"], now=now)
    return await _read_one(enrolment_id, now=now)
