"""find_facilitator_clashes: another group's sessions a co-facilitator already runs."""

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import asyncpg
import httpx
import pytest

from api.core.actor import Role
from api.core.settings import get_settings
from groups.facilitator_clashes import FacilitatorClash, find_facilitator_clashes
from groups.tables import GroupSession
from tests.factories import StaffFactory
from tests.group_factories import make_group, make_session
from tests.pg_locks import wait_until_blocked
from tests.query_count import count_queries

MONDAY_10 = datetime(2027, 1, 11, 10, 0, tzinfo=UTC)
NINETY = timedelta(minutes=90)


def _slot(start: datetime) -> tuple[datetime, datetime]:
    return (start, start + NINETY)


async def test_find_clashes_when_staff_run_an_overlapping_session_names_it(
    staff: StaffFactory,
) -> None:
    alice = await staff.create(Role.FACILITATOR)
    bob = await staff.create(Role.FACILITATOR)
    other = await make_group(facilitators=(alice.id, bob.id), name="Tuesday group")
    busy = await make_session(other, 1, MONDAY_10 + timedelta(minutes=60))

    found = await find_facilitator_clashes([alice.id], [_slot(MONDAY_10)])

    assert found == [
        FacilitatorClash(
            staff_id=alice.id,
            staff_name="Test Staff",
            group_id=other.id,
            group_name="Tuesday group",
            session_id=busy.id,
            starts_at=MONDAY_10 + timedelta(minutes=60),
            ends_at=MONDAY_10 + timedelta(minutes=150),
            slot_starts_at=MONDAY_10,
            slot_ends_at=MONDAY_10 + NINETY,
        )
    ]


async def test_find_clashes_when_sessions_touch_or_are_cancelled_finds_none(
    staff: StaffFactory,
) -> None:
    alice = await staff.create(Role.FACILITATOR)
    other = await make_group(facilitators=(alice.id,))
    await make_session(other, 1, MONDAY_10 + NINETY)  # starts as the slot ends
    await make_session(other, 2, MONDAY_10 - NINETY)  # ends as the slot starts
    await make_session(other, 3, MONDAY_10, status="cancelled", book_room=False)

    assert await find_facilitator_clashes([alice.id], [_slot(MONDAY_10)]) == []


async def test_find_clashes_ignores_other_staff_and_the_excluded_group(
    staff: StaffFactory,
) -> None:
    alice = await staff.create(Role.FACILITATOR)
    carol = await staff.create(Role.FACILITATOR)
    carols = await make_group(facilitators=(carol.id,))
    await make_session(carols, 1, MONDAY_10)
    own = await make_group(facilitators=(alice.id,))
    await make_session(own, 1, MONDAY_10)

    assert (
        await find_facilitator_clashes([alice.id], [_slot(MONDAY_10)], excluding_group=own.id) == []
    )
    found = await find_facilitator_clashes([alice.id], [_slot(MONDAY_10)])
    assert [(c.staff_id, c.group_id) for c in found] == [(alice.id, own.id)]


async def test_find_clashes_excluding_sessions_leaves_out_the_session_being_moved(
    staff: StaffFactory,
) -> None:
    alice = await staff.create(Role.FACILITATOR)
    group = await make_group(facilitators=(alice.id,))
    moving = await make_session(group, 1, MONDAY_10)

    found = await find_facilitator_clashes(
        [alice.id], [_slot(MONDAY_10 + timedelta(minutes=30))], excluding_sessions=[moving.id]
    )

    assert found == []


async def test_find_clashes_reports_every_slot_and_staff_member_in_order(
    staff: StaffFactory,
) -> None:
    alice = await staff.create(Role.FACILITATOR)
    bob = await staff.create(Role.FACILITATOR)
    other = await make_group(facilitators=(alice.id, bob.id))
    weeks = [MONDAY_10 + timedelta(weeks=n) for n in range(6)]
    second = await make_session(other, 1, weeks[1])
    fifth = await make_session(other, 2, weeks[4] + timedelta(minutes=45))

    found = await find_facilitator_clashes([bob.id, alice.id], [_slot(w) for w in weeks])

    assert [(c.slot_starts_at, c.session_id, c.staff_id) for c in found] == sorted(
        [
            (weeks[1], second.id, alice.id),
            (weeks[1], second.id, bob.id),
            (weeks[4], fifth.id, alice.id),
            (weeks[4], fifth.id, bob.id),
        ],
        key=lambda t: (t[0], str(t[1]), str(t[2])),
    )


@pytest.mark.parametrize("slots", [1, 20])
async def test_find_clashes_runs_one_query_whatever_the_number_of_slots(
    staff: StaffFactory, monkeypatch: pytest.MonkeyPatch, slots: int
) -> None:
    alice = await staff.create(Role.FACILITATOR)
    other = await make_group(facilitators=(alice.id,))
    for n in range(1, 4):
        await make_session(other, n, MONDAY_10 + timedelta(weeks=n))

    with count_queries(monkeypatch) as queries:
        await find_facilitator_clashes(
            [alice.id], [_slot(MONDAY_10 + timedelta(weeks=n)) for n in range(slots)]
        )

    assert queries.count == 1


async def test_find_clashes_with_no_staff_or_no_slots_asks_nothing(
    staff: StaffFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    alice = await staff.create(Role.FACILITATOR)
    with count_queries(monkeypatch) as queries:
        assert await find_facilitator_clashes([], [_slot(MONDAY_10)]) == []
        assert await find_facilitator_clashes([alice.id], []) == []
    assert queries.count == 0


async def test_two_concurrent_schedules_for_one_facilitator_at_one_time_one_wins(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    alice = await staff.create(Role.FACILITATOR)
    # Two rooms, so only the facilitator can clash; same Mondays at 10:00.
    first = await make_group(facilitators=(alice.id,))
    second = await make_group(facilitators=(alice.id,))

    responses = await asyncio.gather(
        *(
            client.post(
                f"/api/v1/groups/{group.id}/schedule",
                headers={**admin.headers, "If-Match": '"v1"'},
            )
            for group in (first, second)
        )
    )

    assert sorted(r.status_code for r in responses) == [201, 409]
    lost = next(r for r in responses if r.status_code == 409).json()
    assert [(c["kind"], c["staff_id"]) for c in lost["clashes"]] == [
        ("facilitator_clash", str(alice.id))
    ] * 6
    assert await GroupSession.count() == 6


@pytest.mark.postgres_only
async def test_schedule_waits_for_a_concurrent_one_holding_the_facilitator_then_names_it(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    alice = await staff.create(Role.FACILITATOR)
    elsewhere = await make_group(facilitators=(alice.id,))
    group = await make_group(facilitators=(alice.id,))
    other = await asyncpg.connect(get_settings().database.url)
    session_id = uuid.uuid4()
    try:
        # Another schedule mid-transaction, as the service makes one: the facilitator's
        # row held, a session of another group written but not yet committed.
        transaction = other.transaction()
        await transaction.start()
        await other.execute("SELECT id FROM staff_user WHERE id = $1 FOR NO KEY UPDATE", alice.id)
        await other.execute(
            'INSERT INTO group_session (id, "group", number, title, starts_at, ends_at, '
            "status, sequence, version, created_at, updated_at) "
            "VALUES ($1, $2, 1, 'Session 1', $3, $4, 'scheduled', 0, 1, now(), now())",
            session_id,
            elsewhere.id,
            MONDAY_10,
            MONDAY_10 + NINETY,
        )
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
    assert [
        (c["kind"], c["session_number"], c["clashing_session_id"])
        for c in response.json()["clashes"]
    ] == [("facilitator_clash", 1, str(session_id))]
    assert await GroupSession.count() == 1
