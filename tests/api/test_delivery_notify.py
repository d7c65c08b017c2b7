"""GOV.UK Notify through the dispatcher, against a fake Notify on loopback."""

from datetime import UTC, datetime, timedelta
from typing import Any

from api.core.database import write_transaction
from groups.tables import Patient
from scheduling.delivery.notify import NotifyChannel
from scheduling.dispatcher import dispatch_due
from scheduling.jobs.recipients import ServiceDirectory
from scheduling.outbox import OutgoingMessage, queue_messages
from scheduling.tables import OutboxMessage
from tests.fakes.notify import API_KEY, INVALID_NUMBER, FakeNotify, fake_notify
from tests.group_factories import make_patient

NOW = datetime(2027, 1, 4, 10, 0, tzinfo=UTC)
REMINDER_TEMPLATE = "f33517ff-2a88-4f6e-b855-c550268ce08a"
LETTER_TEMPLATE = "0c8e5e1c-3a3b-4d55-9d0a-7c0d3d7e9f11"
PARAMETERS = {"name": "Pat", "starts": "Monday 11 January at 10:00", "venue": "Tavistock Library"}


async def _queue(
    patient: Patient, channel: str = "sms", template: str = "session_reminder"
) -> None:
    parameters: dict[str, str] = PARAMETERS
    if template == "opt_in_letter":
        parameters = {**PARAMETERS, "reply_by": "Friday 8 January"}
    async with write_transaction():
        await queue_messages(
            [
                OutgoingMessage(
                    "patient", str(patient.id), channel, template, f"k-{channel}", NOW, parameters
                )
            ],
            now=NOW,
        )


async def _dispatch(fake: FakeNotify, now: datetime) -> dict[Any, str]:
    notify = NotifyChannel(
        API_KEY,
        {"session_reminder": REMINDER_TEMPLATE, "opt_in_letter": LETTER_TEMPLATE},
        fake.base_url,
    )
    channels = {"sms": notify, "email": notify, "letter": notify}
    report = await dispatch_due(now=now, channels=channels, directory=ServiceDirectory())
    return dict(report.outcomes)


async def _row() -> dict[str, Any]:
    [row] = await OutboxMessage.select()
    return row


async def test_an_sms_is_posted_with_its_template_personalisation_and_stable_reference(
    database: None,
) -> None:
    patient = await make_patient()
    await _queue(patient)
    with fake_notify(REMINDER_TEMPLATE) as fake:
        assert list((await _dispatch(fake, NOW)).values()) == ["sent"]
    row = await _row()
    assert fake.refused == []
    assert fake.received == [
        {
            "kind": "sms",
            "phone_number": "07700900123",
            "template_id": REMINDER_TEMPLATE,
            "personalisation": PARAMETERS,
            "reference": f"stepwise-{row['id']}",
        }
    ]
    assert (row["status"], row["attempts"]) == ("sent", 1)
    assert f'"reference": "stepwise-{row["id"]}"' in row["provider_payload"]


async def test_email_and_letter_carry_their_addresses(database: None) -> None:
    patient = await make_patient(
        consents_to_email=True,
        email="pat@example.org",
        address_line_1="1 Bedford Square",
        town="Tavistock",
        postcode="PL19 0AE",
    )
    await _queue(patient, "email")
    await _queue(patient, "letter", "opt_in_letter")
    with fake_notify(REMINDER_TEMPLATE, LETTER_TEMPLATE) as fake:
        assert set((await _dispatch(fake, NOW)).values()) == {"sent"}
    by_kind = {request["kind"]: request for request in fake.received}
    assert by_kind["email"]["email_address"] == "pat@example.org"
    assert by_kind["letter"]["personalisation"] == {
        **PARAMETERS,
        "reply_by": "Friday 8 January",
        "address_line_1": f"{patient.given_name} {patient.family_name}",
        "address_line_2": "1 Bedford Square",
        "address_line_3": "Tavistock",
        "address_line_4": "PL19 0AE",
    }


async def test_an_invalid_number_fails_at_once_without_retrying(database: None) -> None:
    patient = await make_patient(mobile_phone=INVALID_NUMBER)
    await _queue(patient)
    with fake_notify(REMINDER_TEMPLATE) as fake:
        assert list((await _dispatch(fake, NOW)).values()) == ["failed"]
        assert await _dispatch(fake, NOW + timedelta(days=1)) == {}
    row = await _row()
    assert (row["status"], row["attempts"], row["last_error"]) == (
        "failed",
        1,
        "Notify 400: phone_number Not a UK mobile number",
    )
    assert len(fake.received) == 1


async def test_rate_limits_and_server_errors_retry_with_exponential_backoff(database: None) -> None:
    patient = await make_patient()
    await _queue(patient)
    with fake_notify(REMINDER_TEMPLATE) as fake:
        fake.answers = [429, 500, 503]
        now = NOW
        waits = []
        for expected in ("retried", "retried", "retried"):
            assert list((await _dispatch(fake, now)).values()) == [expected]
            row = await _row()
            waits.append(row["due_at"] - now)
            # Not due yet: a run before the backoff ends sends nothing.
            assert await _dispatch(fake, row["due_at"] - timedelta(seconds=1)) == {}
            now = row["due_at"]
        assert list((await _dispatch(fake, now)).values()) == ["sent"]
    assert waits == [timedelta(seconds=60), timedelta(seconds=120), timedelta(seconds=240)]
    row = await _row()
    assert (row["status"], row["attempts"], row["last_error"]) == ("sent", 4, "")
    # Every attempt carried the same reference.
    assert {request["reference"] for request in fake.received} == {f"stepwise-{row['id']}"}
    assert fake.refused == []


async def test_after_max_attempts_the_message_fails_for_staff_to_see(database: None) -> None:
    patient = await make_patient()
    await _queue(patient)
    with fake_notify(REMINDER_TEMPLATE) as fake:
        fake.answers = [500] * 10
        now = NOW
        for _ in range(5):
            await _dispatch(fake, now)
            now = (await _row())["due_at"]
    row = await _row()
    assert (row["status"], row["attempts"], row["last_error"]) == (
        "failed",
        5,
        "Notify 500: Internal server error",
    )
    assert len(fake.received) == 5


async def test_a_wrong_key_or_unknown_template_is_refused_and_fails(database: None) -> None:
    patient = await make_patient()
    await _queue(patient)
    with fake_notify("some-other-template") as fake:
        assert list((await _dispatch(fake, NOW)).values()) == ["failed"]
    assert fake.refused == ["unknown template"]
    assert (await _row())["last_error"] == "Notify 403: unknown template"


async def test_an_unreachable_notify_is_retried(database: None) -> None:
    patient = await make_patient()
    await _queue(patient)
    with fake_notify(REMINDER_TEMPLATE) as fake:
        base_url = fake.base_url
    # The server has stopped: nothing listens on its port now.
    stopped = FakeNotify(base_url=base_url)
    assert list((await _dispatch(stopped, NOW)).values()) == ["retried"]
    assert (await _row())["last_error"].startswith("Notify")
