"""find_facilitator_clashes: another group's sessions a co-facilitator already runs."""

from datetime import UTC, datetime, timedelta

import pytest

from api.core.actor import Role
from groups.facilitator_clashes import FacilitatorClash, find_facilitator_clashes
from tests.factories import StaffFactory
from tests.group_factories import make_group, make_session
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
