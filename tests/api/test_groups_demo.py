"""Demo groups: four courses, fictional patients, three groups to come and one running."""

from collections import Counter

import httpx

from api.core import clock
from api.core.actor import Role
from api.demo_groups import (
    FACILITATORS,
    RUNNING_PATIENTS,
    RUNNING_WEEKS,
    demo_nhs_number,
    load_demo_groups,
)
from api.demo_venues import load_demo_venues
from groups.rules.nhs_number import is_valid_nhs_number
from groups.tables import Course, Enrolment, Group, GroupSession, Patient
from tests.factories import StaffFactory


def test_demo_nhs_numbers_are_valid_distinct_and_in_the_test_range() -> None:
    numbers = [demo_nhs_number(n) for n in range(40)]
    assert all(n.startswith("999") and is_valid_nhs_number(n) for n in numbers)
    assert len(set(numbers)) == 40


async def test_load_demo_groups_twice_creates_them_once(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    # Only what the groups need (the full demo load runs the later parts too).
    for email in FACILITATORS:
        await staff.create(Role.FACILITATOR, email=email)
    await load_demo_venues(now=clock.now())

    first = await load_demo_groups(now=clock.now())
    counts = (
        await Course.count(),
        await Patient.count(),
        await Group.count(),
        await Enrolment.count(),
    )
    second = await load_demo_groups(now=clock.now())

    assert (first, second) == (True, False)
    # 30 patients in the three groups to come, 7 in the group already running.
    assert counts == (4, 30 + RUNNING_PATIENTS, 4, 30 + RUNNING_PATIENTS)
    assert (await Enrolment.count(), await Patient.count()) == (counts[3], counts[1])
    running = await Group.select(Group.status, Group.first_session_date).where(
        Group.status == "running"
    )
    assert len(running) == 1
    assert running[0]["first_session_date"] < clock.now().date()
    held = await GroupSession.count().where(GroupSession.starts_at < clock.now())
    assert held >= RUNNING_WEEKS
    supervisor = await staff.signed_in(Role.SUPERVISOR)
    listed = (await client.get("/api/v1/groups", headers=supervisor.headers)).json()["items"]
    details = [
        (await client.get(f"/api/v1/groups/{g['id']}", headers=supervisor.headers)).json()
        for g in listed
    ]
    full = next(d for d in details if d["course_name"] == "Stress Control")
    assert (full["places_free"], full["waiting_list_length"]) == (0, 4)
    assert all(len(d["facilitators"]) == 2 for d in details)
    statuses = Counter(
        status for d in details for status, n in d["enrolment_counts"].items() for _ in range(n)
    )
    assert statuses["expired"] == 2
    assert statuses["declined"] == 1
    go = (await client.get("/api/v1/groups/go-no-go", headers=supervisor.headers)).json()
    assert [i["course_name"] for i in go["items"]] == ["Self-management of Depression and Anxiety"]
