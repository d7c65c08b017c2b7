"""One in-app inbox entry per message, however many channels carry it (development mode).

The development channel delivers every copy of a message (SMS, email, in-app...) to a
file and to the patient's inbox; the patient must see the message there once.
"""

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from api.core.database import write_transaction
from groups.tables import Patient
from scheduling.delivery.base import Channel, Delivery, DeliveryResult, Outcome
from scheduling.delivery.development import DevelopmentChannel
from scheduling.delivery.inbox import InboxChannel, patient_inbox
from scheduling.dispatcher import dispatch_due
from scheduling.jobs.recipients import ServiceDirectory
from scheduling.outbox import OutgoingMessage, queue_messages
from scheduling.tables import InboxMessage, OutboxMessage
from tests.group_factories import make_patient

# Monday 4 January 2027, 10:00 GMT: daytime, outside quiet hours.
NOW = datetime(2027, 1, 4, 10, 0, tzinfo=UTC)
PARAMETERS = {"name": "Pat", "starts": "Monday 11 January at 10:00", "venue": "Tavistock Library"}
BODY = (
    "Hello Pat, a reminder that your group session is on Monday 11 January at 10:00 at "
    "Tavistock Library. If you cannot come, please let the team know."
)


def development(directory: Path, now: datetime) -> dict[str, Channel]:
    """Every channel to the development channel, as configured_channels does in development."""
    channel = DevelopmentChannel(directory, now)
    return dict.fromkeys(("sms", "email", "letter", "in_app"), channel)


async def everywhere() -> Patient:
    return await make_patient(consents_to_email=True, email="pat@example.org", consents_to_app=True)


async def queue(patient: Patient, stem: str, channels: tuple[str, ...]) -> None:
    """One logical message on each channel, as the services queue one (key ends :channel)."""
    async with write_transaction():
        await queue_messages(
            [
                OutgoingMessage(
                    recipient_kind="patient",
                    recipient_id=str(patient.id),
                    channel=channel,
                    template_key="session_reminder",
                    dedup_key=f"{stem}:{channel}",
                    due_at=NOW,
                    parameters=PARAMETERS,
                )
                for channel in channels
            ],
            now=NOW - timedelta(days=1),
        )


async def dispatch(channels: dict[str, Channel], now: datetime = NOW) -> list[str]:
    report = await dispatch_due(now=now, channels=channels, directory=ServiceDirectory())
    return sorted(report.outcomes.values())


def files(directory: Path) -> list[str]:
    return sorted(path.name for path in directory.iterdir())


async def outbox_ids() -> dict[str, Any]:
    rows = await OutboxMessage.select(OutboxMessage.id, OutboxMessage.dedup_key)
    return {row["dedup_key"]: row["id"] for row in rows}


async def entries_keyed_by() -> list[Any]:
    """The outbox row each inbox entry is keyed by, sorted."""
    return sorted(row["message"] for row in await InboxMessage.select(InboxMessage.message))


async def test_a_message_on_sms_email_and_in_app_is_one_inbox_entry_and_three_files(
    database: None, tmp_path: Path
) -> None:
    patient = await everywhere()
    await queue(patient, "group:g1:session:s1:reminder:2d:e1", ("sms", "email", "in_app"))
    await queue(patient, "group:g1:session:s2:reminder:2d:e1", ("sms", "in_app"))

    assert await dispatch(development(tmp_path, NOW)) == ["sent"] * 5

    ids = await outbox_ids()
    assert files(tmp_path) == sorted(f"{message_id}.json" for message_id in ids.values())
    inbox = await patient_inbox(patient.id)
    assert [(entry.template_key, entry.body) for entry in inbox] == [
        ("session_reminder", BODY),
        ("session_reminder", BODY),
    ]
    assert await entries_keyed_by() == sorted(
        [
            ids["group:g1:session:s1:reminder:2d:e1:in_app"],
            ids["group:g1:session:s2:reminder:2d:e1:in_app"],
        ]
    )


async def test_without_an_in_app_copy_the_first_channel_keys_the_one_entry(
    database: None, tmp_path: Path
) -> None:
    patient = await make_patient(consents_to_email=True, email="pat@example.org")
    await queue(patient, "dna-follow-up:e1:s1", ("sms", "email"))

    assert await dispatch(development(tmp_path, NOW)) == ["sent", "sent"]

    assert len(await patient_inbox(patient.id)) == 1
    assert await entries_keyed_by() == [(await outbox_ids())["dna-follow-up:e1:s1:sms"]]
    assert len(files(tmp_path)) == 2


class _InAppFailsOnce:
    """The development channel, except the first in-app attempt asks to be retried."""

    def __init__(self, directory: Path, now: datetime) -> None:
        self._development = DevelopmentChannel(directory, now)
        self.failed = False

    async def send(self, delivery: Delivery) -> DeliveryResult:
        if delivery.channel == "in_app" and not self.failed:
            self.failed = True
            return DeliveryResult(Outcome.RETRY, error="try again")
        return await self._development.send(delivery)


async def test_a_retried_copy_adds_no_second_entry_whichever_copy_is_sent_first(
    database: None, tmp_path: Path
) -> None:
    patient = await everywhere()
    await queue(patient, "group:g1:session:s1:reminder:2h:e1", ("sms", "in_app"))
    flaky = _InAppFailsOnce(tmp_path, NOW)
    channels: dict[str, Channel] = {"sms": flaky, "in_app": flaky}

    assert await dispatch(channels) == ["retried", "sent"]
    first = await patient_inbox(patient.id)
    later = NOW + timedelta(hours=1)
    assert await dispatch(development(tmp_path, later), later) == ["sent"]

    assert len(first) == 1
    assert await patient_inbox(patient.id) == first
    ids = await outbox_ids()
    assert await entries_keyed_by() == [ids["group:g1:session:s1:reminder:2h:e1:in_app"]]
    assert len(files(tmp_path)) == 2


async def test_the_in_app_channel_of_a_provider_setup_still_writes_its_own_entry(
    database: None, tmp_path: Path
) -> None:
    patient = await everywhere()
    await queue(patient, "group:g1:session:s1:reminder:2d:e1", ("sms", "in_app"))
    # SMS by a provider (files stand in for it here) that does not touch the inbox.
    channels: dict[str, Channel] = {"sms": _NoInbox(tmp_path), "in_app": InboxChannel(NOW)}

    assert await dispatch(channels) == ["sent", "sent"]

    assert await entries_keyed_by() == [
        (await outbox_ids())["group:g1:session:s1:reminder:2d:e1:in_app"]
    ]


class _NoInbox:
    """A provider's adapter: sent, nothing for the inbox."""

    def __init__(self, directory: Path) -> None:
        self._development = DevelopmentChannel(directory, NOW)

    async def send(self, delivery: Delivery) -> DeliveryResult:
        result = await self._development.send(delivery)
        return DeliveryResult(result.outcome, provider_payload=result.provider_payload)


async def test_concurrent_dispatchers_write_one_entry_per_message(
    database: None, tmp_path: Path
) -> None:
    patients = [await everywhere() for _ in range(3)]
    for number in range(12):
        await queue(
            patients[number % 3],
            f"group:g1:session:s{number:02}:reminder:2d:e{number % 3}",
            ("sms", "email", "in_app"),
        )

    reports = await asyncio.gather(
        *(
            dispatch_due(
                now=NOW,
                channels=development(tmp_path, NOW),
                directory=ServiceDirectory(),
                limit=5,
            )
            for _ in range(8)
        )
    )

    sent = [outcome for report in reports for outcome in report.outcomes.values()]
    assert sent == ["sent"] * 36
    assert [len(await patient_inbox(patient.id)) for patient in patients] == [4, 4, 4]
    assert len(files(tmp_path)) == 36
