"""The APScheduler 3.11 setup: which jobs run when, and the wrapper each tick goes through.

Every job has an id, no arguments but its own id (never patient data), an explicit
misfire grace time and coalescing (a tick missed while the process was busy or down runs
once, late, not many times), and one instance at a time. Each tick asks the leader lock
first, then calls one service with ``now``; the service recomputes its work from the
tables, so a missed tick is caught up by the next.
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler  # type: ignore[import-untyped]
from apscheduler.triggers.cron import CronTrigger  # type: ignore[import-untyped]
from apscheduler.triggers.interval import IntervalTrigger  # type: ignore[import-untyped]

from api.core import clock
from api.core.settings import get_settings
from groups.supervision_flags import refresh_all_clinical_flags
from scheduling.jobs import services
from scheduling.jobs.leader import Leader, default_leader

_log = logging.getLogger("stepwise.jobs")


@dataclass(frozen=True)
class JobSpec:
    """One job: its id, what it calls, when, and how late it may still run."""

    id: str
    service: Callable[..., Awaitable[Any]]
    trigger: Any
    misfire_grace_seconds: int


def job_specs() -> list[JobSpec]:
    """Every background job."""
    messaging = get_settings().messaging
    return [
        JobSpec(
            "outbox.dispatch",
            services.dispatch_outbox,
            IntervalTrigger(seconds=messaging.dispatch_interval_seconds),
            misfire_grace_seconds=60,
        ),
        JobSpec("reminders.sessions", services.queue_reminders, IntervalTrigger(minutes=5), 300),
        JobSpec(
            "questionnaires.nudge", services.nudge_questionnaires, IntervalTrigger(minutes=15), 900
        ),
        JobSpec("homework.due", services.remind_homework, IntervalTrigger(minutes=15), 900),
        JobSpec(
            "enrolments.offer_expired_places",
            services.offer_expired_places,
            IntervalTrigger(minutes=15),
            900,
        ),
        JobSpec(
            "risk_alerts.escalate", services.escalate_risk_alerts, IntervalTrigger(minutes=1), 120
        ),
        # Nightly at 02:30 service time (and, like every job, soon after the scheduler
        # starts): the stored supervision flags worked out again from the clinical record.
        JobSpec(
            "supervision.refresh_flags",
            refresh_all_clinical_flags,
            CronTrigger(hour=2, minute=30, timezone=get_settings().service.time_zone),
            12 * 3600,
        ),
        # Nightly at 03:30 service time; a night missed runs when the process is back.
        JobSpec(
            "outbox.retention",
            services.purge_message_bodies,
            CronTrigger(hour=3, minute=30, timezone=get_settings().service.time_zone),
            12 * 3600,
        ),
    ]


class JobRunner:
    """Runs one tick of a job if this process leads; never lets an error escape."""

    def __init__(self, leader: Leader, specs: list[JobSpec]) -> None:
        """Jobs by id, gated by ``leader``."""
        self.leader = leader
        self.specs = {spec.id: spec for spec in specs}

    async def run(self, job_id: str) -> None:
        """One tick: leadership, then the job's service at the current instant."""
        now = clock.now()
        try:
            if not await self.leader.is_leader(now):
                _log.debug("job %s: another process leads", job_id)
                return
            await self.specs[job_id].service(now=now)
        except Exception as error:  # a job must not kill the scheduler; the next tick retries
            # Type only: exception text can quote query arguments (patient details).
            _log.error("job %s failed: %s", job_id, type(error).__name__)


def build_scheduler(leader: Leader | None = None) -> tuple[AsyncIOScheduler, JobRunner]:
    """A scheduler with every job added (not started)."""
    lease = timedelta(seconds=get_settings().messaging.scheduler_lease_seconds)
    runner = JobRunner(leader or default_leader(lease), job_specs())
    # APScheduler logs every run at INFO; keep its warnings (misfires) and errors only.
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    scheduler = AsyncIOScheduler(timezone=UTC)
    for spec in runner.specs.values():
        scheduler.add_job(
            runner.run,
            spec.trigger,
            kwargs={"job_id": spec.id},
            id=spec.id,
            name=spec.id,
            misfire_grace_time=spec.misfire_grace_seconds,
            coalesce=True,
            max_instances=1,
            replace_existing=True,
            next_run_time=datetime.now(UTC) + timedelta(seconds=5),
        )
    return scheduler, runner


_running: tuple[AsyncIOScheduler, JobRunner] | None = None


async def start_background_jobs() -> None:
    """Start the scheduler in this process if STEPWISE_SCHEDULER_ENABLED (app startup)."""
    global _running
    if not get_settings().messaging.scheduler_enabled or _running is not None:
        return
    _running = build_scheduler()
    _running[0].start()
    _log.info("background jobs started")


async def stop_background_jobs() -> None:
    """Stop it and give up the leadership (app shutdown)."""
    global _running
    if _running is None:
        return
    scheduler, runner = _running
    _running = None
    scheduler.shutdown(wait=False)
    await asyncio.sleep(0)  # AsyncIOScheduler shuts down on the loop's next turn
    await runner.leader.release()
