"""Patients' replies to reminder texts, through GOV.UK Notify's received-text callback."""

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest
import time_machine
from pydantic import SecretStr

from api.core import clock
from api.core.actor import Role
from api.core.settings import get_settings
from api.identity.tables import AuditEntry
from groups.tables import Attendance, Enrolment, Group, GroupSession, Patient
from scheduling.delivery.development import DevelopmentChannel
from scheduling.delivery.inbox import InboxChannel
from scheduling.dispatcher import dispatch_due
from scheduling.jobs.recipients import ServiceDirectory
from scheduling.reminders import queue_session_reminders, reminder_key
from scheduling.replies import SessionReply, replies_for_session
from scheduling.tables import InboundMessage, OutboxMessage
from tests.booking_requests import PROBLEM, problem
from tests.factories import StaffFactory
from tests.group_factories import make_enrolment, make_group, make_patient, make_session

CALLBACK = "/callbacks/notify/received-text"
REPLIES = "/api/v1/replies"
TOKEN = "notify-callback-token-for-tests-0123456789"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
SHUT = problem("not-found", "Not found", 404, "Not Found")  # as for a path with no route
UNAUTHENTICATED = problem(
    "not-authenticated",
    "Sign-in required",
    401,
    "The callback's bearer token is missing or wrong.",
)


def _set_token(value: str | None) -> str | None:
    messaging = get_settings().messaging
    old = messaging.notify_callback_token
    messaging.notify_callback_token = None if value is None else SecretStr(value)
    return None if old is None else old.get_secret_value()


@pytest.fixture
def callback_token() -> Iterator[str]:
    old = _set_token(TOKEN)
    try:
        yield TOKEN
    finally:
        _set_token(old)


def text(message: str, number: str = "447700900001", **fields: Any) -> dict[str, Any]:
    """A received text as Notify posts it."""
    return {
        "id": str(uuid4()),
        "source_number": number,
        "destination_number": "07700900000",
        "message": message,
        "date_received": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
        **fields,
    }


async def send_reminder(
    group: Group,
    session: GroupSession,
    enrolment: Enrolment,
    patient: Patient,
    *,
    sent_ago: timedelta = timedelta(hours=2),
    label: str = "2d",
    status: str = "sent",
) -> OutboxMessage:
    """A session reminder SMS, as the reminders job queued and the dispatcher sent it."""
    sent_at = datetime.now(UTC) - sent_ago
    message = OutboxMessage(
        recipient_kind="patient",
        recipient_id=str(patient.id),
        channel="sms",
        template_key="session_reminder",
        parameters={"name": patient.given_name, "starts": "Monday at 10am"},
        dedup_key=reminder_key(group.id, session.id, label, enrolment.id, "sms"),
        due_at=sent_at,
        status=status,
        sent_at=sent_at if status == "sent" else None,
        expires_at=session.starts_at,
    )
    await message.save()
    return message


class Scene:
    """A group with a facilitator, one upcoming session and a reminded patient."""

    group: Group
    session: GroupSession
    patient: Patient
    enrolment: Enrolment
    reminder: OutboxMessage
    facilitator_id: UUID


async def scene(
    staff: StaffFactory,
    *,
    starts_in: timedelta = timedelta(days=1),
    mobile: str = "07700 900001",
    facilitator_id: UUID | None = None,
) -> Scene:
    facilitator = facilitator_id or (await staff.create(Role.FACILITATOR)).id
    made = Scene()
    made.facilitator_id = facilitator
    made.group = await make_group(facilitators=(facilitator,), status="running")
    made.session = await make_session(made.group, 1, datetime.now(UTC) + starts_in)
    made.patient = await make_patient(mobile_phone=mobile)
    made.enrolment = await make_enrolment(made.group, made.patient)
    made.reminder = await send_reminder(made.group, made.session, made.enrolment, made.patient)
    return made


async def stored() -> list[dict[str, Any]]:
    return await InboundMessage.select().order_by(InboundMessage.received_at)


async def attendance_of(made: Scene) -> list[tuple[int, Any]]:
    rows = await Attendance.select(Attendance.outcome, Attendance.recorded_by).where(
        (Attendance.session == made.session.id) & (Attendance.enrolment == made.enrolment.id)
    )
    return [(row["outcome"], row["recorded_by"]) for row in rows]


# -- YES and NO -------------------------------------------------------------------------------


@pytest.mark.parametrize("message", ["YES", "y", "Yeah!", "ok", "I'll be there x"])
async def test_yes_confirms_the_reminded_session_and_writes_no_register_entry(
    client: httpx.AsyncClient, staff: StaffFactory, callback_token: str, message: str
) -> None:
    made = await scene(staff)

    response = await client.post(CALLBACK, json=text(message), headers=AUTH)

    assert (response.status_code, response.content) == (204, b"")
    [row] = await stored()
    assert {
        key: row[key]
        for key in ("from_number", "body", "outcome", "patient_id", "session_id", "group_id")
    } == {
        "from_number": "+447700900001",
        "body": message,
        "outcome": "confirmed",
        "patient_id": str(made.patient.id),
        "session_id": str(made.session.id),
        "group_id": str(made.group.id),
    }
    assert row["matched_message_id"] == str(made.reminder.id)
    assert (row["attendance_recorded"], row["read_at"]) == (False, None)
    assert await attendance_of(made) == []
    assert await replies_for_session(made.session.id) == {
        made.patient.id: SessionReply("confirmed", row["received_at"])
    }


@pytest.mark.parametrize("message", ["NO", "n", "No sorry", "Can't make it", "cancel"])
async def test_no_records_cancelled_by_patient_and_leaves_the_enrolment(
    client: httpx.AsyncClient, staff: StaffFactory, callback_token: str, message: str
) -> None:
    made = await scene(staff)

    response = await client.post(CALLBACK, json=text(message), headers=AUTH)

    assert response.status_code == 204, response.text
    [row] = await stored()
    assert (row["outcome"], row["attendance_recorded"]) == ("cancelled", True)
    assert await attendance_of(made) == [(2, None)]
    enrolment = await Enrolment.select(Enrolment.status, Enrolment.consecutive_dnas).where(
        Enrolment.id == made.enrolment.id
    )
    assert enrolment == [{"status": "active", "consecutive_dnas": 0}]
    assert await replies_for_session(made.session.id) == {
        made.patient.id: SessionReply("cancelled", row["received_at"])
    }
    audit = await AuditEntry.select(AuditEntry.action, AuditEntry.actor).where(
        AuditEntry.action.is_in(["attendance.patient_cancelled", "inbound_message.receive"])
    )
    assert sorted((entry["action"], entry["actor"]) for entry in audit) == [
        ("attendance.patient_cancelled", None),
        ("inbound_message.receive", None),
    ]


async def test_no_after_the_facilitator_took_the_register_does_not_overwrite_it(
    client: httpx.AsyncClient, staff: StaffFactory, callback_token: str
) -> None:
    facilitator = await staff.signed_in(Role.FACILITATOR)
    made = await scene(staff, starts_in=timedelta(minutes=3), facilitator_id=facilitator.user.id)
    taken = await client.put(
        f"/api/v1/sessions/{made.session.id}/register",
        json={"entries": [{"enrolment_id": str(made.enrolment.id), "outcome": 5}]},
        headers=facilitator.headers,
    )
    assert taken.status_code == 200, taken.text

    response = await client.post(CALLBACK, json=text("no"), headers=AUTH)

    assert response.status_code == 204
    [row] = await stored()
    assert (row["outcome"], row["attendance_recorded"]) == ("cancelled", False)
    assert await attendance_of(made) == [(5, facilitator.user.id)]


async def test_words_neither_yes_nor_no_are_kept_for_the_facilitators_to_read(
    client: httpx.AsyncClient, staff: StaffFactory, callback_token: str
) -> None:
    made = await scene(staff)

    await client.post(CALLBACK, json=text("What time does it start?"), headers=AUTH)

    [row] = await stored()
    assert (row["outcome"], row["patient_id"]) == ("unrecognised", str(made.patient.id))
    assert await attendance_of(made) == []
    assert await replies_for_session(made.session.id) == {}


async def test_the_last_reminder_sent_names_the_session(
    client: httpx.AsyncClient, staff: StaffFactory, callback_token: str
) -> None:
    made = await scene(staff, starts_in=timedelta(days=2))
    other = await scene(staff, starts_in=timedelta(hours=20), mobile="07700 900002")
    # The same patient in a second group, reminded more recently about its session.
    later = await make_enrolment(other.group, made.patient)
    await send_reminder(
        other.group, other.session, later, made.patient, sent_ago=timedelta(minutes=5)
    )

    await client.post(CALLBACK, json=text("yes"), headers=AUTH)

    [row] = await stored()
    assert (row["session_id"], row["patient_id"]) == (str(other.session.id), str(made.patient.id))


# -- unmatched and ambiguous ------------------------------------------------------------------


async def test_a_reply_from_a_number_no_reminder_went_to_is_unmatched(
    client: httpx.AsyncClient, staff: StaffFactory, callback_token: str
) -> None:
    made = await scene(staff)

    await client.post(CALLBACK, json=text("no", number="447700900999"), headers=AUTH)

    [row] = await stored()
    assert {key: row[key] for key in ("outcome", "patient_id", "session_id", "from_number")} == {
        "outcome": "unmatched",
        "patient_id": None,
        "session_id": None,
        "from_number": "+447700900999",
    }
    assert await attendance_of(made) == []


@pytest.mark.parametrize(
    ("sent_ago", "starts_in", "status"),
    [
        (timedelta(days=4), timedelta(days=1), "sent"),  # reminder outside the window
        (timedelta(hours=3), timedelta(hours=-1), "sent"),  # the session has begun
        (timedelta(hours=2), timedelta(days=1), "failed"),  # never reached the phone
    ],
    ids=["old-reminder", "session-started", "not-sent"],
)
async def test_a_reply_outside_the_reminder_window_is_unmatched(
    client: httpx.AsyncClient,
    staff: StaffFactory,
    callback_token: str,
    sent_ago: timedelta,
    starts_in: timedelta,
    status: str,
) -> None:
    facilitator = await staff.create(Role.FACILITATOR)
    group = await make_group(facilitators=(facilitator.id,), status="running")
    session = await make_session(group, 1, datetime.now(UTC) + starts_in)
    patient = await make_patient(mobile_phone="+44 7700 900001")
    enrolment = await make_enrolment(group, patient)
    await send_reminder(group, session, enrolment, patient, sent_ago=sent_ago, status=status)

    await client.post(CALLBACK, json=text("no"), headers=AUTH)

    [row] = await stored()
    assert row["outcome"] == "unmatched"
    assert await Attendance.count() == 0


async def test_a_number_reminded_for_two_patients_is_ambiguous_and_records_nothing(
    client: httpx.AsyncClient, staff: StaffFactory, callback_token: str
) -> None:
    made = await scene(staff, mobile="07700900001")
    partner = await make_patient(mobile_phone="(07700) 900-001")
    partner_enrolment = await make_enrolment(made.group, partner)
    await send_reminder(made.group, made.session, partner_enrolment, partner)

    await client.post(CALLBACK, json=text("No"), headers=AUTH)

    [row] = await stored()
    assert (row["outcome"], row["patient_id"], row["session_id"]) == ("ambiguous", None, None)
    assert await Attendance.count() == 0


# -- the callback's own rules -----------------------------------------------------------------


async def test_a_retried_callback_is_stored_once_and_acted_on_once(
    client: httpx.AsyncClient, staff: StaffFactory, callback_token: str
) -> None:
    made = await scene(staff)
    body = text("no")

    first = await client.post(CALLBACK, json=body, headers=AUTH)
    again = await client.post(CALLBACK, json=body, headers=AUTH)

    assert (first.status_code, again.status_code) == (204, 204)
    assert len(await stored()) == 1
    assert await attendance_of(made) == [(2, None)]


async def test_the_same_text_delivered_twice_at_once_is_stored_once(
    client: httpx.AsyncClient, staff: StaffFactory, callback_token: str
) -> None:
    made = await scene(staff)
    body = text("no")

    responses = await asyncio.gather(
        *(client.post(CALLBACK, json=body, headers=AUTH) for _ in range(3))
    )

    assert [response.status_code for response in responses] == [204, 204, 204]
    assert len(await stored()) == 1
    assert await attendance_of(made) == [(2, None)]


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer not-the-token"},
        {"Authorization": TOKEN},
        {"Authorization": f"Basic {TOKEN}"},
        {"Authorization": f"Bearer {TOKEN}x"},
        {"Authorization": "Bearer é".encode("latin-1")},
    ],
    ids=["missing", "wrong", "no-scheme", "basic", "longer", "non-ascii"],
)
async def test_the_callback_without_its_token_is_401_and_stores_nothing(
    client: httpx.AsyncClient,
    staff: StaffFactory,
    callback_token: str,
    headers: dict[str, str | bytes],
) -> None:
    made = await scene(staff)

    response = await client.post(CALLBACK, json=text("no"), headers=headers)

    assert (response.status_code, response.headers["content-type"]) == (401, PROBLEM)
    assert response.json() == UNAUTHENTICATED
    assert await stored() == []
    assert await attendance_of(made) == []


async def test_the_callback_is_shut_while_no_token_is_configured(
    client: httpx.AsyncClient, staff: StaffFactory
) -> None:
    made = await scene(staff)
    old = _set_token(None)
    try:
        response = await client.post(
            CALLBACK, json=text("yes"), headers={"Authorization": "Bearer "}
        )
    finally:
        _set_token(old)

    assert (response.status_code, response.json()) == (404, SHUT)
    assert await stored() == []
    assert await attendance_of(made) == []


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"id": ""}, "id"),
        ({"source_number": "not a number"}, "source_number"),
        ({"message": None}, "message"),
        ({"date_received": "yesterday"}, "date_received"),
        ({"message": "no\x00"}, "message"),
    ],
)
async def test_a_malformed_payload_is_400_naming_the_field(
    client: httpx.AsyncClient, callback_token: str, change: dict[str, Any], field: str
) -> None:
    response = await client.post(CALLBACK, json={**text("yes"), **change}, headers=AUTH)

    assert (response.status_code, response.headers["content-type"]) == (400, PROBLEM)
    assert [error["field"] for error in response.json()["errors"]] == [field]
    assert await stored() == []


async def test_unknown_fields_are_tolerated_and_a_long_text_is_kept_short(
    client: httpx.AsyncClient, staff: StaffFactory, callback_token: str
) -> None:
    await scene(staff)

    response = await client.post(
        CALLBACK, json=text("x" * 1500, notify_added_this="later"), headers=AUTH
    )

    assert response.status_code == 204
    [row] = await stored()
    assert (len(row["body"]), row["outcome"]) == (1000, "unrecognised")


async def test_the_text_and_number_never_reach_the_log(
    client: httpx.AsyncClient,
    staff: StaffFactory,
    callback_token: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    await scene(staff)
    caplog.set_level("INFO")  # the service's level (a driver's DEBUG shows every query)

    await client.post(CALLBACK, json=text("no, feeling awful"), headers=AUTH)

    assert "feeling awful" not in caplog.text
    assert "900001" not in caplog.text


# -- staff: who sees which replies ------------------------------------------------------------


async def callback_route_admits_only_its_token(
    client: httpx.AsyncClient, path: str, staff: StaffFactory
) -> None:
    """For tests/api/test_routes_guarded.py's PUBLIC_ROUTE_CHECKS: no sign-in, but only
    Notify's configured bearer token stores a text; no token configured shuts it (404)."""
    old = _set_token(None)
    try:
        shut = await client.post(path, json=text("yes"), headers={"Authorization": "Bearer "})
        _set_token(TOKEN)
        wrong = await client.post(path, json=text("yes"), headers={"Authorization": "Bearer x"})
        missing = await client.post(path, json=text("yes"))
        right = await client.post(path, json=text("yes"), headers=AUTH)
    finally:
        _set_token(old)

    assert (shut.status_code, shut.json()) == (404, SHUT)
    for refused in (wrong, missing):
        assert (refused.status_code, refused.json()) == (401, UNAUTHENTICATED)
    assert right.status_code == 204
    assert len(await stored()) == 1


async def test_callback_route_admits_only_its_token(
    client: httpx.AsyncClient, staff: StaffFactory
) -> None:
    await callback_route_admits_only_its_token(client, CALLBACK, staff)


# -- end to end: the reminders job, the dispatcher, then the reply ----------------------------


async def test_a_no_to_a_reminder_the_jobs_sent_cancels_that_session(
    client: httpx.AsyncClient, callback_token: str, tmp_path: Path
) -> None:
    starts_at = datetime(2027, 1, 11, 10, 0, tzinfo=UTC)  # a Monday morning
    group = await make_group(first_session_date=starts_at.date(), status="scheduled")
    session = await make_session(group, 1, starts_at)
    await make_session(group, 2, starts_at + timedelta(days=7))  # not the one reminded
    patient = await make_patient(mobile_phone="07700 900777")
    enrolment = await make_enrolment(group, patient)

    # Saturday noon: the reminders job queues the two-day reminder and the dispatcher sends it.
    with time_machine.travel(datetime(2027, 1, 9, 12, 0, tzinfo=UTC), tick=True):
        now = clock.now()
        await queue_session_reminders(now=now)
        channels = {"sms": DevelopmentChannel(tmp_path, now), "in_app": InboxChannel(now)}
        await dispatch_due(now=now, channels=channels, directory=ServiceDirectory())
        response = await client.post(
            CALLBACK,
            json=text("Sorry can't make it", number="447700900777", date_received=now.isoformat()),
            headers=AUTH,
        )

    assert response.status_code == 204
    [reminder] = await OutboxMessage.select(OutboxMessage.id, OutboxMessage.status).where(
        OutboxMessage.channel == "sms"
    )
    assert reminder["status"] == "sent"
    [row] = await stored()
    assert (row["outcome"], row["session_id"], row["matched_message_id"]) == (
        "cancelled",
        str(session.id),
        str(reminder["id"]),
    )
    marks = await Attendance.select(Attendance.session, Attendance.outcome).where(
        Attendance.enrolment == enrolment.id
    )
    assert marks == [{"session": session.id, "outcome": 2}]
