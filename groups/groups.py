"""Groups: create (plan frozen), edit with If-Match, list, and the detail in fixed queries.

Admins write; admins and supervisors read every group, facilitators the groups they run.
Scheduling (draft -> scheduled) and cancelling belong to the session calendar.
"""

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any
from uuid import UUID

from api.core.actor import Actor, Role
from api.core.database import write_transaction
from api.core.errors import Forbidden, InvalidInput, NotFound
from api.identity import audit
from api.identity.tables import StaffUser
from api.identity.versioning import require_current_version, write_versioned
from groups import waiting_lists
from groups.access import Side, require_group_access
from groups.courses import frozen_plan
from groups.errors import (
    ArchivedResource,
    CapacityBelowPlacesHeld,
    CapacityTooLarge,
    FacilitatorClash,
    StatusMoveNotAllowed,
)
from groups.facilitator_clashes import find_facilitator_clashes
from groups.rules import groups as rules
from groups.rules.groups import GroupStatus
from groups.schemas.groups import GroupCreate, GroupRead, GroupUpdate
from groups.tables import Course, Group, GroupFacilitator, GroupSession
from scheduling.booking_queries import service_zone
from scheduling.tables import Room

ENTITY = "group"
READERS = (Role.ADMIN, Role.SUPERVISOR, Role.FACILITATOR)
LIST_COLUMNS = (
    Group.id,
    Group.name,
    Group.course.as_alias("course_id"),
    Group.course.name.as_alias("course_name"),
    Group.venue.as_alias("venue_id"),
    Group.venue.name.as_alias("venue_name"),
    Group.room.as_alias("room_id"),
    Group.room.name.as_alias("room_name"),
    Group.first_session_date,
    Group.weekday,
    Group.start_time,
    Group.session_minutes,
    Group.capacity,
    Group.min_participants,
    Group.go_no_go_date,
    Group.status,
    Group.course_version,
    Group.language,
    Group.version,
    Group.created_at,
    Group.updated_at,
)


def require_admin(by: Actor) -> None:
    """Only admins (or the system) set up and edit groups."""
    if by.user_id is not None and not by.has_any(Role.ADMIN):
        raise Forbidden("Only admins set up and edit groups.")


def require_reader(by: Actor) -> None:
    """Any staff role reads groups (facilitators only their own)."""
    if by.user_id is not None and not by.has_any(*READERS):
        raise Forbidden("Your role does not allow this.")


def sees_every_group(by: Actor) -> bool:
    """Admins, supervisors and the system see every group; facilitators their own."""
    return by.user_id is None or by.has_any(Role.ADMIN, Role.SUPERVISOR)


def _invalid(field: str, reason: str) -> InvalidInput:
    return InvalidInput([{"field": field, "reason": reason}])


async def check_facilitators(ids: Sequence[UUID]) -> None:
    """400 naming facilitator_ids unless each is a distinct, active facilitator (two or more)."""
    problem = rules.facilitator_problem(ids)
    if problem is not None:
        raise _invalid("facilitator_ids", problem)
    rows = await StaffUser.select(StaffUser.id, StaffUser.roles, StaffUser.is_active).where(
        StaffUser.id.is_in(list(ids))
    )
    usable = {
        UUID(str(row["id"]))
        for row in rows
        if row["is_active"] and Role.FACILITATOR.value in (row["roles"] or [])
    }
    unusable = [str(staff_id) for staff_id in ids if staff_id not in usable]
    if unusable:
        raise InvalidInput(
            [
                {
                    "field": "facilitator_ids",
                    "reason": "each must be an active staff member with the facilitator role",
                }
            ],
            detail=f"facilitator_ids: not active facilitators: {', '.join(unusable)}",
        )


async def _course(course_id: UUID) -> dict[str, Any]:
    row: dict[str, Any] | None = (
        await Course.select(
            Course.id,
            Course.name,
            Course.version,
            Course.min_group_size,
            Course.max_group_size,
            Course.default_session_minutes,
            Course.language,
            Course.session_plan,
            Course.is_archived,
        )
        .where(Course.id == course_id)
        .output(load_json=True)
        .first()
    )
    if row is None:
        raise NotFound("No course with this id.", field="course_id")
    if row["is_archived"]:
        raise ArchivedResource("The course is archived: unarchive it first.", field="course_id")
    return row


async def _room(room_id: UUID) -> dict[str, Any]:
    row: dict[str, Any] | None = (
        await Room.select(
            Room.id,
            Room.capacity,
            Room.is_archived,
            Room.venue.as_alias("venue_id"),
            Room.venue.town.as_alias("venue_town"),
            Room.venue.is_archived.as_alias("venue_archived"),
        )
        .where(Room.id == room_id)
        .first()
    )
    if row is None:
        raise NotFound("No room with this id.", field="room_id")
    if row["is_archived"] or row["venue_archived"]:
        which = "venue" if row["venue_archived"] else "room"
        raise ArchivedResource(f"The {which} is archived.", field="room_id")
    return row


def _check_sizes(capacity: int, minimum: int, *, room_capacity: int, course_max: int) -> None:
    problem = rules.capacity_problem(capacity, room_capacity=room_capacity, course_max=course_max)
    if problem is not None:
        raise CapacityTooLarge(f"capacity {problem}.", field="capacity")
    if minimum > capacity:
        raise _invalid("min_participants", "must not exceed capacity")


def _check_go_no_go(go_no_go: date, first_session: date) -> None:
    if go_no_go >= first_session:
        raise _invalid("go_no_go_date", "must be before the first session date")


async def create_group(new: GroupCreate, *, by: Actor, now: datetime) -> GroupRead:
    """A draft group with the course's plan frozen into it; audited."""
    require_admin(by)
    if new.first_session_date < now.astimezone(service_zone()).date():
        raise _invalid("first_session_date", "is in the past")
    async with write_transaction():
        course = await _course(new.course_id)
        room = await _room(new.room_id)
        await check_facilitators(new.facilitator_ids)
        capacity = new.capacity or min(room["capacity"], course["max_group_size"])
        minimum = new.min_participants or min(course["min_group_size"], capacity)
        _check_sizes(
            capacity, minimum, room_capacity=room["capacity"], course_max=course["max_group_size"]
        )
        go_no_go = new.go_no_go_date or rules.default_go_no_go_date(new.first_session_date)
        _check_go_no_go(go_no_go, new.first_session_date)
        name = new.name or rules.default_name(
            course["name"], room["venue_town"], new.first_session_date
        )
        group = Group(
            course=course["id"],
            name=name,
            venue=room["venue_id"],
            room=room["id"],
            first_session_date=new.first_session_date,
            weekday=new.first_session_date.weekday(),
            start_time=new.start_time,
            session_minutes=new.session_minutes or course["default_session_minutes"],
            capacity=capacity,
            min_participants=minimum,
            go_no_go_date=go_no_go,
            status=GroupStatus.DRAFT.value,
            session_plan=frozen_plan(course),
            course_version=course["version"],
            language=course["language"],
            created_at=now,
            updated_at=now,
        )
        await group.save()
        await GroupFacilitator.insert(
            *(GroupFacilitator(group=group.id, staff=s) for s in new.facilitator_ids)
        )
        await audit.record(by, "group.create", ENTITY, group.id, now=now)
        return await group_row(group.id)


async def group_row(group_id: UUID) -> GroupRead:
    """One group as lists show it (404 if there is none)."""
    row = await Group.select(*LIST_COLUMNS).where(Group.id == group_id).first()
    if row is None:
        raise NotFound("No group with this id.")
    return GroupRead.model_validate(row)


async def _edit_context(group_id: UUID) -> dict[str, Any]:
    query = Group.select(
        Group.status,
        Group.capacity,
        Group.min_participants,
        Group.first_session_date,
        Group.room.capacity.as_alias("room_capacity"),
        Group.course.max_group_size.as_alias("course_max"),
    ).where(Group.id == group_id)
    row: dict[str, Any] | None = await query.first()
    if row is None:
        raise NotFound("No group with this id.")
    return row


async def _refuse_clashes(group_id: UUID, added: Sequence[UUID], *, now: datetime) -> None:
    """409 naming every clash: a new facilitator busy elsewhere at a session still to come."""
    sessions = await GroupSession.select(GroupSession.starts_at, GroupSession.ends_at).where(
        (GroupSession.group == group_id)
        & (GroupSession.status != "cancelled")
        & (GroupSession.ends_at > now)
    )
    slots = [(row["starts_at"], row["ends_at"]) for row in sessions]
    # Locked like a schedule commit, so a concurrent one for the same people waits for us.
    clashes = await find_facilitator_clashes(added, slots, excluding_group=group_id, lock=True)
    if clashes:
        raise FacilitatorClash(
            "A new co-facilitator already runs another group's session at one of this "
            "group's session times.",
            field="facilitator_ids",
            clashes=[
                {
                    "staff_id": str(clash.staff_id),
                    "group_id": str(clash.group_id),
                    "group_name": clash.group_name,
                    "session_id": str(clash.session_id),
                    "starts_at": clash.starts_at.isoformat(),
                    "ends_at": clash.ends_at.isoformat(),
                }
                for clash in clashes
            ],
        )


async def _replace_facilitators(group_id: UUID, ids: Sequence[UUID], *, now: datetime) -> bool:
    current = {
        UUID(str(row["staff"]))
        for row in await GroupFacilitator.select(GroupFacilitator.staff).where(
            GroupFacilitator.group == group_id
        )
    }
    wanted = set(ids)
    if wanted == current:
        return False
    added = [staff_id for staff_id in ids if staff_id not in current]
    if added:
        await _refuse_clashes(group_id, added, now=now)
    removed = list(current - wanted)
    if removed:
        await GroupFacilitator.delete().where(
            (GroupFacilitator.group == group_id) & GroupFacilitator.staff.is_in(removed)
        )
    if added:
        await GroupFacilitator.insert(*(GroupFacilitator(group=group_id, staff=s) for s in added))
    return True


async def update_group(
    group_id: UUID,
    changes: GroupUpdate,
    *,
    expected_version: int | None,
    by: Actor,
    now: datetime,
) -> GroupRead:
    """Edit a group if ``expected_version`` is current (412 stale, 428 missing)."""
    require_admin(by)
    if changes.facilitator_ids is not None:
        problem = rules.facilitator_problem(changes.facilitator_ids)
        if problem is not None:
            raise _invalid("facilitator_ids", problem)
    async with write_transaction():
        await require_current_version(Group, group_id, expected_version)
        current = await _edit_context(group_id)
        await _check_edit(group_id, changes, current, now=now)
        sent = changes.model_dump(exclude_none=True, exclude={"facilitator_ids"})
        values: dict[Any, Any] = {
            getattr(Group, name): value.value if name == "status" else value
            for name, value in sent.items()
        }
        if changes.facilitator_ids is not None:
            await check_facilitators(changes.facilitator_ids)
            if await _replace_facilitators(group_id, changes.facilitator_ids, now=now):
                values[Group.updated_at] = now  # a new version, though no column changed
        if await write_versioned(
            Group, group_id, values, expected_version=expected_version, now=now
        ):
            await audit.record(by, "group.update", ENTITY, group_id, now=now)
        capacity = changes.capacity or current["capacity"]
        if capacity > current["capacity"] and current["status"] not in rules.CLOSED:
            await waiting_lists.fill_free_places(group_id, capacity, now=now)
        return await group_row(group_id)


async def _check_edit(
    group_id: UUID, changes: GroupUpdate, current: dict[str, Any], *, now: datetime
) -> None:
    status = GroupStatus(current["status"])
    if changes.status is not None and not rules.is_allowed_edit_move(status, changes.status):
        raise StatusMoveNotAllowed(
            f"A group cannot move from {status.value} to {changes.status.value} by an edit.",
            from_status=status.value,
            to_status=changes.status.value,
        )
    capacity = changes.capacity or current["capacity"]
    minimum = changes.min_participants or current["min_participants"]
    if changes.capacity is not None:
        held = await waiting_lists.places_held(group_id, now=now)
        if changes.capacity < held:
            raise CapacityBelowPlacesHeld(
                f"{held} places are held: capacity cannot go below that.",
                field="capacity",
                places_held=held,
            )
    if changes.capacity is not None or changes.min_participants is not None:
        _check_sizes(
            capacity,
            minimum,
            room_capacity=current["room_capacity"],
            course_max=current["course_max"],
        )
    if changes.go_no_go_date is not None:
        _check_go_no_go(changes.go_no_go_date, current["first_session_date"])


async def require_read_access(group_id: UUID, by: Actor) -> None:
    """404 for no such group, 403 for a facilitator of other groups only."""
    require_reader(by)
    await require_group_access(group_id, by, Side.OPERATIONAL)
