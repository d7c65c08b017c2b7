"""Interpreters booked for a session: admins book and remove, the group's people read."""

from datetime import UTC, datetime
from uuid import UUID

import httpx

from api.core.actor import Role
from api.identity.tables import AuditEntry
from groups.tables import Group, GroupSession, SessionInterpreter
from tests.booking_requests import problem
from tests.factories import SignedIn, StaffFactory
from tests.group_factories import make_enrolment, make_group, make_patient, make_session

SESSIONS = "/api/v1/sessions"


async def _session(facilitators: tuple[UUID, ...] = ()) -> tuple[Group, GroupSession]:
    group = await make_group(facilitators=facilitators)
    session = await make_session(group, 1, datetime(2027, 1, 11, 10, 0, tzinfo=UTC))
    return group, session


async def add(
    client: httpx.AsyncClient, who: SignedIn, session: GroupSession, **body: object
) -> httpx.Response:
    """POST an interpreter for the session."""
    return await client.post(
        f"{SESSIONS}/{session.id}/interpreters",
        json={"language": "pl", "kind": "spoken", **body},
        headers=who.headers,
    )


async def test_add_interpreter_for_an_enrolled_patient_is_201_and_audited(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    group, session = await _session()
    patient = await make_patient()
    await make_enrolment(group, patient)

    response = await add(
        client,
        admin,
        session,
        language="PL",
        patient_id=str(patient.id),
        provider="Devon Language Line",
        notes="Arrive 10 minutes early",
    )

    assert response.status_code == 201, response.text
    body = response.json()
    assert body == {
        "id": body["id"],
        "session_id": str(session.id),
        "patient_id": str(patient.id),
        "language": "pl",
        "kind": "spoken",
        "provider": "Devon Language Line",
        "notes": "Arrive 10 minutes early",
        "booked_by_id": str(admin.user.id),
        "created_at": body["created_at"],
    }
    audited = await AuditEntry.select(AuditEntry.action, AuditEntry.entity_id).where(
        AuditEntry.action == "session_interpreter.create"
    )
    assert audited == [{"action": "session_interpreter.create", "entity_id": body["id"]}]


async def test_add_interpreter_for_a_patient_not_enrolled_is_409(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    group, session = await _session()
    stranger = await make_patient()
    declined = await make_patient()
    await make_enrolment(group, declined, status="declined")

    for patient in (stranger, declined):
        response = await add(client, admin, session, patient_id=str(patient.id))
        assert response.status_code == 409
        assert response.json() == problem(
            "patient-not-enrolled",
            "The patient is not enrolled in this group",
            409,
            "The patient holds no place in this session's group.",
            field="patient_id",
        )
    assert await SessionInterpreter.count() == 0


async def test_add_interpreter_with_a_bad_language_or_kind_is_400(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    _, session = await _session()

    bad_language = await add(client, admin, session, language="polish!")
    bad_kind = await add(client, admin, session, kind="telepathy")

    assert (bad_language.status_code, bad_kind.status_code) == (400, 400)
    assert [e["field"] for e in bad_language.json()["errors"]] == ["language"]


async def test_add_interpreter_to_a_cancelled_session_is_409_and_to_none_404(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    group = await make_group()
    cancelled = await make_session(
        group, 1, datetime(2027, 1, 11, 10, 0, tzinfo=UTC), status="cancelled", book_room=False
    )

    refused = await add(client, admin, cancelled, kind="bsl", language="bfi")
    missing = await client.post(
        f"{SESSIONS}/00000000-0000-4000-8000-000000000000/interpreters",
        json={"language": "bfi", "kind": "bsl"},
        headers=admin.headers,
    )

    assert refused.status_code == 409
    assert missing.status_code == 404


async def test_list_interpreters_for_the_groups_facilitators_and_supervisors_audits_patients(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    facilitator = await staff.signed_in(Role.FACILITATOR)
    supervisor = await staff.signed_in(Role.SUPERVISOR)
    outsider = await staff.signed_in(Role.FACILITATOR)
    group, session = await _session((facilitator.user.id,))
    patient = await make_patient()
    await make_enrolment(group, patient)
    made = [
        (await add(client, admin, session, patient_id=str(patient.id))).json(),
        (await add(client, admin, session, kind="bsl", language="bfi")).json(),
    ]
    url = f"{SESSIONS}/{session.id}/interpreters"

    first = await client.get(url, params={"limit": 1}, headers=facilitator.headers)
    second = await client.get(
        url, params={"limit": 1, "cursor": first.json()["next_cursor"]}, headers=supervisor.headers
    )
    refused = await client.get(url, headers=outsider.headers)

    assert first.status_code == 200
    assert first.json()["items"] + second.json()["items"] == made
    assert second.json()["next_cursor"] is None
    assert refused.status_code == 403
    reads = await AuditEntry.select(AuditEntry.actor, AuditEntry.entity_id).where(
        AuditEntry.action == "patient.read"
    )
    assert reads == [{"actor": facilitator.user.id, "entity_id": str(patient.id)}]


async def test_remove_interpreter_is_204_audited_and_404_when_not_of_the_session(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    facilitator = await staff.signed_in(Role.FACILITATOR)
    group, session = await _session((facilitator.user.id,))
    other = await make_session(group, 2, datetime(2027, 1, 18, 10, 0, tzinfo=UTC))
    made = (await add(client, admin, session)).json()

    wrong_session = await client.delete(
        f"{SESSIONS}/{other.id}/interpreters/{made['id']}", headers=admin.headers
    )
    by_facilitator = await client.delete(
        f"{SESSIONS}/{session.id}/interpreters/{made['id']}", headers=facilitator.headers
    )
    removed = await client.delete(
        f"{SESSIONS}/{session.id}/interpreters/{made['id']}", headers=admin.headers
    )

    assert (wrong_session.status_code, by_facilitator.status_code) == (404, 403)
    assert removed.status_code == 204
    assert await SessionInterpreter.count() == 0
    assert await AuditEntry.count().where(AuditEntry.action == "session_interpreter.delete") == 1
