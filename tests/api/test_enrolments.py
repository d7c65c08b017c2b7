"""Enrolments through HTTP: invite or waitlist, transitions, expiry at read time, freed places."""

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from api.core.actor import Role
from api.identity.tables import AuditEntry
from groups import enrolments, waiting_lists
from groups.tables import Enrolment, EnrolmentTransition
from scheduling.tables import OutboxMessage
from tests.api.test_groups_helpers import GROUPS, enrol, group_with, move, problem
from tests.factories import StaffFactory
from tests.group_factories import make_enrolment, make_patient

ENROLMENTS = "/api/v1/enrolments"


async def test_enrol_invites_while_places_are_free_then_waitlists(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    group = await group_with(staff, capacity=2)
    patients = [await make_patient() for _ in range(3)]

    answers = [await enrol(client, admin, group, p.id) for p in patients]

    assert [r.status_code for r in answers] == [201, 201, 201]
    bodies = [r.json() for r in answers]
    assert [b["status"] for b in bodies] == ["invited", "invited", "waitlisted"]
    invited = datetime.fromisoformat(bodies[0]["invited_at"])
    expires = datetime.fromisoformat(bodies[0]["invitation_expires_at"])
    assert expires - invited == timedelta(days=14)
    assert bodies[2]["invited_at"] is None
    assert bodies[2]["waitlisted_at"] is not None
    assert (bodies[0]["given_name"], bodies[0]["family_name"]) == (
        patients[0].given_name,
        patients[0].family_name,
    )
    history = await client.get(f"{ENROLMENTS}/{bodies[2]['id']}/transitions", headers=admin.headers)
    assert [(t["from_status"], t["to_status"]) for t in history.json()["items"]] == [
        (None, "waitlisted")
    ]


async def test_enrol_twice_is_409_naming_the_existing_enrolment(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    group = await group_with(staff)
    patient = await make_patient()
    first = (await enrol(client, admin, group, patient.id)).json()

    again = await enrol(client, admin, group, patient.id)

    assert again.json() == problem(
        "already-enrolled",
        "Already enrolled in this group",
        409,
        "The patient is already enrolled in this group.",
        existing_enrolment_id=first["id"],
    )
    assert await Enrolment.count() == 1


async def test_enrol_into_closed_group_or_unknown_patient_is_refused(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    cancelled = await group_with(staff, status="cancelled")
    completed = await group_with(staff, status="completed")
    open_group = await group_with(staff)
    patient = await make_patient()

    answers = [
        await enrol(client, admin, cancelled, patient.id),
        await enrol(client, admin, completed, patient.id),
    ]
    unknown = await enrol(client, admin, open_group, open_group.id)

    assert [r.json() for r in answers] == [
        problem(
            "group-closed",
            "The group is closed",
            409,
            f"The group is {state}: it takes no enrolments.",
        )
        for state in ("cancelled", "completed")
    ]
    assert unknown.json() == problem(
        "not-found", "Not found", 404, "No patient with this id.", field="patient_id"
    )
    assert await Enrolment.count() == 0


async def test_only_admins_enrol(staff: StaffFactory, client: httpx.AsyncClient) -> None:
    facilitator = await staff.signed_in(Role.FACILITATOR)
    group = await group_with(staff, run_by=(facilitator.user.id, (await staff.create()).id))
    response = await enrol(client, facilitator, group, (await make_patient()).id)
    assert response.status_code == 403


async def test_lifecycle_invited_opted_in_active_completed_sets_timestamps(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    group = await group_with(staff)
    body = (await enrol(client, admin, group, (await make_patient()).id)).json()

    for to in ("opted_in", "active", "completed"):
        response = await move(client, admin, body, to, reason=f"now {to}")
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["status"] == to
    assert None not in (body["opted_in_at"], body["started_at"], body["ended_at"])
    assert body["end_reason"] == "now completed"
    history = await client.get(f"{ENROLMENTS}/{body['id']}/transitions", headers=admin.headers)
    assert [(t["from_status"], t["to_status"], t["reason"]) for t in history.json()["items"]] == [
        (None, "invited", ""),
        ("invited", "opted_in", "now opted_in"),
        ("opted_in", "active", "now active"),
        ("active", "completed", "now completed"),
    ]
    actions = await AuditEntry.select(AuditEntry.action).where(AuditEntry.entity == "enrolment")
    assert sorted(a["action"] for a in actions) == [
        "enrolment.active",
        "enrolment.completed",
        "enrolment.create",
        "enrolment.opted_in",
    ]


async def test_invalid_move_is_409_naming_from_to_and_allowed(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    group = await group_with(staff)
    body = (await enrol(client, admin, group, (await make_patient()).id)).json()
    declined = (await move(client, admin, body, "declined")).json()

    response = await move(client, admin, declined, "active")

    assert response.json() == problem(
        "transition-not-allowed",
        "This status change is not allowed",
        409,
        "An enrolment cannot move from declined to active.",
        from_status="declined",
        to_status="active",
        allowed=[],
    )
    jump = await move(
        client,
        admin,
        (await enrol(client, admin, group, (await make_patient()).id)).json(),
        "completed",
    )
    assert jump.json()["allowed"] == ["opted_in", "declined"]


async def test_a_step_up_is_refused_here_and_pointed_at_its_own_route(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    group = await group_with(staff)
    body = (await enrol(client, admin, group, (await make_patient()).id)).json()
    opted_in = (await move(client, admin, body, "opted_in")).json()

    response = await move(client, admin, opted_in, "stepped_up")

    assert response.json() == problem(
        "transition-not-allowed",
        "This status change is not allowed",
        409,
        "A step-up records where the patient goes: use POST "
        "/api/v1/enrolments/{id}/step-up with the destination and reason.",
        from_status="opted_in",
        to_status="stepped_up",
        allowed=["active", "declined", "stepped_up", "dropped_out"],
    )


async def test_transition_needs_if_match_and_refuses_stale(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    group = await group_with(staff)
    body = (await enrol(client, admin, group, (await make_patient()).id)).json()
    url = f"{ENROLMENTS}/{body['id']}/transitions"

    missing = await client.post(url, json={"to": "opted_in"}, headers=admin.headers)
    stale = await client.post(
        url, json={"to": "opted_in"}, headers={**admin.headers, "If-Match": '"v9"'}
    )

    assert (missing.status_code, stale.status_code) == (428, 412)
    assert await EnrolmentTransition.count() == 1


async def test_expired_invitation_reads_expired_holds_no_place_and_cannot_opt_in(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    group = await group_with(staff, capacity=1)
    old = datetime.now(UTC) - timedelta(days=15)
    lapsed = await make_enrolment(
        group, status="invited", invited_at=old, invitation_expires_at=old + timedelta(days=14)
    )

    read = await client.get(f"{ENROLMENTS}/{lapsed.id}", headers=admin.headers)
    opt_in = await move(client, admin, read.json(), "opted_in")
    newcomer = await enrol(client, admin, group, (await make_patient()).id)
    listed = await client.get(f"{GROUPS}/{group.id}/enrolments", headers=admin.headers)

    assert read.json()["status"] == "expired"
    assert opt_in.json() == problem(
        "invitation-expired",
        "Invitation expired",
        409,
        "The invitation expired: re-invite the patient if a place is free.",
        from_status="expired",
        to_status="opted_in",
    )
    assert newcomer.json()["status"] == "invited"
    assert [e["status"] for e in listed.json()["items"]] == ["expired", "invited"]


async def test_reinvite_expired_only_when_a_place_is_free(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    group = await group_with(staff, capacity=1)
    old = datetime.now(UTC) - timedelta(days=15)
    lapsed = await make_enrolment(
        group, status="invited", invited_at=old, invitation_expires_at=old + timedelta(days=14)
    )
    body = (await client.get(f"{ENROLMENTS}/{lapsed.id}", headers=admin.headers)).json()
    holder = (await enrol(client, admin, group, (await make_patient()).id)).json()

    full = await move(client, admin, body, "invited")
    await move(client, admin, holder, "declined")
    again = await move(client, admin, body, "invited")

    assert full.json() == problem(
        "no-place-free",
        "No place is free in this group",
        409,
        "Every place is held: the patient stays where they are.",
    )
    assert again.json()["status"] == "invited"


async def test_a_freed_place_goes_to_the_first_on_the_waiting_list_in_the_same_request(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    group = await group_with(staff, capacity=1)
    holder = (await enrol(client, admin, group, (await make_patient()).id)).json()
    first = (await enrol(client, admin, group, (await make_patient()).id)).json()
    second = (await enrol(client, admin, group, (await make_patient()).id)).json()
    waiting = await client.get(f"{GROUPS}/{group.id}/waiting-list", headers=admin.headers)

    await move(client, admin, holder, "declined", reason="moved away")

    offered = (await client.get(f"{ENROLMENTS}/{first['id']}", headers=admin.headers)).json()
    still = (await client.get(f"{ENROLMENTS}/{second['id']}", headers=admin.headers)).json()
    history = await client.get(f"{ENROLMENTS}/{first['id']}/transitions", headers=admin.headers)
    assert [(w["position"], w["enrolment_id"]) for w in waiting.json()["items"]] == [
        (1, first["id"]),
        (2, second["id"]),
    ]
    assert (offered["status"], still["status"]) == ("invited", "waitlisted")
    assert [(t["to_status"], t["changed_by"]) for t in history.json()["items"]] == [
        ("waitlisted", str(admin.user.id)),
        ("invited", None),
    ]


async def test_offer_freed_places_fills_places_freed_by_expired_invitations(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    group = await group_with(staff, capacity=3)
    now = datetime.now(UTC)
    await make_enrolment(group, status="opted_in")
    for _ in range(2):
        await make_enrolment(group, status="invited", invitation_expires_at=now + timedelta(days=1))
    queue = [
        await make_enrolment(group, status="waitlisted", waitlisted_at=now + timedelta(seconds=n))
        for n in range(3)
    ]

    before = await enrolments.offer_freed_places(group.id, now=now)
    later = now + timedelta(days=2)
    offered = await enrolments.offer_freed_places(group.id, now=later)
    again = await enrolments.offer_freed_places(group.id, now=later)

    assert before == []
    assert offered == [queue[0].id, queue[1].id]
    assert again == []
    rows = await Enrolment.select(
        Enrolment.id, Enrolment.status, Enrolment.invitation_expires_at
    ).where(Enrolment.id.is_in([e.id for e in queue]))
    by_id = {r["id"]: r for r in rows}
    assert [by_id[e.id]["status"] for e in queue] == ["invited", "invited", "waitlisted"]
    assert by_id[queue[0].id]["invitation_expires_at"] == later + timedelta(days=14)
    assert await waiting_lists.places_held(group.id, now=later) == 3


async def test_capacity_raised_offers_the_new_places(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    group = await group_with(staff, capacity=1)
    for _ in range(3):
        await enrol(client, admin, group, (await make_patient()).id)

    raised = await client.patch(
        f"{GROUPS}/{group.id}",
        json={"capacity": 2, "min_participants": 2},
        headers={**admin.headers, "If-Match": '"v1"'},
    )

    detail = (await client.get(f"{GROUPS}/{group.id}", headers=admin.headers)).json()
    assert raised.status_code == 200, raised.text
    assert (detail["places_held"], detail["waiting_list_length"]) == (2, 1)


async def test_enrolment_reads_are_audited_and_limited_to_the_groups_facilitators(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    mine = await staff.signed_in(Role.FACILITATOR)
    other = await staff.signed_in(Role.FACILITATOR)
    group = await group_with(staff, run_by=(mine.user.id, (await staff.create()).id))
    patients = [await make_patient() for _ in range(2)]
    bodies = [(await enrol(client, admin, group, p.id)).json() for p in patients]

    listed = await client.get(f"{GROUPS}/{group.id}/enrolments", headers=mine.headers)
    one = await client.get(f"{ENROLMENTS}/{bodies[0]['id']}", headers=mine.headers)
    refused = [
        await client.get(url, headers=other.headers)
        for url in (
            f"{GROUPS}/{group.id}/enrolments",
            f"{GROUPS}/{group.id}/waiting-list",
            f"{ENROLMENTS}/{bodies[0]['id']}",
            f"{ENROLMENTS}/{bodies[0]['id']}/transitions",
        )
    ]
    moved = await move(client, other, bodies[0], "opted_in")
    facilitated = await move(client, mine, bodies[0], "opted_in")

    assert (listed.status_code, one.status_code) == (200, 200)
    assert [r.status_code for r in refused] == [403, 403, 403, 403]
    assert moved.status_code == 403
    assert facilitated.json()["status"] == "opted_in"
    reads = await AuditEntry.select(AuditEntry.entity_id).where(
        (AuditEntry.action == "patient.read") & (AuditEntry.actor == mine.user.id)
    )
    assert sorted(r["entity_id"] for r in reads) == sorted(
        [str(patients[0].id), str(patients[1].id), str(patients[0].id)]
    )


async def test_enrolment_list_pages_by_cursor(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    group = await group_with(staff, capacity=2)
    made = [(await enrol(client, admin, group, (await make_patient()).id)).json() for _ in range(5)]

    seen: list[Any] = []
    waiting: list[Any] = []
    for url, into in (
        (f"{GROUPS}/{group.id}/enrolments", seen),
        (f"{GROUPS}/{group.id}/waiting-list", waiting),
    ):
        cursor = None
        while True:
            params: dict[str, Any] = {"limit": 2, **({"cursor": cursor} if cursor else {})}
            page = (await client.get(url, params=params, headers=admin.headers)).json()
            into += page["items"]
            cursor = page["next_cursor"]
            if cursor is None:
                break

    assert [e["id"] for e in seen] == [m["id"] for m in made]
    assert [(w["position"], w["enrolment_id"]) for w in waiting] == [
        (n, m["id"]) for n, m in enumerate(made[2:], start=1)
    ]
    bad = await client.get(
        f"{GROUPS}/{group.id}/enrolments", params={"cursor": "nonsense"}, headers=admin.headers
    )
    assert bad.status_code == 400


async def test_unknown_group_or_enrolment_is_404(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    nobody = "00000000-0000-4000-8000-000000000000"
    patient = await make_patient()

    answers = [
        await client.post(
            f"{GROUPS}/{nobody}/enrolments",
            json={"patient_id": str(patient.id)},
            headers=admin.headers,
        ),
        await client.get(f"{GROUPS}/{nobody}/enrolments", headers=admin.headers),
        await client.get(f"{GROUPS}/{nobody}/waiting-list", headers=admin.headers),
        await client.get(f"{GROUPS}/{nobody}", headers=admin.headers),
        await client.get(f"{ENROLMENTS}/{nobody}", headers=admin.headers),
        await client.get(f"{ENROLMENTS}/{nobody}/transitions", headers=admin.headers),
        await client.post(
            f"{ENROLMENTS}/{nobody}/transitions",
            json={"to": "declined"},
            headers={**admin.headers, "If-Match": '"v1"'},
        ),
    ]

    assert [r.status_code for r in answers] == [404] * 7
    assert {r.headers["content-type"] for r in answers} == {"application/problem+json"}


async def test_supervisors_read_enrolments_but_never_enrol_or_move_them(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    supervisor = await staff.signed_in(Role.SUPERVISOR)
    group = await group_with(staff)
    body = (await enrol(client, admin, group, (await make_patient()).id)).json()

    read = await client.get(f"{ENROLMENTS}/{body['id']}", headers=supervisor.headers)
    enrolled = await enrol(client, supervisor, group, (await make_patient()).id)
    moved = await move(client, supervisor, body, "opted_in")

    assert read.json() == {**body, "status": "invited"}
    assert read.headers["etag"] == '"v1"'
    assert (enrolled.status_code, moved.status_code) == (403, 403)


async def test_invitations_and_offers_are_queued_per_consented_channel_without_clinical_detail(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    group = await group_with(staff, capacity=1)
    texted = await make_patient(given_name="Ann", preferred_name="Annie")
    emailed = await make_patient(
        consents_to_sms=False, consents_to_email=True, email="b@example.org"
    )
    holder = (await enrol(client, admin, group, texted.id)).json()
    waiting = (await enrol(client, admin, group, emailed.id)).json()

    await move(client, admin, holder, "declined")

    rows = await OutboxMessage.select(
        OutboxMessage.recipient_id,
        OutboxMessage.channel,
        OutboxMessage.template_key,
        OutboxMessage.parameters,
        OutboxMessage.dedup_key,
    ).output(load_json=True)
    by_template = {r["template_key"]: r for r in rows}
    assert sorted((r["template_key"], r["recipient_id"], r["channel"]) for r in rows) == [
        ("invitation", str(texted.id), "sms"),
        ("waitlist_offer", str(emailed.id), "email"),
    ]
    invitation = by_template["invitation"]["parameters"]
    assert invitation["name"] == "Annie"
    assert invitation["starts"] == "Mon 11 Jan 2027 10:00"
    assert set(invitation) == {"name", "starts", "venue", "code", "reply_by"}
    assert "Course" not in " ".join(invitation.values())
    offer = by_template["waitlist_offer"]
    assert set(offer["parameters"]) == {"name", "starts", "venue", "reply_by"}
    assert offer["dedup_key"].startswith(f"group:{group.id}:enrolment:{waiting['id']}:")
