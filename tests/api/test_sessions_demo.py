"""Demo sessions: the demo groups are scheduled through the session calendar, once."""

from pathlib import Path

import httpx

from api.core import clock
from api.demo import load_demo_data
from api.demo_groups import load_demo_groups
from api.demo_sessions import load_demo_sessions
from groups.tables import Group, GroupSession
from scheduling.tables import RoomBooking
from tests.group_factories import make_group


async def test_load_demo_sessions_schedules_every_demo_group_once(
    client: httpx.AsyncClient, tmp_path: Path
) -> None:
    del client  # only for its clean database
    now = clock.now()
    await load_demo_data(tmp_path)
    await load_demo_groups(now=now)
    drafts = (
        await Group.select(Group.id, Group.session_plan)
        .where(Group.status == "draft")
        .output(load_json=True)
    )
    planned = sum(len(row["session_plan"]) for row in drafts)

    first = await load_demo_sessions(now=now)
    sessions = await GroupSession.count()
    second = await load_demo_sessions(now=now)

    assert (first, second) == (True, False)
    assert await Group.count().where(Group.status == "draft") == 0
    assert sessions == planned == await GroupSession.count()
    booked = await RoomBooking.count().where(RoomBooking.subject_kind == "group_session")
    assert booked == planned


async def test_load_demo_sessions_leaves_groups_made_by_staff_alone(
    client: httpx.AsyncClient,
) -> None:
    del client
    await make_group()  # no audit entry by the system: not a demo group

    assert await load_demo_sessions(now=clock.now()) is False
    assert await GroupSession.count() == 0
