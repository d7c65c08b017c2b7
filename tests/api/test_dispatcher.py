"""The dispatcher on the development channel: claims, consent, quiet hours, expiry, retries."""

import asyncio
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from api.core.database import write_transaction
from groups.tables import Patient
from scheduling.delivery.base import Channel
from scheduling.delivery.development import DevelopmentChannel
from scheduling.delivery.inbox import InboxChannel, mark_read, patient_inbox
from scheduling.dispatcher import dispatch_due
from scheduling.jobs.recipients import ServiceDirectory
from scheduling.outbox import (
    OutgoingMessage,
    cancel_pending_for,
    cancel_pending_for_recipient,
    queue_messages,
)
from scheduling.tables import OutboxMessage
from tests.group_factories import make_patient

# Monday 4 January 2027, 10:00 GMT: daytime, outside quiet hours.
NOW = datetime(2027, 1, 4, 10, 0, tzinfo=UTC)
PARAMETERS = {"name": "Pat", "starts": "Monday 11 January at 10:00", "venue": "Tavistock Library"}


def _channels(directory: Path, now: datetime) -> dict[str, Channel]:
    development = DevelopmentChannel(directory, now)
    return {
        "sms": development,
        "email": development,
        "letter": development,
        "in_app": InboxChannel(now),
    }


async def _queue(patient: Patient, key: str = "k1", **fields: Any) -> None:
    values: dict[str, Any] = {
        "recipient_kind": "patient",
        "recipient_id": str(patient.id),
        "channel": "sms",
        "template_key": "session_reminder",
        "dedup_key": key,
        "due_at": NOW,
        "parameters": PARAMETERS,
        **fields,
    }
    async with write_transaction():
        await queue_messages([OutgoingMessage(**values)], now=NOW - timedelta(days=1))


async def _dispatch(directory: Path, now: datetime = NOW) -> dict[str, int]:
    report = await dispatch_due(
        now=now, channels=_channels(directory, now), directory=ServiceDirectory()
    )
    return {
        name: getattr(report, name)
        for name in ("claimed", "sent", "retried", "failed", "cancelled", "deferred")
        if getattr(report, name)
    }


def _files(directory: Path) -> list[str]:
    return sorted(path.name for path in directory.iterdir())


async def _rows() -> list[dict[str, Any]]:
    return await OutboxMessage.select().order_by(OutboxMessage.dedup_key)


async def test_a_due_message_is_written_to_its_own_file_and_the_patient_inbox(
    database: None, tmp_path: Path
) -> None:
    patient = await make_patient()
    await _queue(patient)
    assert await _dispatch(tmp_path) == {"claimed": 1, "sent": 1}

    [row] = await _rows()
    assert (row["status"], row["attempts"], row["sent_at"], row["last_error"]) == (
        "sent",
        1,
        NOW,
        "",
    )
    assert row["provider_reference"] == f"stepwise-{row['id']}"
    body = (
        "Hello Pat, a reminder that your group session is on Monday 11 January at 10:00 at "
        "Tavistock Library. If you cannot come, please let the team know."
    )
    assert row["rendered_body"] == body
    written = json.loads((tmp_path / f"{row['id']}.json").read_text(encoding="utf-8"))
    assert written == {
        "reference": row["provider_reference"],
        "channel": "sms",
        "template_key": "session_reminder",
        "language": "en",
        "recipient": {"kind": "patient", "id": str(patient.id)},
        "to": {"phone": "07700900123", "email": "", "postal_lines": []},
        "subject": "Reminder: your group session",
        "body": body,
        "sent_at": NOW.isoformat(),
    }
    [entry] = await patient_inbox(patient.id)
    assert (entry.subject, entry.body, entry.read_at) == (
        "Reminder: your group session",
        body,
        None,
    )
    assert await mark_read(patient.id, entry.id, now=NOW)
    assert not await mark_read(str((await make_patient()).id), entry.id, now=NOW)
    assert (await patient_inbox(patient.id))[0].read_at == NOW
    # Nothing more is due: a second run sends nothing again.
    assert await _dispatch(tmp_path, NOW + timedelta(hours=1)) == {}


async def test_welsh_is_sent_in_welsh(database: None, tmp_path: Path) -> None:
    patient = await make_patient()
    await _queue(patient, language="cy")
    await _dispatch(tmp_path)
    [row] = await _rows()
    assert row["rendered_body"].startswith("Helo Pat, nodyn i'ch atgoffa")


async def test_consent_withdrawn_after_queuing_cancels_instead_of_sending(
    database: None, tmp_path: Path
) -> None:
    patient = await make_patient()
    await _queue(patient)
    await Patient.update({Patient.consents_to_sms: False}).where(Patient.id == patient.id)
    assert await _dispatch(tmp_path) == {"claimed": 1, "cancelled": 1}
    [row] = await _rows()
    assert (row["status"], row["attempts"], row["last_error"]) == (
        "cancelled",
        0,
        "no consent or address for this channel at send time",
    )
    assert _files(tmp_path) == []


async def test_withdrawing_consent_cancels_pending_messages_on_that_channel(database: None) -> None:
    patient = await make_patient(consents_to_email=True, email="pat@example.org")
    await _queue(patient, "a-sms")
    await _queue(patient, "b-email", channel="email")
    async with write_transaction():
        count = await cancel_pending_for_recipient(
            "patient", str(patient.id), channels=["sms"], now=NOW
        )
    assert count == 1
    assert [(r["dedup_key"], r["status"]) for r in await _rows()] == [
        ("a-sms", "cancelled"),
        ("b-email", "pending"),
    ]


async def test_cancelling_a_session_cancels_its_pending_messages_by_key_prefix(
    database: None,
) -> None:
    patient = await make_patient()
    await _queue(patient, "group:g1:session:s1:reminder:2d:e1:sms")
    await _queue(patient, "group:g1:session:s1:reminder:2h:e1:sms")
    await _queue(patient, "group:g1:session:s10:reminder:2d:e1:sms")
    await _queue(patient, "group:g2:session:s1_x:reminder:2d:e1:sms")
    async with write_transaction():
        assert await cancel_pending_for("group:g1:session:s1:", now=NOW) == 2
    async with write_transaction():
        # "_" is not a wildcard: s1_x is another session.
        assert await cancel_pending_for("group:g2:session:s1:", now=NOW) == 0
    assert {r["dedup_key"]: r["status"] for r in await _rows()} == {
        "group:g1:session:s1:reminder:2d:e1:sms": "cancelled",
        "group:g1:session:s1:reminder:2h:e1:sms": "cancelled",
        "group:g1:session:s10:reminder:2d:e1:sms": "pending",
        "group:g2:session:s1_x:reminder:2d:e1:sms": "pending",
    }


async def test_quiet_hours_delay_non_urgent_messages_to_0800_and_urgent_ones_go(
    database: None, tmp_path: Path
) -> None:
    patient = await make_patient()
    late = datetime(2027, 1, 4, 22, 0, tzinfo=UTC)
    await _queue(patient, "normal", due_at=late - timedelta(minutes=5))
    # Queued at 21:55: already moved to the morning when queued.
    [row] = await _rows()
    assert row["due_at"] == datetime(2027, 1, 5, 8, 0, tzinfo=UTC)
    # A retry that comes due at night is put back at send time too.
    await OutboxMessage.update({OutboxMessage.due_at: late}).where(OutboxMessage.id == row["id"])
    await _queue(patient, "urgent", due_at=late, urgent=True)
    assert await _dispatch(tmp_path, late) == {"claimed": 2, "sent": 1, "deferred": 1}
    rows = await _rows()
    assert [(r["dedup_key"], r["status"], r["due_at"]) for r in rows] == [
        ("normal", "pending", datetime(2027, 1, 5, 8, 0, tzinfo=UTC)),
        ("urgent", "sent", late),
    ]


async def test_a_message_past_its_expiry_is_cancelled_and_recorded(
    database: None, tmp_path: Path
) -> None:
    patient = await make_patient()
    await _queue(patient, expires_at=NOW - timedelta(minutes=1))
    assert await _dispatch(tmp_path) == {"claimed": 1, "cancelled": 1}
    [row] = await _rows()
    assert (row["status"], row["last_error"]) == ("cancelled", "expired before it could be sent")


async def test_clinical_wording_in_parameters_is_refused_and_never_sent(
    database: None, tmp_path: Path
) -> None:
    patient = await make_patient()
    await _queue(patient, parameters={**PARAMETERS, "venue": "Anxiety Group, Tavistock"})
    await _queue(patient, "missing", parameters={"name": "Pat"})
    assert await _dispatch(tmp_path) == {"claimed": 2, "failed": 2}
    assert [(r["dedup_key"], r["status"], r["last_error"]) for r in await _rows()] == [
        ("k1", "failed", "refused: clinical wording (anxiety)"),
        ("missing", "failed", "message template 'session_reminder' needs starts, venue"),
    ]
    assert _files(tmp_path) == []


async def test_a_message_claimed_by_a_dispatcher_that_died_is_sent_with_the_same_reference(
    database: None, tmp_path: Path
) -> None:
    patient = await make_patient()
    await _queue(patient)
    # A dispatcher claimed it and died (its claim is committed; it never recorded a result).
    [row] = await _rows()
    reference = f"stepwise-{row['id']}"
    await OutboxMessage.update(
        {
            OutboxMessage.status: "sending",
            OutboxMessage.provider_reference: reference,
            OutboxMessage.claimed_until: NOW + timedelta(minutes=5),
        }
    ).where(OutboxMessage.id == row["id"])
    # While the claim runs, nobody else touches it.
    assert await _dispatch(tmp_path) == {}
    assert await _dispatch(tmp_path, NOW + timedelta(minutes=6)) == {"claimed": 1, "sent": 1}
    [row] = await _rows()
    assert (row["status"], row["provider_reference"]) == ("sent", reference)
    assert json.loads((tmp_path / f"{row['id']}.json").read_text())["reference"] == reference


async def test_concurrent_dispatchers_send_each_message_once(
    database: None, tmp_path: Path
) -> None:
    patients = [await make_patient() for _ in range(3)]
    for number in range(30):
        await _queue(patients[number % 3], f"k{number:02}")
    reports = await asyncio.gather(
        *(
            dispatch_due(
                now=NOW, channels=_channels(tmp_path, NOW), directory=ServiceDirectory(), limit=7
            )
            for _ in range(6)
        )
    )
    sent = [
        message_id
        for report in reports
        for message_id, outcome in report.outcomes.items()
        if outcome == "sent"
    ]
    assert len(sent) == len(set(sent)) == 30
    assert {r["status"] for r in await _rows()} == {"sent"}
    assert {r["attempts"] for r in await _rows()} == {1}


async def test_the_duty_notice_the_measures_code_queues_goes_without_its_internal_wording(
    database: None, tmp_path: Path
) -> None:
    # groups.risk_alerts queues this when no duty address is configured: in-app only.
    async with write_transaction():
        await queue_messages(
            [
                OutgoingMessage(
                    recipient_kind="duty",
                    recipient_id="duty",
                    channel="in_app",
                    template_key="risk_alert_duty",
                    dedup_key="risk-alert:a1:duty:in_app",
                    due_at=NOW,
                    parameters={"message": "A risk alert needs review.", "alert_id": "a1"},
                    urgent=True,
                )
            ],
            now=NOW,
        )
    assert await _dispatch(tmp_path) == {"claimed": 1, "sent": 1}
    [row] = await _rows()
    assert row["rendered_body"] == (
        "A new item needs the duty clinician today. Sign in to Stepwise to see it (reference a1)."
    )
    assert _files(tmp_path) == []


class _BrokenChannel:
    """A provider adapter with a bug: it raises instead of answering."""

    async def send(self, delivery: Any) -> Any:
        raise RuntimeError(f"boom for {delivery.address.phone}")


async def test_an_adapter_that_raises_is_retried_and_the_batch_goes_on(
    database: None, tmp_path: Path, caplog: Any
) -> None:
    patient = await make_patient(consents_to_email=True, email="pat@example.org")
    await _queue(patient, "a-sms")
    await _queue(patient, "b-email", channel="email")
    channels = {"sms": _BrokenChannel(), "email": DevelopmentChannel(tmp_path, NOW)}
    report = await dispatch_due(now=NOW, channels=channels, directory=ServiceDirectory())
    assert sorted(report.outcomes.values()) == ["retried", "sent"]
    rows = {r["dedup_key"]: r for r in await _rows()}
    assert (rows["a-sms"]["status"], rows["a-sms"]["last_error"]) == (
        "pending",
        "delivery raised RuntimeError",
    )
    assert "07700900123" not in caplog.text


async def test_the_inbox_pages_newest_first(database: None, tmp_path: Path) -> None:
    patient = await make_patient(consents_to_app=True)
    for number in range(3):
        await _queue(patient, f"in-app-{number}", channel="in_app")
    await _dispatch(tmp_path)
    first = await patient_inbox(patient.id, limit=2)
    rest = await patient_inbox(patient.id, before=(first[-1].created_at, first[-1].id), limit=2)
    assert len(first) == 2
    assert len(rest) == 1
    assert {entry.id for entry in first} | {rest[0].id} == {
        entry.id for entry in await patient_inbox(patient.id)
    }
