"""Demo sessions: the demo groups are scheduled through the session calendar, once."""

import httpx

from api.core import clock
from api.core.actor import Role
from api.demo_groups import FACILITATORS, load_demo_groups
from api.demo_sessions import load_demo_sessions
from api.demo_venues import load_demo_venues
from groups.tables import Group, GroupSession
from scheduling.tables import RoomBooking
from tests.factories import StaffFactory
from tests.group_factories import make_group


async def test_load_demo_sessions_schedules_every_demo_group_once(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    del client  # only for its clean database
    # Only what the groups need (the full demo load runs this part too).
    for email in FACILITATORS:
        await staff.create(Role.FACILITATOR, email=email)
    now = clock.now()
    await load_demo_venues(now=now)
    await load_demo_groups(now=now)
    drafts = (
        await Group.select(Group.id, Group.session_plan)
        .where(Group.status == "draft")
        .output(load_json=True)
    )
    planned = sum(len(row["session_plan"]) for row in drafts)
    ids = [row["id"] for row in drafts]
    before = await GroupSession.count()

    first = await load_demo_sessions(now=now)
    sessions = await GroupSession.count().where(GroupSession.group.is_in(ids))
    second = await load_demo_sessions(now=now)

    assert (first, second) == (True, False)
    assert len(ids) == 3
    assert await Group.count().where(Group.status == "draft") == 0
    assert sessions == planned
    assert await GroupSession.count() == before + planned
    made = await GroupSession.select(GroupSession.id).where(GroupSession.group.is_in(ids))
    booked = await RoomBooking.count().where(
        RoomBooking.subject_id.is_in([str(row["id"]) for row in made])
    )
    assert booked == planned


async def test_load_demo_sessions_leaves_groups_made_by_staff_alone(
    client: httpx.AsyncClient,
) -> None:
    del client
    await make_group()  # no audit entry by the system: not a demo group

    assert await load_demo_sessions(now=clock.now()) is False
    assert await GroupSession.count() == 0
