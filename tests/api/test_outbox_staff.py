"""Staff endpoints: outbox per patient and per group, failed messages, resend, templates."""

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from api.core.actor import Role
from api.core.database import write_transaction
from api.identity.tables import AuditEntry
from groups.tables import Patient
from scheduling.outbox import OutgoingMessage, queue_messages
from scheduling.tables import OutboxMessage
from tests.factories import StaffFactory
from tests.group_factories import make_enrolment, make_group, make_patient

OUTBOX = "/api/v1/outbox"
PROBLEMS = "https://stepwise.example/problems/"
NOW = datetime(2027, 1, 4, 10, 0, tzinfo=UTC)


async def _queue(
    patient: Patient | None, key: str, template: str = "session_cancelled", **fields: Any
) -> None:
    values: dict[str, Any] = {
        "recipient_kind": "patient" if patient else "duty",
        "recipient_id": str(patient.id) if patient else "duty",
        "channel": "sms",
        "template_key": template,
        "dedup_key": key,
        "due_at": NOW,
        "parameters": {"name": "Pat", "starts": "Monday"},
    }
    values.update(fields)
    async with write_transaction():
        await queue_messages([OutgoingMessage(**values)], now=NOW)


async def _fail(key: str, error: str = "Notify 400: phone_number Not a UK mobile number") -> None:
    await OutboxMessage.update(
        {OutboxMessage.status: "failed", OutboxMessage.attempts: 1, OutboxMessage.last_error: error}
    ).where(OutboxMessage.dedup_key == key)


def _keys(body: dict[str, Any]) -> list[str]:
    return [item["template_key"] + ":" + item["status"] for item in body["items"]]


async def test_a_patients_messages_page_newest_first_without_text_and_audited(
    client: httpx.AsyncClient, staff: StaffFactory
) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    patient = await make_patient()
    for number in range(3):
        await _queue(patient, f"k{number}")
        await OutboxMessage.update(
            {OutboxMessage.created_at: NOW + timedelta(minutes=number)}
        ).where(OutboxMessage.dedup_key == f"k{number}")
    await _queue(await make_patient(), "someone-else")
    first = await client.get(
        f"{OUTBOX}/patients/{patient.id}/messages?limit=2", headers=admin.headers
    )
    assert first.status_code == 200, first.text
    body = first.json()
    assert [item["due_at"] for item in body["items"]] == ["2027-01-04T10:00:00Z"] * 2
    [row] = await OutboxMessage.select().where(OutboxMessage.dedup_key == "k2")
    assert body["items"][0] == {
        "id": str(row["id"]),
        "recipient_kind": "patient",
        "recipient_id": str(patient.id),
        "channel": "sms",
        "template_key": "session_cancelled",
        "language": "en",
        "urgent": False,
        "status": "pending",
        "attempts": 0,
        "last_error": "",
        "provider_reference": "",
        "due_at": "2027-01-04T10:00:00Z",
        "sent_at": None,
        "created_at": "2027-01-04T10:02:00Z",
        "updated_at": "2027-01-04T10:00:00Z",
    }
    second = await client.get(
        f"{OUTBOX}/patients/{patient.id}/messages?limit=2&cursor={body['next_cursor']}",
        headers=admin.headers,
    )
    assert [item["created_at"] for item in second.json()["items"]] == ["2027-01-04T10:00:00Z"]
    assert second.json()["next_cursor"] is None
    reads = await AuditEntry.select(AuditEntry.action, AuditEntry.entity_id).where(
        AuditEntry.action == "patient.read"
    )
    assert [(r["action"], r["entity_id"]) for r in reads] == [("patient.read", str(patient.id))] * 2


async def test_facilitators_see_only_their_groups_patients(
    client: httpx.AsyncClient, staff: StaffFactory
) -> None:
    mine = await staff.signed_in(Role.FACILITATOR)
    group = await make_group(facilitators=(mine.user.id,))
    enrolment = await make_enrolment(group)
    other = await make_patient()
    await _queue(await Patient.objects().get(Patient.id == enrolment.patient), "k1")
    allowed = await client.get(
        f"{OUTBOX}/patients/{enrolment.patient}/messages", headers=mine.headers
    )
    assert _keys(allowed.json()) == ["session_cancelled:pending"]
    group_page = await client.get(f"{OUTBOX}/groups/{group.id}/messages", headers=mine.headers)
    assert _keys(group_page.json()) == ["session_cancelled:pending"]
    refused = await client.get(f"{OUTBOX}/patients/{other.id}/messages", headers=mine.headers)
    assert refused.status_code == 403
    assert refused.json() == {
        "type": PROBLEMS + "forbidden",
        "status": 403,
        "title": "Not allowed",
        "detail": "You do not facilitate a group this patient is in.",
    }
    other_group = await make_group()
    assert (
        await client.get(f"{OUTBOX}/groups/{other_group.id}/messages", headers=mine.headers)
    ).status_code == 403
    missing = await client.get(f"{OUTBOX}/patients/{other_group.id}/messages", headers=mine.headers)
    assert missing.status_code == 404


async def test_failed_messages_and_resend_and_admins_never_see_risk_notices(
    client: httpx.AsyncClient, staff: StaffFactory
) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    supervisor = await staff.signed_in(Role.SUPERVISOR)
    facilitator = await staff.signed_in(Role.FACILITATOR)
    patient = await make_patient()
    await _queue(patient, "bad-number")
    await _fail("bad-number")
    await _queue(None, "duty-notice", "risk_alert_duty", parameters={"alert_id": "a1"}, urgent=True)
    await _fail("duty-notice", "SMTP 550")
    await _queue(patient, "fine")

    as_admin = await client.get(f"{OUTBOX}/failed", headers=admin.headers)
    assert _keys(as_admin.json()) == ["session_cancelled:failed"]
    assert (
        as_admin.json()["items"][0]["last_error"]
        == "Notify 400: phone_number Not a UK mobile number"
    )
    as_supervisor = await client.get(f"{OUTBOX}/failed", headers=supervisor.headers)
    assert sorted(_keys(as_supervisor.json())) == [
        "risk_alert_duty:failed",
        "session_cancelled:failed",
    ]
    assert (await client.get(f"{OUTBOX}/failed", headers=facilitator.headers)).status_code == 403

    failed_id = as_admin.json()["items"][0]["id"]
    resent = await client.post(f"{OUTBOX}/messages/{failed_id}/resend", headers=admin.headers)
    assert resent.status_code == 200, resent.text
    assert (resent.json()["status"], resent.json()["attempts"], resent.json()["last_error"]) == (
        "pending",
        0,
        "",
    )
    again = await client.post(f"{OUTBOX}/messages/{failed_id}/resend", headers=admin.headers)
    assert again.status_code == 409
    assert again.json() == {
        "type": PROBLEMS + "conflict",
        "status": 409,
        "title": "Conflict with the current state",
        "detail": "Only a failed message can be sent again.",
        "status_now": "pending",
    }
    duty_id = as_supervisor.json()["items"][0]["id"]
    if as_supervisor.json()["items"][0]["template_key"] != "risk_alert_duty":
        duty_id = as_supervisor.json()["items"][1]["id"]
    hidden = await client.post(f"{OUTBOX}/messages/{duty_id}/resend", headers=admin.headers)
    assert hidden.status_code == 404
    assert (
        await client.post(f"{OUTBOX}/messages/{duty_id}/resend", headers=supervisor.headers)
    ).status_code == 200
    audit = await AuditEntry.select(AuditEntry.action).where(
        AuditEntry.action == "outbox_message.resend"
    )
    assert len(audit) == 2


async def test_a_forged_cursor_is_a_400(client: httpx.AsyncClient, staff: StaffFactory) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    response = await client.get(f"{OUTBOX}/failed?cursor=WyJ4IiwgInkiXQ==", headers=admin.headers)
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"field": "cursor", "reason": "is not a cursor this API gave"}
    ]


async def test_templates_list_every_kind_with_wording_in_each_language(
    client: httpx.AsyncClient, staff: StaffFactory
) -> None:
    facilitator = await staff.signed_in(Role.FACILITATOR)
    response = await client.get(f"{OUTBOX}/templates", headers=facilitator.headers)
    assert response.status_code == 200
    items = {item["key"]: item for item in response.json()["items"]}
    assert len(items) == 11
    assert items["session_cancelled"] == {
        "key": "session_cancelled",
        "audience": "patient",
        "parameters": ["name", "starts"],
        "languages": ["cy", "en"],
        "text": {
            "cy": {
                "subject": "Mae eich sesiwn grŵp wedi'i chanslo",
                "body": (
                    "Helo {name}, mae eich sesiwn grŵp ar {starts} wedi'i chanslo. "
                    "Bydd y tîm yn cysylltu â chi am y camau nesaf."
                ),
            },
            "en": {
                "subject": "Your group session is cancelled",
                "body": (
                    "Hello {name}, your group session on {starts} is cancelled. "
                    "The team will be in touch about what happens next."
                ),
            },
        },
        "notify_template_id": None,
    }
