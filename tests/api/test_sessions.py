"""A scheduled group's sessions through HTTP: read, move, cancel one, cancel the group, and
the outbox messages each change queues for the patients holding a place."""

from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest

from api.core.actor import Role
from api.core.database import write_transaction
from api.identity.tables import AuditEntry
from groups.tables import Group, GroupSession
from scheduling.outbox import OutgoingMessage, queue_messages
from scheduling.tables import OutboxMessage, RoomBooking
from tests.booking_requests import PROBLEM, book, problem
from tests.factories import SignedIn, StaffFactory
from tests.group_factories import make_enrolment, make_group, make_patient, make_session
from tests.scheduling_factories import make_closure, make_room, make_venue

SESSIONS = "/api/v1/sessions"


async def scheduled(
    client: httpx.AsyncClient, admin: SignedIn, **fields: Any
) -> tuple[Group, list[dict[str, Any]]]:
    """A group scheduled through the API (Mondays 10:00 from 11 January 2027) and its sessions."""
    group = await make_group(**fields)
    response = await client.post(
        f"/api/v1/groups/{group.id}/schedule", headers={**admin.headers, "If-Match": '"v1"'}
    )
    assert response.status_code == 201, response.text
    return group, response.json()["sessions"]


async def move(
    client: httpx.AsyncClient, who: SignedIn, session_id: str, version: int = 1, **body: Any
) -> httpx.Response:
    """PATCH the session with If-Match."""
    return await client.patch(
        f"{SESSIONS}/{session_id}", json=body, headers={**who.headers, "If-Match": f'"v{version}"'}
    )


async def cancel(
    client: httpx.AsyncClient, who: SignedIn, session_id: str, version: int = 1
) -> httpx.Response:
    """POST the session's cancel with If-Match."""
    return await client.post(
        f"{SESSIONS}/{session_id}/cancel",
        json={"reason": "Facilitator ill"},
        headers={**who.headers, "If-Match": f'"v{version}"'},
    )


async def outbox() -> list[tuple[str, str, str, str]]:
    """(recipient, channel, template, dedup key) of every queued message but reminders."""
    rows = (
        await OutboxMessage.select(
            OutboxMessage.recipient_id,
            OutboxMessage.channel,
            OutboxMessage.template_key,
            OutboxMessage.dedup_key,
        )
        .where(OutboxMessage.template_key != REMINDER)
        .order_by(OutboxMessage.dedup_key)
    )
    return [(r["recipient_id"], r["channel"], r["template_key"], r["dedup_key"]) for r in rows]


REMINDER = "session_reminder"


async def queue_reminder(group_id: object, session_id: str) -> str:
    """A pending reminder about the session, keyed as the reminders job keys them."""
    key = f"group:{group_id}:session:{session_id}:reminder:2d:e1:sms"
    async with write_transaction():
        await queue_messages(
            [
                OutgoingMessage(
                    "patient", "p1", "sms", REMINDER, key, datetime(2027, 1, 1, tzinfo=UTC)
                )
            ],
            now=datetime(2026, 12, 1, tzinfo=UTC),
        )
    return key


async def statuses_of(*keys: str) -> list[str]:
    """The outbox status of each message, by dedup key."""
    rows = await OutboxMessage.select(OutboxMessage.dedup_key, OutboxMessage.status)
    found = {r["dedup_key"]: r["status"] for r in rows}
    return [found[key] for key in keys]


# -- reading -----------------------------------------------------------------------------------


async def test_list_sessions_pages_by_number_for_admins_supervisors_and_its_facilitators(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    facilitator = await staff.signed_in(Role.FACILITATOR)
    supervisor = await staff.signed_in(Role.SUPERVISOR)
    group, sessions = await scheduled(client, admin, facilitators=(facilitator.user.id,))
    url = f"/api/v1/groups/{group.id}/sessions"

    first = await client.get(url, params={"limit": 4}, headers=facilitator.headers)
    rest = await client.get(
        url, params={"limit": 4, "cursor": first.json()["next_cursor"]}, headers=admin.headers
    )
    everything = await client.get(url, headers=supervisor.headers)

    assert first.status_code == 200
    assert first.json()["items"] == sessions[:4]
    assert rest.json() == {"items": sessions[4:], "next_cursor": None}
    assert everything.json() == {"items": sessions, "next_cursor": None}


async def test_get_session_shows_it_with_its_etag_and_local_times(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    group, sessions = await scheduled(client, admin)

    response = await client.get(f"{SESSIONS}/{sessions[0]['id']}", headers=admin.headers)

    assert response.status_code == 200
    assert response.headers["ETag"] == '"v1"'
    body = response.json()
    assert body == {
        "id": sessions[0]["id"],
        "group_id": str(group.id),
        "number": 1,
        "title": "Session 1",
        "status": "scheduled",
        "cancel_reason": "",
        "cancelled_at": None,
        "starts_at": "2027-01-11T10:00:00Z",
        "ends_at": "2027-01-11T11:30:00Z",
        "local_date": "2027-01-11",
        "local_start": "10:00:00",
        "local_end": "11:30:00",
        "time_zone": "Europe/London",
        "booking_id": body["booking_id"],
        "room_id": str(group.room),
        "venue_id": str(group.venue),
        "sequence": 0,
        "version": 1,
        "created_at": body["created_at"],
        "updated_at": body["created_at"],
    }


async def test_sessions_of_another_facilitators_group_are_403(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    outsider = await staff.signed_in(Role.FACILITATOR)
    group, sessions = await scheduled(client, admin)

    listed = await client.get(f"/api/v1/groups/{group.id}/sessions", headers=outsider.headers)
    one = await client.get(f"{SESSIONS}/{sessions[0]['id']}", headers=outsider.headers)

    assert (listed.status_code, one.status_code) == (403, 403)


async def test_list_sessions_with_a_forged_cursor_is_400(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    group, _ = await scheduled(client, admin)

    response = await client.get(
        f"/api/v1/groups/{group.id}/sessions", params={"cursor": "WzEsMl0="}, headers=admin.headers
    )

    assert response.status_code == 400


# -- moving ------------------------------------------------------------------------------------


async def test_move_session_moves_its_booking_raises_sequence_and_is_audited(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    _, sessions = await scheduled(client, admin)
    second = sessions[1]

    response = await move(client, admin, second["id"], starts_at="2027-01-19T14:00")

    assert response.status_code == 200, response.text
    assert response.headers["ETag"] == '"v2"'
    body = response.json()
    assert (body["starts_at"], body["ends_at"], body["sequence"], body["version"]) == (
        "2027-01-19T14:00:00Z",
        "2027-01-19T15:30:00Z",
        1,
        2,
    )
    booking = (
        await RoomBooking.select(RoomBooking.starts_at, RoomBooking.ends_at)
        .where(RoomBooking.id == second["booking_id"])
        .first()
    )
    assert booking == {
        "starts_at": datetime(2027, 1, 19, 14, 0, tzinfo=UTC),
        "ends_at": datetime(2027, 1, 19, 15, 30, tzinfo=UTC),
    }
    actions = await AuditEntry.select(AuditEntry.action, AuditEntry.entity_id).where(
        AuditEntry.action.is_in(["group_session.move", "room_booking.update"])
    )
    assert sorted((a["action"], a["entity_id"]) for a in actions) == [
        ("group_session.move", second["id"]),
        ("room_booking.update", second["booking_id"]),
    ]


async def test_move_session_with_a_new_length_and_across_the_clock_change_keeps_local_time(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    _, sessions = await scheduled(client, admin)

    response = await move(
        client, admin, sessions[5]["id"], starts_at="2027-03-29T18:00", duration_minutes=60
    )

    assert response.status_code == 409  # Easter Monday: the venue is shut
    assert response.json()["type"].endswith("/bank-holiday")
    moved = await move(
        client, admin, sessions[5]["id"], starts_at="2027-03-30T18:00", duration_minutes=60
    )
    assert moved.status_code == 200, moved.text
    assert {k: moved.json()[k] for k in ("starts_at", "local_start", "local_end")} == {
        "starts_at": "2027-03-30T17:00:00Z",
        "local_start": "18:00:00",
        "local_end": "19:00:00",
    }


async def test_move_session_to_a_time_that_does_not_exist_is_400(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    _, sessions = await scheduled(client, admin)

    response = await move(client, admin, sessions[0]["id"], starts_at="2027-03-28T01:30")

    assert response.status_code == 400
    assert response.json()["type"].endswith("/invalid-local-time")
    assert response.json()["errors"] == [
        {
            "field": "starts_at",
            "reason": "2027-03-28 01:30 does not exist in Europe/London (the clocks go forward)",
        }
    ]


async def test_move_session_onto_another_booking_is_409_naming_it_and_changes_nothing(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    room = await make_room()
    _, sessions = await scheduled(client, admin, room=room)
    held = (await book(client, admin, room, "2027-01-12T10:00", "2027-01-12T11:00")).json()

    response = await move(client, admin, sessions[0]["id"], starts_at="2027-01-12T10:30")

    assert response.status_code == 409
    assert response.headers["content-type"] == PROBLEM
    assert response.json() == problem(
        "room-unavailable",
        "The room is already booked then",
        409,
        f"The room is already booked 10:00-11:00 on 2027-01-12 (booking {held['id']}).",
        clashing_booking_id=held["id"],
        clashing_starts_at="2027-01-12T10:00:00Z",
        clashing_ends_at="2027-01-12T11:00:00Z",
    )
    current = (await client.get(f"{SESSIONS}/{sessions[0]['id']}", headers=admin.headers)).json()
    assert current == sessions[0]


async def test_move_session_onto_a_facilitators_other_session_is_409_naming_it(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    alice = await staff.create(Role.FACILITATOR)
    _, sessions = await scheduled(client, admin, facilitators=(alice.id,))
    elsewhere = await make_group(facilitators=(alice.id,), name="Thursday group")
    busy = await make_session(
        elsewhere, 1, datetime(2027, 1, 14, 13, 0, tzinfo=UTC), book_room=False
    )

    response = await move(client, admin, sessions[0]["id"], starts_at="2027-01-14T14:00")

    assert response.status_code == 409
    assert response.json() == problem(
        "facilitator-clash",
        "A facilitator is already running a session then",
        409,
        f"Test Staff already runs a session of Thursday group then (session {busy.id}).",
        clashes=[
            {
                "staff_id": str(alice.id),
                "staff_name": "Test Staff",
                "clashing_group_id": str(elsewhere.id),
                "clashing_group_name": "Thursday group",
                "clashing_session_id": str(busy.id),
                "clashing_starts_at": "2027-01-14T13:00:00Z",
                "clashing_ends_at": "2027-01-14T14:30:00Z",
            }
        ],
    )


async def test_move_session_into_a_closure_is_409(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    venue = await make_venue()
    _, sessions = await scheduled(client, admin, room=await make_room(venue))
    await make_closure(venue, date(2027, 1, 12), date(2027, 1, 12), "Boiler repair")

    response = await move(client, admin, sessions[0]["id"], starts_at="2027-01-12T10:00")

    assert response.status_code == 409
    assert response.json()["type"].endswith("/venue-closed")


async def test_move_session_needs_a_current_if_match(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    _, sessions = await scheduled(client, admin)
    url = f"{SESSIONS}/{sessions[0]['id']}"

    missing = await client.patch(url, json={"starts_at": "2027-01-12T10:00"}, headers=admin.headers)
    stale = await move(client, admin, sessions[0]["id"], version=3, starts_at="2027-01-12T10:00")

    assert (missing.status_code, stale.status_code) == (428, 412)


async def test_move_session_to_the_past_is_400_and_of_a_past_session_409(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    group, sessions = await scheduled(client, admin)
    past = await make_session(group, 7, datetime(2026, 1, 5, 10, 0, tzinfo=UTC))

    to_past = await move(client, admin, sessions[0]["id"], starts_at="2026-01-12T10:00")
    of_past = await move(client, admin, str(past.id), starts_at="2027-06-07T10:00")

    assert to_past.status_code == 400
    assert to_past.json()["errors"] == [{"field": "starts_at", "reason": "must be in the future"}]
    assert of_past.status_code == 409
    assert of_past.json()["type"].endswith("/session-started")


@pytest.mark.parametrize("role", [Role.FACILITATOR, Role.SUPERVISOR])
async def test_move_or_cancel_session_by_a_non_admin_is_403(
    staff: StaffFactory, client: httpx.AsyncClient, role: Role
) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    other = await staff.signed_in(role)
    _, sessions = await scheduled(client, admin, facilitators=(other.user.id,))

    moved = await move(client, other, sessions[0]["id"], starts_at="2027-01-12T10:00")
    cancelled = await cancel(client, other, sessions[0]["id"])

    assert (moved.status_code, cancelled.status_code) == (403, 403)


# -- notifications -----------------------------------------------------------------------------


async def _patients(group: Group) -> dict[str, str]:
    """Place holders and others, by what they should get; answers name -> patient id."""
    now = datetime.now(UTC)
    sms = await make_patient(preferred_name="Sam")
    mail = await make_patient(
        consents_to_sms=False,
        consents_to_email=True,
        email="p@example.org",
        address_line_1="1 Fore Street",
        postcode="PL19 0AA",
        preferred_language="cy",
    )
    silent = await make_patient(consents_to_sms=False)  # letter consent but no address
    # Every address known, no consent to any channel.
    unconsented = await make_patient(
        consents_to_sms=False,
        consents_to_letter=False,
        email="u@example.org",
        address_line_1="2 Fore Street",
        postcode="PL19 0AB",
    )
    waitlisted = await make_patient()
    expired = await make_patient()
    invited = await make_patient()
    await make_enrolment(group, sms)
    await make_enrolment(group, mail, status="opted_in")
    await make_enrolment(group, silent)
    await make_enrolment(group, unconsented)
    await make_enrolment(group, waitlisted, status="waitlisted", waitlisted_at=now)
    await make_enrolment(
        group, expired, status="invited", invitation_expires_at=now - timedelta(hours=1)
    )
    await make_enrolment(
        group, invited, status="invited", invitation_expires_at=now + timedelta(days=3)
    )
    return {"sms": str(sms.id), "mail": str(mail.id), "invited": str(invited.id)}


async def test_move_session_queues_one_message_per_consented_channel_of_each_place_holder(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    venue = await make_venue(name="Tavistock Library", town="Tavistock")
    group, sessions = await scheduled(
        client, admin, room=await make_room(venue), name="Depression group"
    )
    who = await _patients(group)
    session_id = sessions[1]["id"]

    response = await move(client, admin, session_id, starts_at="2027-01-19T14:00")

    assert response.status_code == 200
    key = f"session-moved:{session_id}:1"
    assert await outbox() == sorted(
        [
            (who["invited"], "sms", "session_moved", f"{key}:{who['invited']}:sms"),
            (who["mail"], "email", "session_moved", f"{key}:{who['mail']}:email"),
            (who["mail"], "letter", "session_moved", f"{key}:{who['mail']}:letter"),
            (who["sms"], "sms", "session_moved", f"{key}:{who['sms']}:sms"),
        ],
        key=lambda m: m[3],
    )
    sam = (
        await OutboxMessage.select(
            OutboxMessage.parameters, OutboxMessage.language, OutboxMessage.status
        )
        .where(OutboxMessage.recipient_id == who["sms"])
        .output(load_json=True)
        .first()
    )
    assert sam == {
        "parameters": {
            "name": "Sam",
            "starts": "Tue 19 Jan 2027 14:00",
            "venue": "Tavistock Library, Tavistock",
            "venue_name": "Tavistock Library",
            "town": "Tavistock",
            "date": "2027-01-19",
            "time": "14:00",
        },
        "language": "en",
        "status": "pending",
    }
    welsh = await OutboxMessage.select(OutboxMessage.language).where(
        OutboxMessage.recipient_id == who["mail"]
    )
    assert {row["language"] for row in welsh} == {"cy"}


async def test_a_retried_move_queues_nothing_twice(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    group, sessions = await scheduled(client, admin)
    await _patients(group)
    session_id = sessions[1]["id"]
    first = await move(client, admin, session_id, starts_at="2027-01-19T14:00")
    queued = await outbox()

    retried = await move(client, admin, session_id, version=2, starts_at="2027-01-19T14:00")

    assert first.status_code == retried.status_code == 200
    assert retried.json() == first.json()  # no new sequence, no new version
    assert await outbox() == queued
    assert len(queued) == 4


async def test_cancel_session_cancels_its_booking_keeps_the_row_and_tells_patients(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    group, sessions = await scheduled(client, admin)
    who = await _patients(group)
    third = sessions[2]
    reminders = [await queue_reminder(group.id, s["id"]) for s in (third, sessions[3])]

    response = await cancel(client, admin, third["id"])

    assert response.status_code == 200, response.text
    assert {k: response.json()[k] for k in ("status", "sequence", "version", "cancel_reason")} == {
        "status": "cancelled",
        "sequence": 1,
        "version": 2,
        "cancel_reason": "Facilitator ill",
    }
    assert response.json()["cancelled_at"] is not None
    # The cancelled session's reminder is cancelled with it; the next session's stays.
    assert await statuses_of(*reminders) == ["cancelled", "pending"]
    booking = (
        await RoomBooking.select(RoomBooking.status)
        .where(RoomBooking.id == third["booking_id"])
        .first()
    )
    assert booking == {"status": "cancelled"}
    messages = await outbox()
    assert {(m[0], m[1], m[2]) for m in messages} == {
        (who["sms"], "sms", "session_cancelled"),
        (who["mail"], "email", "session_cancelled"),
        (who["mail"], "letter", "session_cancelled"),
        (who["invited"], "sms", "session_cancelled"),
    }
    again = await cancel(client, admin, third["id"], version=2)
    assert again.status_code == 409
    assert again.json() == problem(
        "session-cancelled",
        "The session is cancelled",
        409,
        "This session is cancelled; it stays as history.",
    )
    # The freed slot can be booked again.
    rebooked = await book(client, admin, str(group.room), "2027-01-25T10:00", "2027-01-25T11:30")
    assert rebooked.status_code == 201


async def test_cancel_group_cancels_every_future_session_and_tells_each_patient_once(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    group, sessions = await scheduled(client, admin)
    past = await make_session(group, 7, datetime(2026, 1, 5, 10, 0, tzinfo=UTC))
    who = await _patients(group)
    url = f"/api/v1/groups/{group.id}/cancel"
    reminders = [await queue_reminder(group.id, s["id"]) for s in sessions]

    response = await client.post(
        url, json={"reason": "Too few opted in"}, headers={**admin.headers, "If-Match": '"v2"'}
    )

    assert response.status_code == 200, response.text
    assert response.headers["ETag"] == '"v3"'
    assert response.json() == {
        "group_id": str(group.id),
        "status": "cancelled",
        "version": 3,
        "cancelled_session_ids": [s["id"] for s in sessions],
    }
    rows = await GroupSession.select(GroupSession.id, GroupSession.status, GroupSession.sequence)
    assert {str(r["id"]): (r["status"], r["sequence"]) for r in rows} == {
        **{s["id"]: ("cancelled", 1) for s in sessions},
        str(past.id): ("scheduled", 0),
    }
    live = await RoomBooking.select(RoomBooking.id).where(RoomBooking.status != "cancelled")
    assert [str(r["id"]) for r in live] == [str(past.booking)]
    assert await statuses_of(*reminders) == ["cancelled"] * len(sessions)
    stored = await Group.select(Group.cancel_reason).where(Group.id == group.id).first()
    assert stored == {"cancel_reason": "Too few opted in"}
    key = f"group-cancelled:{group.id}"
    assert [(m[0], m[1], m[3]) for m in await outbox()] == sorted(
        [
            (who["sms"], "sms", f"{key}:{who['sms']}:sms"),
            (who["mail"], "email", f"{key}:{who['mail']}:email"),
            (who["mail"], "letter", f"{key}:{who['mail']}:letter"),
            (who["invited"], "sms", f"{key}:{who['invited']}:sms"),
        ],
        key=lambda m: m[2],
    )
    again = await client.post(
        url, json={"reason": "again"}, headers={**admin.headers, "If-Match": '"v3"'}
    )
    assert again.status_code == 409
    assert again.json()["type"].endswith("/group-not-cancellable")


async def test_cancel_group_needs_if_match_a_reason_and_an_admin(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    supervisor = await staff.signed_in(Role.SUPERVISOR)
    group = await make_group()
    url = f"/api/v1/groups/{group.id}/cancel"

    missing = await client.post(url, json={"reason": "x"}, headers=admin.headers)
    no_reason = await client.post(url, json={}, headers={**admin.headers, "If-Match": '"v1"'})
    refused = await client.post(
        url, json={"reason": "x"}, headers={**supervisor.headers, "If-Match": '"v1"'}
    )

    assert (missing.status_code, no_reason.status_code, refused.status_code) == (428, 400, 403)
    draft = await client.post(
        url, json={"reason": "x"}, headers={**admin.headers, "If-Match": '"v1"'}
    )
    assert (draft.status_code, draft.json()["cancelled_session_ids"]) == (200, [])


async def test_move_session_whose_booking_was_cancelled_books_the_room_afresh(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    _, sessions = await scheduled(client, admin)
    first = sessions[0]
    await client.post(
        f"/api/v1/bookings/{first['booking_id']}/cancel",
        headers={**admin.headers, "If-Match": '"v1"'},
    )

    response = await move(client, admin, first["id"], starts_at="2027-01-12T10:00")

    assert response.status_code == 200, response.text
    booking_id = response.json()["booking_id"]
    assert booking_id != first["booking_id"]
    booking = (
        await RoomBooking.select(RoomBooking.starts_at, RoomBooking.status, RoomBooking.subject_id)
        .where(RoomBooking.id == booking_id)
        .first()
    )
    assert booking == {
        "starts_at": datetime(2027, 1, 12, 10, 0, tzinfo=UTC),
        "status": "confirmed",
        "subject_id": first["id"],
    }


async def test_moving_a_session_again_cancels_what_was_pending_about_its_old_time(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    group, sessions = await scheduled(client, admin)
    await _patients(group)
    session_id = sessions[1]["id"]
    old_reminder = await queue_reminder(group.id, session_id)
    other_reminder = await queue_reminder(group.id, sessions[2]["id"])

    first = await move(client, admin, session_id, starts_at="2027-01-19T14:00")
    second = await move(client, admin, session_id, version=2, starts_at="2027-01-20T14:00")

    assert (first.status_code, second.status_code) == (200, 200)
    assert await statuses_of(old_reminder, other_reminder) == ["cancelled", "pending"]
    notices = await OutboxMessage.select(OutboxMessage.dedup_key, OutboxMessage.status).where(
        OutboxMessage.template_key == "session_moved"
    )
    by_move = {(n["dedup_key"].split(":")[2], n["status"]) for n in notices}
    # The first move's notices (sequence 1) will not be sent; the second's (2) will.
    assert by_move == {("1", "cancelled"), ("2", "pending")}
