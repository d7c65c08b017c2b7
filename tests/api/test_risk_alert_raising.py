"""Raising risk alerts from other services: once per source, duty told at once."""

from datetime import UTC, datetime, timedelta
from uuid import UUID

import pytest

from api.core.database import write_transaction
from groups import risk_alerts
from groups.tables import RiskAlert
from scheduling.tables import OutboxMessage
from tests.group_factories import make_enrolment, make_group

NOW = datetime(2027, 1, 11, 11, 0, tzinfo=UTC)


async def test_free_text_alert_is_raised_once_per_source_and_tells_the_duty_contact(
    database: None,
) -> None:
    enrolment = await make_enrolment(await make_group())
    for _ in range(3):  # a retried homework submission
        async with write_transaction():
            await risk_alerts.raise_free_text_alert(
                enrolment.id, "homework_submission", "sub-1", now=NOW
            )
    alerts = await RiskAlert.select(
        RiskAlert.enrolment,
        RiskAlert.source_kind,
        RiskAlert.source_id,
        RiskAlert.reason,
        RiskAlert.status,
        RiskAlert.measure_set,
        RiskAlert.id,
    )
    assert len(alerts) == 1
    alert = alerts[0]
    assert {k: v for k, v in alert.items() if k != "id"} == {
        "enrolment": enrolment.id,
        "source_kind": "homework_submission",
        "source_id": "sub-1",
        "reason": "free_text",
        "status": "open",
        "measure_set": None,
    }
    messages = await OutboxMessage.select(
        OutboxMessage.recipient_kind,
        OutboxMessage.template_key,
        OutboxMessage.parameters,
        OutboxMessage.urgent,
        OutboxMessage.due_at,
        OutboxMessage.channel,
    ).output(load_json=True)
    assert messages == [
        {
            "recipient_kind": "duty",
            "template_key": "risk_alert_duty",
            "parameters": {"message": "A risk alert needs review.", "alert_id": str(alert["id"])},
            "urgent": True,
            "due_at": NOW,
            "channel": "in_app",
        }
    ]


async def _raise_then_fail(enrolment_id: UUID) -> None:
    async with write_transaction():
        await risk_alerts.raise_free_text_alert(enrolment_id, "homework", "sub-2", now=NOW)
        raise RuntimeError("the homework write failed")


async def test_a_failed_caller_transaction_leaves_no_alert(database: None) -> None:
    enrolment = await make_enrolment(await make_group())
    with pytest.raises(RuntimeError):
        await _raise_then_fail(enrolment.id)
    assert await RiskAlert.count() == 0
    assert await OutboxMessage.count() == 0


async def _alert_id(source_id: str) -> UUID:
    row = await RiskAlert.select(RiskAlert.id).where(RiskAlert.source_id == source_id).first()
    assert row is not None
    alert_id: UUID = row["id"]
    return alert_id


async def test_escalation_finds_open_alerts_past_the_time_once(database: None) -> None:
    enrolment = await make_enrolment(await make_group())
    async with write_transaction():
        await risk_alerts.raise_free_text_alert(enrolment.id, "homework", "old", now=NOW)
        await risk_alerts.raise_free_text_alert(
            enrolment.id, "homework", "new", now=NOW + timedelta(minutes=60)
        )
    later = NOW + timedelta(minutes=120)  # the default escalation time
    old, new = await _alert_id("old"), await _alert_id("new")
    assert await risk_alerts.alerts_due_for_escalation(now=later) == [old]
    async with write_transaction():
        await risk_alerts.mark_escalated(old, now=later)
    assert await risk_alerts.alerts_due_for_escalation(now=later + timedelta(days=1)) == [new]
