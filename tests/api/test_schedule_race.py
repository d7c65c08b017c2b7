"""PostgreSQL: a booking that races past the schedule's checks is refused by the exclusion
constraint, and the whole schedule rolls back with the usual 409 naming the clash."""

import asyncio
import uuid
from datetime import UTC, datetime

import asyncpg
import httpx
import pytest

from api.core.actor import Role
from api.core.settings import get_settings
from groups.tables import Group, GroupSession
from scheduling.tables import RoomBooking
from tests.factories import StaffFactory
from tests.group_factories import make_group
from tests.pg_locks import wait_until_blocked
from tests.scheduling_factories import make_room

_INSERT = (
    "INSERT INTO room_booking (id, room, starts_at, ends_at, purpose, status) "
    "VALUES ($1, $2, $3, $4, 'raw', 'confirmed')"
)


@pytest.mark.postgres_only
async def test_commit_refused_by_the_constraint_rolls_back_and_names_the_clash(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    room = await make_room()
    group = await make_group(room=room)  # Mondays 10:00-11:30 from 11 January 2027
    other = await asyncpg.connect(get_settings().database.url)
    raw_id = uuid.uuid4()
    try:
        # Another process holds an uncommitted row overlapping session 3: the schedule's
        # checks cannot see it, so its insert waits on the constraint and is then refused.
        transaction = other.transaction()
        await transaction.start()
        start = datetime(2027, 1, 25, 11, 0, tzinfo=UTC)
        await other.execute(_INSERT, raw_id, room.id, start, start.replace(hour=12))
        request = asyncio.create_task(
            client.post(
                f"/api/v1/groups/{group.id}/schedule",
                headers={**admin.headers, "If-Match": '"v1"'},
            )
        )
        await wait_until_blocked(other, "the schedule")
        await transaction.commit()
        response = await request
    finally:
        await other.close()

    assert response.status_code == 409
    body = response.json()
    assert body["type"] == "https://stepwise.example/problems/schedule-clash"
    assert body["clashes"] == [
        {
            "kind": "room_clash",
            "session_number": 3,
            "local_date": "2027-01-25",
            "detail": f"The room is already booked then (booking {raw_id}).",
            "clashing_booking_id": str(raw_id),
            "clashing_starts_at": "2027-01-25T11:00:00Z",
            "clashing_ends_at": "2027-01-25T12:00:00Z",
        }
    ]
    assert await GroupSession.count() == 0
    assert [r["id"] for r in await RoomBooking.select(RoomBooking.id)] == [raw_id]
    assert await Group.select(Group.status, Group.version).first() == {
        "status": "draft",
        "version": 1,
    }
