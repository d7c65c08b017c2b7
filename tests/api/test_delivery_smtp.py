"""Email over SMTP through the dispatcher, against a local aiosmtpd server."""

from datetime import UTC, datetime
from typing import Any

from api.core.database import write_transaction
from scheduling.delivery.smtp import SmtpChannel
from scheduling.dispatcher import dispatch_due
from scheduling.jobs.recipients import ServiceDirectory
from scheduling.outbox import OutgoingMessage, queue_messages
from scheduling.tables import OutboxMessage
from tests.fakes.smtp import BUSY_ADDRESS, REFUSED_ADDRESS, smtp_server
from tests.group_factories import make_patient

NOW = datetime(2027, 1, 4, 10, 0, tzinfo=UTC)
PARAMETERS = {"name": "Pat", "starts": "Monday 11 January at 10:00", "venue": "Tavistock Library"}


async def _send_to(email: str, port: int, language: str = "en") -> tuple[list[str], dict[str, Any]]:
    patient = await make_patient(consents_to_email=True, email=email)
    async with write_transaction():
        await queue_messages(
            [
                OutgoingMessage(
                    "patient",
                    str(patient.id),
                    "email",
                    "session_moved",
                    f"moved:{email}",
                    NOW,
                    PARAMETERS,
                    language=language,
                )
            ],
            now=NOW,
        )
    smtp = SmtpChannel("127.0.0.1", port, "stepwise@tavistock.example")
    report = await dispatch_due(now=NOW, channels={"email": smtp}, directory=ServiceDirectory())
    [row] = await OutboxMessage.select().where(OutboxMessage.dedup_key == f"moved:{email}")
    return list(report.outcomes.values()), row


async def test_an_email_arrives_with_its_subject_body_and_reference(database: None) -> None:
    with smtp_server() as (inbox, port):
        outcomes, row = await _send_to("pat@example.org", port, language="cy")
    assert outcomes == ["sent"]
    [message] = inbox.messages
    assert inbox.envelopes == [("stepwise@tavistock.example", ["pat@example.org"])]
    assert message["Subject"] == "Mae eich sesiwn grŵp wedi symud"
    assert message["Message-ID"] == f"<stepwise-{row['id']}@stepwise>"
    assert message.get_content().strip() == (
        "Helo Pat, mae eich sesiwn grŵp wedi symud. Mae hi nawr ar Monday 11 January at 10:00 "
        "yn Tavistock Library."
    )
    assert row["status"] == "sent"


async def test_a_refused_address_fails_and_a_greylisted_one_is_retried(database: None) -> None:
    with smtp_server() as (inbox, port):
        refused, refused_row = await _send_to(REFUSED_ADDRESS, port)
        busy, busy_row = await _send_to(BUSY_ADDRESS, port)
    assert (refused, refused_row["status"]) == (["failed"], "failed")
    assert refused_row["last_error"] == "SMTP refused the recipient ([550])"
    assert (busy, busy_row["status"], busy_row["attempts"]) == (["retried"], "pending", 1)
    assert inbox.messages == []


async def test_no_server_listening_is_retried(database: None) -> None:
    with smtp_server() as (_, port):
        pass
    outcomes, row = await _send_to("pat@example.org", port)
    assert (outcomes, row["status"]) == (["retried"], "pending")
    assert row["last_error"].startswith("SMTP unreachable")
