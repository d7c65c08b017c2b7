"""Capacity holds under load: fifty enrol requests at once through HTTP, on both engines."""

import asyncio
from collections import Counter

import httpx

from api.core.actor import Role
from groups.tables import Enrolment, EnrolmentTransition
from tests.api.test_groups_helpers import GROUPS, enrol, group_with
from tests.factories import StaffFactory
from tests.group_factories import make_patient


async def test_fifty_concurrent_enrolments_into_twelve_places_invite_twelve_queue_the_rest(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    group = await group_with(staff, capacity=12)
    patients = [await make_patient() for _ in range(50)]

    responses = await asyncio.gather(*(enrol(client, admin, group, p.id) for p in patients))

    assert Counter(r.status_code for r in responses) == {201: 50}
    bodies = [r.json() for r in responses]
    assert Counter(b["status"] for b in bodies) == {"invited": 12, "waitlisted": 38}
    assert sorted(b["patient_id"] for b in bodies) == sorted(str(p.id) for p in patients)
    assert await Enrolment.count() == 50
    assert await EnrolmentTransition.count() == 50
    # The waiting list is in the order the writes happened: each place in the queue
    # strictly after the one before, and it lists everyone waitlisted, once.
    queued = sorted(
        (b for b in bodies if b["status"] == "waitlisted"), key=lambda b: b["waitlisted_at"]
    )
    assert len({b["waitlisted_at"] for b in queued}) == 38
    listed = await client.get(
        f"{GROUPS}/{group.id}/waiting-list", params={"limit": 50}, headers=admin.headers
    )
    assert [w["enrolment_id"] for w in listed.json()["items"]] == [b["id"] for b in queued]
    detail = (await client.get(f"{GROUPS}/{group.id}", headers=admin.headers)).json()
    assert (detail["places_held"], detail["places_free"], detail["waiting_list_length"]) == (
        12,
        0,
        38,
    )


async def test_five_concurrent_enrolments_of_one_patient_store_one_and_409_the_rest(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    group = await group_with(staff)
    patient = await make_patient()

    responses = await asyncio.gather(*(enrol(client, admin, group, patient.id) for _ in range(5)))

    assert Counter(r.status_code for r in responses) == {201: 1, 409: 4}
    winner = next(r for r in responses if r.status_code == 201).json()
    assert {r.json()["existing_enrolment_id"] for r in responses if r.status_code == 409} == {
        winner["id"]
    }
    assert await Enrolment.count() == 1


async def test_concurrent_declines_offer_each_freed_place_to_a_different_person(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    group = await group_with(staff, capacity=4)
    bodies = [
        (await enrol(client, admin, group, (await make_patient()).id)).json() for _ in range(8)
    ]
    holders, waiting = bodies[:4], bodies[4:]

    responses = await asyncio.gather(
        *(
            client.post(
                f"/api/v1/enrolments/{b['id']}/transitions",
                json={"to": "declined"},
                headers={**admin.headers, "If-Match": '"v1"'},
            )
            for b in holders
        )
    )

    assert [r.status_code for r in responses] == [200] * 4
    statuses = await Enrolment.select(Enrolment.id, Enrolment.status).where(
        Enrolment.id.is_in([w["id"] for w in waiting])
    )
    assert Counter(r["status"] for r in statuses) == {"invited": 4}
    offers = await EnrolmentTransition.count().where(
        (EnrolmentTransition.to_status == "invited") & EnrolmentTransition.changed_by.is_null()
    )
    assert offers == 4
