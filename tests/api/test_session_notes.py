"""Session notes through HTTP: write, edit with If-Match, read; who may, and the audit."""

import asyncio

import httpx

from api.core.actor import Role
from api.identity.tables import AuditEntry
from groups.tables import SessionNote
from tests.api.test_registers import running_group
from tests.booking_requests import problem
from tests.factories import StaffFactory
from tests.group_factories import make_enrolment, make_group


def note_url(session_id: object, enrolment_id: object) -> str:
    return f"/api/v1/sessions/{session_id}/notes/{enrolment_id}"


async def test_write_then_edit_with_if_match_then_read(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    scene = await running_group(staff, patients=1)
    url = note_url(scene.sessions[0].id, scene.enrolments[0].id)
    headers = scene.facilitator.headers

    created = await client.put(
        url, json={"text": " Quiet today; engaged in pairs. "}, headers=headers
    )
    edited = await client.put(
        url, json={"text": "Engaged in pairs."}, headers={**headers, "If-Match": '"v1"'}
    )
    read = await client.get(url, headers=headers)

    assert created.status_code == 201
    assert created.headers["ETag"] == '"v1"'
    body = created.json()
    assert body == {
        "id": body["id"],
        "session_id": str(scene.sessions[0].id),
        "enrolment_id": str(scene.enrolments[0].id),
        "text": "Quiet today; engaged in pairs.",
        "author_id": str(scene.facilitator.user.id),
        "version": 1,
        "created_at": body["created_at"],
        "updated_at": body["updated_at"],
    }
    assert edited.status_code == 200
    assert edited.headers["ETag"] == '"v2"'
    assert read.json() == edited.json()
    assert read.json()["text"] == "Engaged in pairs."
    actions = [
        row["action"]
        for row in await AuditEntry.select(AuditEntry.action)
        .where(AuditEntry.entity.is_in(["session_note", "patient"]))
        .order_by(AuditEntry.id)
    ]
    assert actions == [
        "session_note.create",
        "patient.read",
        "session_note.update",
        "patient.read",
        "session_note.read",
        "patient.read",
    ]


async def test_edit_without_or_with_a_stale_if_match_is_refused(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    scene = await running_group(staff, patients=1)
    url = note_url(scene.sessions[0].id, scene.enrolments[0].id)
    headers = scene.facilitator.headers
    await client.put(url, json={"text": "First."}, headers=headers)

    missing = await client.put(url, json={"text": "Second."}, headers=headers)
    stale = await client.put(url, json={"text": "Second."}, headers={**headers, "If-Match": '"v7"'})

    assert missing.status_code == 428
    assert stale.status_code == 412
    assert stale.json()["current_version"] == 1
    assert [row["text"] for row in await SessionNote.select(SessionNote.text)] == ["First."]


async def test_who_may_write_and_read_notes(staff: StaffFactory, client: httpx.AsyncClient) -> None:
    scene = await running_group(staff, patients=1)
    url = note_url(scene.sessions[0].id, scene.enrolments[0].id)
    admin = await staff.signed_in(Role.ADMIN)
    supervisor = await staff.signed_in(Role.SUPERVISOR)
    outsider = await staff.signed_in(Role.FACILITATOR)
    await client.put(url, json={"text": "Seen."}, headers=scene.facilitator.headers)

    assert (await client.get(url, headers=supervisor.headers)).status_code == 200
    assert (await client.get(url, headers=admin.headers)).json() == problem(
        "forbidden", "Not allowed", 403, "Your role does not allow this."
    )
    assert (await client.get(url, headers=outsider.headers)).status_code == 403
    assert (await client.put(url, json={"text": "x"}, headers=admin.headers)).status_code == 403
    assert (await client.put(url, json={"text": "x"}, headers=outsider.headers)).status_code == 403
    supervisor_and_facilitator = await staff.signed_in(Role.SUPERVISOR, Role.FACILITATOR)
    refused = await client.put(
        url,
        json={"text": "x"},
        headers={**supervisor_and_facilitator.headers, "If-Match": '"v1"'},
    )
    assert refused.json() == problem(
        "forbidden", "Not allowed", 403, "Only the group's facilitators write its session notes."
    )


async def test_bad_text_unknown_slots_and_missing_notes(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    scene = await running_group(staff, patients=1)
    session = scene.sessions[0]
    enrolment = scene.enrolments[0]
    headers = scene.facilitator.headers
    elsewhere = await make_enrolment(await make_group())

    for text in ("", "   ", "x" * 2001, "bell\x07"):
        response = await client.put(
            note_url(session.id, enrolment.id), json={"text": text}, headers=headers
        )
        assert response.status_code == 400, text
    assert (
        await client.put(
            note_url(session.id, enrolment.id), json={"text": "x" * 2000}, headers=headers
        )
    ).status_code == 201
    foreign = await client.put(
        note_url(session.id, elsewhere.id), json={"text": "x"}, headers=headers
    )
    assert foreign.json() == problem(
        "not-found", "Not found", 404, "No enrolment with this id in the session's group."
    )
    other = await make_enrolment(scene.group)
    none_yet = await client.get(note_url(session.id, other.id), headers=headers)
    assert none_yet.json() == problem(
        "not-found", "Not found", 404, "No note for this patient at this session yet."
    )


async def test_two_first_notes_at_once_store_one(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    scene = await running_group(staff, patients=1)
    url = note_url(scene.sessions[0].id, scene.enrolments[0].id)

    responses = await asyncio.gather(
        *(
            client.put(url, json={"text": f"Note {n}"}, headers=scene.facilitator.headers)
            for n in range(4)
        )
    )

    statuses = sorted(r.status_code for r in responses)
    assert statuses.count(201) == 1
    assert set(statuses) <= {201, 409, 428}
    assert await SessionNote.count() == 1


async def test_text_with_a_lone_surrogate_is_refused_not_a_500(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    scene = await running_group(staff, patients=1)
    url = note_url(scene.sessions[0].id, scene.enrolments[0].id)

    response = await client.put(
        url,
        content=b'{"text": "x\\ud800y"}',
        headers={**scene.facilitator.headers, "Content-Type": "application/json"},
    )

    assert response.status_code == 400
    assert await SessionNote.count() == 0


async def test_a_sessions_notes_a_page_at_a_time_for_facilitators_and_supervisors(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    scene = await running_group(staff, patients=3)
    session = scene.sessions[0]
    for enrolment in scene.enrolments:
        await client.put(
            note_url(session.id, enrolment.id),
            json={"text": f"About {enrolment.id}"},
            headers=scene.facilitator.headers,
        )
    supervisor = await staff.signed_in(Role.SUPERVISOR)
    admin = await staff.signed_in(Role.ADMIN)
    url = f"/api/v1/sessions/{session.id}/notes"

    first = (await client.get(url, params={"limit": 2}, headers=supervisor.headers)).json()
    second = (
        await client.get(
            url, params={"limit": 2, "cursor": first["next_cursor"]}, headers=supervisor.headers
        )
    ).json()

    shown = [note["enrolment_id"] for note in first["items"] + second["items"]]
    assert sorted(shown) == sorted(str(e.id) for e in scene.enrolments)
    assert len(first["items"]) == 2
    assert second["next_cursor"] is None
    assert (await client.get(url, headers=admin.headers)).status_code == 403
    assert (
        await client.get(url, params={"cursor": "x"}, headers=supervisor.headers)
    ).status_code == 400
