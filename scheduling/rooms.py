"""Rooms: create in a venue, read, list with filters, edit with If-Match, archive.

A room of an archived venue counts as archived in default lists (the venue takes no
bookings), and cannot be unarchived until its venue is.
"""

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from api.core.actor import Actor
from api.core.database import is_postgres, write_transaction
from api.core.errors import NotFound
from api.core.schemas import DEFAULT_PAGE_SIZE, Page, encode_cursor
from api.identity import audit
from api.identity.versioning import require_current_version, write_versioned
from scheduling.errors import Archived
from scheduling.schemas.rooms import Equipment, RoomCreate, RoomRead, RoomUpdate
from scheduling.tables import Room
from scheduling.venues import after_name_and_id, require_admin, require_reader, require_venue

ENTITY = "room"
_READ_COLUMNS = (
    Room.id,
    Room.venue.as_alias("venue_id"),
    Room.venue.name.as_alias("venue_name"),
    Room.venue.is_archived.as_alias("venue_is_archived"),
    Room.name,
    Room.capacity,
    Room.equipment,
    Room.layout_notes,
    Room.is_archived,
    Room.version,
    Room.created_at,
    Room.updated_at,
)


def _has_equipment(item: Equipment) -> Any:
    if is_postgres():
        return Room.equipment.any(item.value)
    # SQLite keeps the array as JSON text: match the quoted value, not a substring.
    return Room.equipment.like(f'%"{item.value}"%')


async def _room_row(room_id: UUID) -> dict[str, Any]:
    row: dict[str, Any] | None = await Room.select(*_READ_COLUMNS).where(Room.id == room_id).first()
    if row is None:
        raise NotFound("No room with this id.")
    return row


async def create_room(venue_id: UUID, new: RoomCreate, *, by: Actor, now: datetime) -> RoomRead:
    """Add a room to a venue; an archived venue gets no new rooms (409)."""
    require_admin(by)
    async with write_transaction():
        await require_venue(venue_id, active=True)
        room = Room(
            venue=venue_id,
            name=new.name,
            capacity=new.capacity,
            equipment=[item.value for item in new.equipment],
            layout_notes=new.layout_notes,
            created_at=now,
            updated_at=now,
        )
        await room.save()
        await audit.record(by, "room.create", ENTITY, room.id, now=now)
    return RoomRead.model_validate(await _room_row(room.id))


async def get_room(room_id: UUID, *, by: Actor) -> RoomRead:
    """One room, archived or not."""
    require_reader(by)
    return RoomRead.model_validate(await _room_row(room_id))


async def list_rooms(
    *,
    by: Actor,
    venue_id: UUID | None = None,
    capacity_min: int | None = None,
    equipment: Sequence[Equipment] = (),
    include_archived: bool = False,
    cursor: str | None = None,
    limit: int = DEFAULT_PAGE_SIZE,
) -> Page[RoomRead]:
    """Rooms by name then id, a page at a time; every equipment item asked for must be there.

    Without ``include_archived``, archived rooms and the rooms of archived venues are left out.
    """
    require_reader(by)
    conditions: list[Any] = []
    if venue_id is not None:
        await require_venue(venue_id)
        conditions.append(Room.venue == venue_id)
    if not include_archived:
        venue_archived: Any = Room.venue.is_archived
        conditions.extend([Room.is_archived.eq(False), venue_archived.eq(False)])
    if capacity_min is not None:
        conditions.append(Room.capacity >= capacity_min)
    conditions.extend(_has_equipment(item) for item in sorted(set(equipment)))
    if cursor is not None:
        conditions.append(after_name_and_id(Room, cursor))
    query = Room.select(*_READ_COLUMNS).order_by(Room.name, Room.id).limit(limit + 1)
    if conditions:
        query = query.where(*conditions)
    rows = await query
    items = [RoomRead.model_validate(row) for row in rows[:limit]]
    last = items[-1] if items else None
    next_cursor = encode_cursor(last.name, str(last.id)) if last and len(rows) > limit else None
    return Page[RoomRead](items=items, next_cursor=next_cursor)


async def update_room(
    room_id: UUID, changes: RoomUpdate, *, expected_version: int | None, by: Actor, now: datetime
) -> RoomRead:
    """Edit a room if ``expected_version`` is still current (else 412; 428 without one)."""
    require_admin(by)
    values: dict[Any, Any] = {
        getattr(Room, name): value
        for name, value in changes.model_dump(mode="json", exclude_none=True).items()
    }
    async with write_transaction():
        if await write_versioned(Room, room_id, values, expected_version=expected_version, now=now):
            await audit.record(by, "room.update", ENTITY, room_id, now=now)
    return RoomRead.model_validate(await _room_row(room_id))


async def set_archived(
    room_id: UUID, *, archived: bool, expected_version: int | None, by: Actor, now: datetime
) -> RoomRead:
    """Archive a room (history kept, no new bookings) or unarchive it (its venue must be active)."""
    require_admin(by)
    async with write_transaction():
        await require_current_version(Room, room_id, expected_version)
        if not archived:
            venue = (
                await Room.select(Room.venue.is_archived.as_alias("venue_is_archived"))
                .where(Room.id == room_id)
                .first()
            )
            if venue is not None and venue["venue_is_archived"]:
                raise Archived("The room's venue is archived: unarchive the venue first.")
        await Room.update(
            {Room.is_archived: archived, Room.updated_at: now, Room.version: Room.version + 1}
        ).where(Room.id == room_id)
        action = "room.archive" if archived else "room.unarchive"
        await audit.record(by, action, ENTITY, room_id, now=now)
    return RoomRead.model_validate(await _room_row(room_id))
