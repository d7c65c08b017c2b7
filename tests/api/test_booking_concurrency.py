"""Two bookings of one room never overlap, however they arrive: twenty at once through HTTP
(both engines), and on PostgreSQL the exclusion constraint itself, under the service."""

import asyncio
import uuid
from collections import Counter
from datetime import UTC, datetime

import asyncpg
import httpx
import pytest

from api.core.actor import Role
from api.core.settings import get_settings
from scheduling.tables import Room
from tests.booking_requests import book, clash
from tests.factories import StaffFactory
from tests.pg_locks import wait_until_blocked
from tests.scheduling_factories import make_room

DAY = "2026-11-25"


async def test_twenty_concurrent_overlapping_bookings_one_wins_nineteen_409_naming_it(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    room = await make_room()
    # Every request overlaps every other: all cover 10:30-11:00.
    slots = [(f"{DAY}T10:{n:02d}", f"{DAY}T11:{n:02d}") for n in range(10, 30)]

    responses = await asyncio.gather(
        *(book(client, admin, room, start, end) for start, end in slots)
    )

    assert Counter(r.status_code for r in responses) == {201: 1, 409: 19}
    winner = next(r for r in responses if r.status_code == 201).json()
    span = f"{winner['local_starts_at'][11:16]}-{winner['local_ends_at'][11:16]}"
    assert [r.json() for r in responses if r.status_code == 409] == [clash(winner, span, DAY)] * 19
    listed = await client.get(
        f"/api/v1/rooms/{room.id}/bookings",
        params={"from": DAY, "to": DAY},
        headers=admin.headers,
    )
    assert [b["id"] for b in listed.json()["items"]] == [winner["id"]]


# -- PostgreSQL: the constraint holds whoever writes -------------------------------------------

_INSERT = (
    "INSERT INTO room_booking (id, room, starts_at, ends_at, purpose, status) "
    "VALUES ($1, $2, $3, $4, 'raw', $5)"
)


def _at(hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, 25, hour, minute, tzinfo=UTC)


async def _raw(
    connection: asyncpg.Connection,
    room: Room,
    start: datetime,
    end: datetime,
    status: str = "provisional",
) -> uuid.UUID:
    booking_id = uuid.uuid4()
    await connection.execute(_INSERT, booking_id, room.id, start, end, status)
    return booking_id


@pytest.mark.postgres_only
async def test_exclusion_constraint_refuses_a_raw_overlapping_insert(database: None) -> None:
    room = await make_room()
    connection = await asyncpg.connect(get_settings().database.url)
    try:
        await _raw(connection, room, _at(10), _at(11))
        with pytest.raises(asyncpg.exceptions.ExclusionViolationError) as refused:
            await _raw(connection, room, _at(10, 30), _at(11, 30))
        back_to_back = await _raw(connection, room, _at(11), _at(12))
        cancelled = await _raw(connection, room, _at(10, 15), _at(10, 45), "cancelled")
        other_room = await _raw(connection, await make_room(), _at(10), _at(11))
        count = await connection.fetchval("SELECT count(*) FROM room_booking")
    finally:
        await connection.close()

    assert refused.value.constraint_name == "room_booking_no_overlap"
    assert all(isinstance(i, uuid.UUID) for i in (back_to_back, cancelled, other_room))
    assert count == 4


@pytest.mark.postgres_only
async def test_service_turns_a_constraint_refusal_into_409_naming_the_clash(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    room = await make_room()
    other = await asyncpg.connect(get_settings().database.url)
    try:
        # Another process holds an uncommitted overlapping row: the service's clash check
        # cannot see it, so its insert waits on the constraint and is then refused.
        transaction = other.transaction()
        await transaction.start()
        raw_id = await _raw(other, room, _at(10), _at(11))
        request = asyncio.create_task(book(client, admin, room, f"{DAY}T10:30", f"{DAY}T11:30"))
        await wait_until_blocked(other, "the service")
        await transaction.commit()
        response = await request
    finally:
        await other.close()

    assert response.status_code == 409
    assert response.json() == clash(
        {"id": str(raw_id), "starts_at": f"{DAY}T10:00:00Z", "ends_at": f"{DAY}T11:00:00Z"},
        "10:00-11:00",
        DAY,
    )
    stored = await client.get(
        f"/api/v1/rooms/{room.id}/bookings", params={"from": DAY, "to": DAY}, headers=admin.headers
    )
    assert [b["id"] for b in stored.json()["items"]] == [str(raw_id)]


@pytest.mark.postgres_only
async def test_a_closure_waits_for_a_booking_in_flight_and_then_names_it(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    room = await make_room()
    other = await asyncpg.connect(get_settings().database.url)
    try:
        # A booking mid-transaction, as the service makes one: room row locked, row written.
        transaction = other.transaction()
        await transaction.start()
        await other.execute("SELECT id FROM room WHERE id = $1 FOR NO KEY UPDATE", room.id)
        booking_id = await _raw(other, room, _at(10), _at(11))
        closing = asyncio.create_task(
            client.post(
                f"/api/v1/venues/{room.venue}/closures",
                json={"start_date": DAY, "end_date": DAY, "reason": "Flood"},
                headers=admin.headers,
            )
        )
        await wait_until_blocked(other, "the service")
        await transaction.commit()
        response = await closing
    finally:
        await other.close()

    assert response.status_code == 201
    assert [b["id"] for b in response.json()["overlapping_bookings"]] == [str(booking_id)]


@pytest.mark.postgres_only
async def test_a_booking_queued_behind_an_archive_of_its_venue_is_refused_as_archived(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    room = await make_room(name="Hall")
    other = await asyncpg.connect(get_settings().database.url)
    try:
        # An archive of the venue mid-transaction, as the service makes one: the venue's
        # room rows locked, the venue row written, not yet committed.
        transaction = other.transaction()
        await transaction.start()
        await other.execute("SELECT id FROM room WHERE venue = $1 FOR NO KEY UPDATE", room.venue)
        await other.execute(
            "UPDATE venue SET is_archived = true, version = version + 1 WHERE id = $1",
            room.venue,
        )
        request = asyncio.create_task(book(client, admin, room, f"{DAY}T10:00", f"{DAY}T11:00"))
        await wait_until_blocked(other, "the booking")
        await transaction.commit()
        response = await request
    finally:
        await other.close()

    assert response.status_code == 409
    assert response.json()["type"].endswith("/archived")
    stored = await client.get(
        f"/api/v1/rooms/{room.id}/bookings", params={"from": DAY, "to": DAY}, headers=admin.headers
    )
    assert stored.json()["items"] == []
