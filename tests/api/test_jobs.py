"""Background jobs: the scheduler's configuration, the leader lock and each job's service."""

import asyncio
import logging
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from api.core.actor import Role
from api.core.database import write_transaction
from api.core.settings import get_settings
from groups import risk_alerts
from groups.tables import Enrolment, RiskAlert
from scheduling.jobs import services
from scheduling.jobs.leader import AdvisoryLockLeader, LeaseLeader
from scheduling.jobs.scheduler import JobRunner, JobSpec, build_scheduler
from scheduling.outbox import OutgoingMessage, queue_messages
from scheduling.tables import OutboxMessage, SchedulerLease
from tests.factories import StaffFactory
from tests.group_factories import make_enrolment, make_group, make_patient

NOW = datetime(2027, 1, 4, 10, 0, tzinfo=UTC)


def test_every_job_has_an_id_explicit_misfire_grace_and_coalescing_and_no_patient_data() -> None:
    scheduler, runner = build_scheduler(leader=LeaseLeader(timedelta(seconds=90), "me"))
    jobs = {job.id: job for job in scheduler.get_jobs()}
    assert set(jobs) == {
        "outbox.dispatch",
        "reminders.sessions",
        "questionnaires.nudge",
        "homework.due",
        "enrolments.offer_expired_places",
        "risk_alerts.escalate",
        "outbox.retention",
        "supervision.refresh_flags",
    }
    settings = {
        job_id: (job.misfire_grace_time, job.coalesce, job.max_instances, job.args, job.kwargs)
        for job_id, job in jobs.items()
    }
    assert settings == {
        "outbox.dispatch": (60, True, 1, (), {"job_id": "outbox.dispatch"}),
        "reminders.sessions": (300, True, 1, (), {"job_id": "reminders.sessions"}),
        "questionnaires.nudge": (900, True, 1, (), {"job_id": "questionnaires.nudge"}),
        "homework.due": (900, True, 1, (), {"job_id": "homework.due"}),
        "enrolments.offer_expired_places": (
            900,
            True,
            1,
            (),
            {"job_id": "enrolments.offer_expired_places"},
        ),
        "risk_alerts.escalate": (120, True, 1, (), {"job_id": "risk_alerts.escalate"}),
        "outbox.retention": (43200, True, 1, (), {"job_id": "outbox.retention"}),
        "supervision.refresh_flags": (43200, True, 1, (), {"job_id": "supervision.refresh_flags"}),
    }
    assert str(jobs["outbox.dispatch"].trigger) == "interval[0:00:30]"
    assert str(jobs["reminders.sessions"].trigger) == "interval[0:05:00]"
    assert str(jobs["outbox.retention"].trigger) == "cron[hour='3', minute='30']"
    assert jobs["outbox.retention"].trigger.timezone.key == "Europe/London"
    assert str(jobs["supervision.refresh_flags"].trigger) == "cron[hour='2', minute='30']"
    assert all(job.func == runner.run for job in jobs.values())


async def test_the_lease_row_lets_one_process_lead_until_it_expires_or_is_released(
    database: None,
) -> None:
    lease = timedelta(seconds=90)
    first, second = LeaseLeader(lease, "first"), LeaseLeader(lease, "second")
    assert await first.is_leader(NOW)
    assert not await second.is_leader(NOW + timedelta(seconds=30))
    # The leader renews on each tick, so it keeps the lease.
    assert await first.is_leader(NOW + timedelta(seconds=60))
    assert not await second.is_leader(NOW + timedelta(seconds=120))
    # The first stops ticking (killed): once its lease runs out, the second takes over.
    assert await second.is_leader(NOW + timedelta(seconds=151))
    assert not await first.is_leader(NOW + timedelta(seconds=152))
    await second.release()
    assert await SchedulerLease.count() == 0
    assert await first.is_leader(NOW + timedelta(seconds=153))


@pytest.mark.postgres_only
async def test_the_advisory_lock_lets_one_process_lead_until_its_connection_goes(
    database: None,
) -> None:
    url = get_settings().database.url
    key = uuid.uuid4().int & 0x7FFF_FFFF_FFFF_FFFF  # this test's own lock
    first, second = AdvisoryLockLeader(url, key), AdvisoryLockLeader(url, key)
    try:
        # Every job due at one moment asks at once: all get the same answer.
        assert await asyncio.gather(*(first.is_leader(NOW) for _ in range(6))) == [True] * 6
        assert not await second.is_leader(NOW)
        assert await first.is_leader(NOW)
        await first.release()
        assert await second.is_leader(NOW)
        assert not await first.is_leader(NOW)
    finally:
        await first.release()
        await second.release()


async def test_a_tick_runs_only_on_the_leader_and_logs_failures_without_their_text(
    database: None, caplog: pytest.LogCaptureFixture
) -> None:
    calls: list[datetime] = []

    async def job(*, now: datetime) -> None:
        calls.append(now)

    async def failing(*, now: datetime) -> None:
        raise ValueError("Patient Pat Smith 07700900123")

    specs = [JobSpec("job", job, None, 60), JobSpec("failing", failing, None, 60)]
    leader = JobRunner(LeaseLeader(timedelta(seconds=90), "leader"), specs)
    follower = JobRunner(LeaseLeader(timedelta(seconds=90), "follower"), specs)
    await leader.run("job")
    await follower.run("job")
    assert len(calls) == 1
    with caplog.at_level(logging.ERROR, logger="stepwise.jobs"):
        await leader.run("failing")
    assert [record.getMessage() for record in caplog.records] == ["job failing failed: ValueError"]


async def test_the_dispatch_job_sends_through_the_configured_development_channel(
    database: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    messaging = get_settings().messaging
    monkeypatch.setattr(messaging, "outbox_dir", str(tmp_path))
    monkeypatch.setattr(messaging, "dispatch_batch", 2)
    patient = await make_patient()
    async with write_transaction():
        await queue_messages(
            [
                OutgoingMessage(
                    "patient",
                    str(patient.id),
                    "sms",
                    "session_cancelled",
                    f"k{number}",
                    NOW,
                    {"name": "Pat", "starts": "Monday 11 January at 10:00"},
                )
                for number in range(5)
            ],
            now=NOW,
        )
    report = await services.dispatch_outbox(now=NOW)
    assert (report.claimed, report.sent) == (5, 5)
    assert len(_files(tmp_path)) == 5


def _files(directory: Path) -> list[Path]:
    return list(directory.iterdir())


async def _open_alert(raised_at: datetime) -> Any:
    group = await make_group()
    enrolment = await make_enrolment(group)
    async with write_transaction():
        await risk_alerts.raise_free_text_alert(
            enrolment.id, "homework", f"homework:{uuid.uuid4()}", now=raised_at
        )
    return (
        await RiskAlert.select(RiskAlert.id).where(RiskAlert.enrolment == enrolment.id).first()
    )["id"]


async def test_an_unacknowledged_alert_is_escalated_once_to_duty_and_supervisors(
    database: None, staff: StaffFactory
) -> None:
    supervisor = await staff.create(Role.SUPERVISOR)
    await staff.create(Role.FACILITATOR)
    minutes = get_settings().clinical.risk_escalation_minutes
    alert_id = await _open_alert(NOW)
    assert await services.escalate_risk_alerts(now=NOW + timedelta(minutes=minutes - 1)) == 0
    later = NOW + timedelta(minutes=minutes)
    assert await services.escalate_risk_alerts(now=later) == 1
    assert await services.escalate_risk_alerts(now=later + timedelta(minutes=5)) == 0
    rows = (
        await OutboxMessage.select()
        .where(OutboxMessage.template_key == "risk_alert_escalation")
        .output(load_json=True)
    )
    assert sorted(
        (r["recipient_kind"], r["recipient_id"], r["channel"], r["urgent"]) for r in rows
    ) == [
        ("duty", "duty", "in_app", True),
        ("staff", str(supervisor.id), "email", True),
        ("staff", str(supervisor.id), "in_app", True),
    ]
    assert {r["parameters"]["alert_id"] for r in rows} == {str(alert_id)}
    assert (await RiskAlert.select(RiskAlert.escalated_at).first())["escalated_at"] == later


async def test_places_freed_by_expired_invitations_go_to_the_waiting_list(database: None) -> None:
    group = await make_group(status="scheduled", capacity=1)
    await make_enrolment(
        group,
        status="invited",
        invited_at=NOW - timedelta(days=15),
        invitation_expires_at=NOW - timedelta(days=1),
    )
    waiting = await make_enrolment(
        group, status="waitlisted", waitlisted_at=NOW - timedelta(days=10)
    )
    assert await services.offer_expired_places(now=NOW) == 1
    assert await services.offer_expired_places(now=NOW + timedelta(minutes=15)) == 0
    row = await Enrolment.select(Enrolment.status).where(Enrolment.id == waiting.id).first()
    assert row["status"] == "invited"


async def test_retention_blanks_old_bodies_and_payloads_and_keeps_the_rest(database: None) -> None:
    patient = await make_patient()
    async with write_transaction():
        await queue_messages(
            [
                OutgoingMessage(
                    "patient",
                    str(patient.id),
                    "sms",
                    "session_cancelled",
                    key,
                    NOW,
                    {"name": "Pat", "starts": "x"},
                )
                for key in ("old", "recent", "pending")
            ],
            now=NOW,
        )
    values = {
        OutboxMessage.status: "sent",
        OutboxMessage.rendered_body: "Hello Pat",
        OutboxMessage.provider_payload: '{"id": "n1"}',
    }
    await OutboxMessage.update({**values, OutboxMessage.updated_at: NOW}).where(
        OutboxMessage.dedup_key == "old"
    )
    await OutboxMessage.update(
        {**values, OutboxMessage.updated_at: NOW + timedelta(days=80)}
    ).where(OutboxMessage.dedup_key == "recent")
    report = await services.purge_message_bodies(now=NOW + timedelta(days=91))
    assert report.purged == 1
    rows = {r["dedup_key"]: r for r in await OutboxMessage.select().output(load_json=True)}
    old = rows["old"]
    assert (old["status"], old["rendered_body"], old["provider_payload"], old["parameters"]) == (
        "sent",
        "",
        "",
        {},
    )
    assert old["purged_at"] == NOW + timedelta(days=91)
    assert (old["recipient_id"], old["template_key"], old["channel"]) == (
        str(patient.id),
        "session_cancelled",
        "sms",
    )
    assert rows["recent"]["rendered_body"] == "Hello Pat"
    assert rows["pending"]["parameters"] == {"name": "Pat", "starts": "x"}


async def test_the_app_starts_the_scheduler_only_when_enabled(
    database: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from scheduling.jobs import scheduler as module

    try:
        await module.start_background_jobs()
        assert module._running is None  # off by default (tests, benchmark, extra processes)
        monkeypatch.setattr(get_settings().messaging, "scheduler_enabled", True)
        await module.start_background_jobs()
        assert module._running is not None
        running, _ = module._running
        assert running.running
        assert len(running.get_jobs()) == len(module.job_specs())
        await module.stop_background_jobs()
        assert module._running is None
        assert not running.running
    finally:
        await module.stop_background_jobs()
