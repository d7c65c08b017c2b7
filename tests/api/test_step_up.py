"""Step-up through HTTP: the decision ends the enrolment, with its history and audit."""

import httpx

from api.core.actor import Role
from api.identity.tables import AuditEntry
from groups.tables import Enrolment, EnrolmentTransition
from tests.api.test_registers import running_group
from tests.booking_requests import problem
from tests.factories import StaffFactory
from tests.group_factories import make_enrolment


def step_up_url(enrolment_id: object) -> str:
    return f"/api/v1/enrolments/{enrolment_id}/step-up"


DECISION = {"destination": "high_intensity", "reason": "No reliable change by session 4."}


async def test_step_up_ends_the_enrolment_with_a_transition_and_an_audit_entry(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    scene = await running_group(staff, patients=1)
    (enrolment,) = scene.enrolments

    response = await client.post(
        step_up_url(enrolment.id), json=DECISION, headers=scene.facilitator.headers
    )

    assert response.status_code == 200, response.text
    body = response.json()
    assert body == {
        "enrolment_id": str(enrolment.id),
        "status": "stepped_up",
        "ended_at": body["ended_at"],
        "step_up_destination": "high_intensity",
        "step_up_reason": "No reliable change by session 4.",
        "version": 2,
    }
    row = (
        await Enrolment.select(
            Enrolment.status,
            Enrolment.step_up_destination,
            Enrolment.step_up_reason,
            Enrolment.version,
        )
        .where(Enrolment.id == enrolment.id)
        .first()
    )
    assert row == {
        "status": "stepped_up",
        "step_up_destination": "high_intensity",
        "step_up_reason": "No reliable change by session 4.",
        "version": 2,
    }
    transitions = await EnrolmentTransition.select(
        EnrolmentTransition.from_status,
        EnrolmentTransition.to_status,
        EnrolmentTransition.changed_by,
    )
    assert transitions == [
        {
            "from_status": "active",
            "to_status": "stepped_up",
            "changed_by": scene.facilitator.user.id,
        }
    ]
    assert await AuditEntry.count().where(AuditEntry.action == "enrolment.step_up") == 1


async def test_a_second_step_up_or_one_from_a_closed_status_is_409(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    scene = await running_group(staff, patients=1)
    supervisor = await staff.signed_in(Role.SUPERVISOR)
    waiting = await make_enrolment(scene.group, status="waitlisted")
    opted_in = await make_enrolment(scene.group, status="opted_in")

    first = await client.post(
        step_up_url(scene.enrolments[0].id), json=DECISION, headers=supervisor.headers
    )
    second = await client.post(
        step_up_url(scene.enrolments[0].id), json=DECISION, headers=supervisor.headers
    )
    from_waiting = await client.post(
        step_up_url(waiting.id), json=DECISION, headers=supervisor.headers
    )
    from_opted_in = await client.post(
        step_up_url(opted_in.id),
        json={"destination": "counselling", "reason": "Prefers counselling."},
        headers=supervisor.headers,
    )

    assert first.status_code == 200
    assert second.json() == problem(
        "conflict",
        "Conflict with the current state",
        409,
        "Only an active or opted-in enrolment can be stepped up.",
        enrolment_status="stepped_up",
    )
    assert from_waiting.status_code == 409
    assert from_opted_in.status_code == 200
    # Two step-ups, and the place the first freed offered to the one waiting.
    moves = await EnrolmentTransition.select(
        EnrolmentTransition.enrolment, EnrolmentTransition.to_status
    ).order_by(EnrolmentTransition.changed_at)
    assert [(m["enrolment"], m["to_status"]) for m in moves] == [
        (scene.enrolments[0].id, "stepped_up"),
        (waiting.id, "invited"),
        (opted_in.id, "stepped_up"),
    ]


async def test_step_up_refused_for_admins_outsiders_bad_input_and_unknown_enrolments(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    scene = await running_group(staff, patients=1)
    url = step_up_url(scene.enrolments[0].id)
    admin = await staff.signed_in(Role.ADMIN)
    outsider = await staff.signed_in(Role.FACILITATOR)
    headers = scene.facilitator.headers

    assert (await client.post(url, json=DECISION, headers=admin.headers)).status_code == 403
    assert (await client.post(url, json=DECISION, headers=outsider.headers)).status_code == 403
    for body in (
        {"destination": "hospital", "reason": "x"},
        {"destination": "counselling", "reason": ""},
        {"destination": "counselling"},
        {**DECISION, "extra": 1},
    ):
        assert (await client.post(url, json=body, headers=headers)).status_code == 400, body
    missing = await client.post(
        step_up_url("00000000-0000-4000-8000-000000000000"), json=DECISION, headers=headers
    )
    assert missing.status_code == 404
    assert await EnrolmentTransition.count() == 0
