"""Outbox throughput: queue session reminders for N upcoming sessions, then dispatch them.

Run by ``bench/run.py --suite outbox`` after ``stepwise migrate`` and ``bench/seed.py``,
in a subprocess whose environment names the bench database, or standalone on any
migrated database of its own (it only adds rows; point ``STEPWISE_DATABASE_URL`` and
``STEPWISE_VAR_DIR`` at throwaway ones)::

    export STEPWISE_DATABASE_URL=sqlite:///tmp/o.sqlite3 STEPWISE_VAR_DIR=/tmp/o
    .venv/bin/stepwise migrate && .venv/bin/python bench/measure_outbox.py

What it does:

1. Seeds, directly (multi-row inserts): a venue and room, a course, ``--sessions``
   scheduled groups with one upcoming session each and ``--patients-per-session``
   active patients each (every one consenting to SMS only, so one reminder each).
2. Chooses ``now``: a weekday at 11:00 (service time zone) at least two weeks ahead,
   outside quiet hours. The sessions start between 3 and 47 hours after it, so with
   the default offsets (2 days and 2 hours before) each has exactly one reminder due:
   the 2-day one, overdue, queued; none is superseded or dropped.
3. Times ``scheduling.reminders.queue_session_reminders(now=now)`` (the reminders job's
   service, chunked transactions, dedup keys and the ledger) and prints the messages
   queued per second.
4. Times ``scheduling.dispatcher.dispatch_due`` to the development channel (a JSON file
   per message in ``<var_dir>/outbox``, plus the patient's in-app inbox row), batch after
   batch of ``--batch`` (the dispatch job's default, 100), until ``--dispatch`` messages
   were sent or none is due; prints the messages sent per second.

stdout gets one JSON line per figure, in the shape of ``run.py``'s lines (``endpoint``,
``db``, ``messages``, ``seconds``, ``per_second``, ...), with ``other_cores``: the cores
other work on the machine used meanwhile (not this process, not PostgreSQL, whose share
is ``postgres_cores``): above 0.2 the figure is skewed. Progress goes to stderr.
"""

import argparse
import asyncio
import json
import os
import sys
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from typing import Any
from zoneinfo import ZoneInfo

from run import busy_ticks, postgres_ticks

import api  # noqa: F401 - sets PICCOLO_CONF before Piccolo looks for it
from api.core import clock
from api.core.database import close_pool, is_postgres, write_transaction
from api.core.settings import get_settings
from groups.courses import frozen_plan
from groups.tables import Course, Enrolment, Group, GroupSession, Patient
from scheduling.delivery.channels import configured_channels
from scheduling.dispatcher import DispatchReport, dispatch_due
from scheduling.jobs.recipients import ServiceDirectory
from scheduling.reminders import queue_session_reminders
from scheduling.tables import OutboxMessage, Room, Venue

BATCH = 400
QUEUE = "queue session reminders (reminders service)"
DISPATCH = "dispatch to the development channel (dispatcher)"


@dataclass
class Watch:
    """CPU other work on the machine used during a timed phase (not this process, not PG)."""

    began: float = 0.0
    busy: int = 0
    database: int = 0
    own: float = 0.0

    def start(self) -> None:
        """Take the first reading."""
        self.began, self.own = time.perf_counter(), _own_seconds()
        self.busy, self.database = busy_ticks(None) or 0, postgres_ticks() or 0

    def figures(self, postgres: bool) -> dict[str, float | None]:
        """Cores used by others, and by PostgreSQL (None on SQLite), during the phase."""
        elapsed = time.perf_counter() - self.began
        tick = os.sysconf("SC_CLK_TCK")
        busy = ((busy_ticks(None) or 0) - self.busy) / tick
        database = ((postgres_ticks() or 0) - self.database) / tick if postgres else 0.0
        other = max(busy - (_own_seconds() - self.own) - database, 0.0)
        return {
            "other_cores": round(other / elapsed, 2) if elapsed else None,
            "postgres_cores": round(database / elapsed, 2) if postgres and elapsed else None,
        }


def _own_seconds() -> float:
    times = os.times()
    return times.user + times.system


def log(message: str) -> None:
    """Progress on stderr, so stdout holds only the JSON lines."""
    print(f"[outbox {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


async def _insert(rows: list[Any]) -> None:
    if not rows:
        return
    table = type(rows[0])
    for start in range(0, len(rows), BATCH):
        async with write_transaction():
            await table.insert(*rows[start : start + BATCH])


def chosen_now(today: date, zone: ZoneInfo) -> datetime:
    """A Wednesday at 11:00 local, at least 14 days after ``today``: outside quiet hours."""
    day = today + timedelta(days=14)
    day += timedelta(days=(2 - day.weekday()) % 7)
    return datetime.combine(day, clock_time(11, 0), tzinfo=zone).astimezone(UTC)


async def seed(sessions: int, per_session: int, now: datetime) -> None:
    """The venue, course, groups, sessions, patients and enrolments (see the docstring)."""
    made = clock.now()
    zone = ZoneInfo(get_settings().service.time_zone)
    venue = Venue(
        name="Bench outbox venue",
        kind="community_centre",
        address_line_1="1 High Street",
        town="Benchton",
        postcode="BE1 1AA",
        postcode_district="BE1",
    )
    room = Room(venue=venue.id, name="Room 1", capacity=16, equipment=[])
    course = Course(
        name="Bench outbox course",
        summary="Seeded for the outbox benchmark",
        problems=["stress"],
        min_group_size=6,
        max_group_size=16,
        default_session_minutes=90,
        session_plan=[
            {
                "title": "Session 1",
                "topics": ["topic"],
                "duration_minutes": 90,
                "module_refs": [],
                "homework_refs": [],
            }
        ],
        created_at=made,
        updated_at=made,
    )
    await _insert([venue])
    await _insert([room])
    await _insert([course])
    plan = frozen_plan(course.to_dict())
    span = timedelta(hours=44)
    for first in range(0, sessions, 1000):
        groups, group_sessions, patients, enrolments = [], [], [], []
        for index in range(first, min(first + 1000, sessions)):
            starts_at = now + timedelta(hours=3) + span * index / sessions
            local = starts_at.astimezone(zone)
            group = Group(
                course=course.id,
                name=f"Bench outbox group {index}",
                venue=venue.id,
                room=room.id,
                first_session_date=local.date(),
                weekday=local.weekday(),
                start_time=local.time().replace(microsecond=0),
                session_minutes=90,
                capacity=16,
                min_participants=6,
                go_no_go_date=local.date() - timedelta(days=14),
                status="scheduled",
                session_plan=plan,
                created_at=made,
                updated_at=made,
            )
            groups.append(group)
            group_sessions.append(
                GroupSession(
                    group=group.id,
                    number=1,
                    title="Session 1",
                    starts_at=starts_at,
                    ends_at=starts_at + timedelta(minutes=90),
                    created_at=made,
                    updated_at=made,
                )
            )
            for seat in range(per_session):
                family = f"Outbox{index:06d}{seat:02d}"
                patient = Patient(
                    given_name="Sam",
                    family_name=family,
                    family_name_folded=family.lower(),
                    date_of_birth=date(1980, 1, 1),
                    mobile_phone="07700900000",
                    mobile_phone_normalised="+447700900000",
                    consents_to_sms=True,
                    consents_to_letter=False,
                    accessibility_needs=[],
                    referral_date=made.date(),
                    created_at=made,
                    updated_at=made,
                )
                patients.append(patient)
                enrolments.append(
                    Enrolment(
                        group=group.id,
                        patient=patient.id,
                        status="active",
                        created_at=made,
                        updated_at=made,
                    )
                )
        for pieces in (groups, group_sessions, patients, enrolments):
            await _insert(pieces)  # type: ignore[arg-type]


async def measure(args: argparse.Namespace) -> list[dict[str, Any]]:
    """Seed, queue, dispatch; answers the two JSON lines."""
    zone = ZoneInfo(get_settings().service.time_zone)
    now = chosen_now(clock.now().astimezone(zone).date(), zone)
    db = "postgres" if is_postgres() else "sqlite"
    try:
        began = time.perf_counter()
        await seed(args.sessions, args.patients_per_session, now)
        log(f"{db}: seeded {args.sessions} sessions in {time.perf_counter() - began:.1f} s")
        watch = Watch()
        watch.start()
        began = time.perf_counter()
        report = await queue_session_reminders(now=now)
        queue_seconds = time.perf_counter() - began
        queue_noise = watch.figures(db == "postgres")
        log(f"{db}: queued {report.queued} reminders in {queue_seconds:.1f} s")
        queued = await OutboxMessage.count()
        dispatched = DispatchReport()
        batches = 0
        sending_at = now + timedelta(minutes=1)
        channels = configured_channels(sending_at)
        directory = ServiceDirectory()
        watch.start()
        began = time.perf_counter()
        while dispatched.sent < args.dispatch:
            report_one = await dispatch_due(
                now=sending_at, channels=channels, directory=directory, limit=args.batch
            )
            batches += 1
            for name in ("claimed", "sent", "retried", "failed", "cancelled", "deferred"):
                setattr(dispatched, name, getattr(dispatched, name) + getattr(report_one, name))
            if report_one.claimed == 0:
                break
        dispatch_seconds = time.perf_counter() - began
        dispatch_noise = watch.figures(db == "postgres")
        log(f"{db}: dispatched {dispatched.sent} in {dispatch_seconds:.1f} s")
    finally:
        await close_pool()
    return [
        {
            "endpoint": QUEUE,
            "db": db,
            "sessions": args.sessions,
            "patients_per_session": args.patients_per_session,
            "messages": report.messages,
            "reminders": report.queued,
            "outbox_rows": queued,
            "seconds": round(queue_seconds, 2),
            "per_second": round(report.messages / queue_seconds, 1) if queue_seconds else None,
            "sessions_per_second": round(args.sessions / queue_seconds, 1)
            if queue_seconds
            else None,
            **queue_noise,
        },
        {
            "endpoint": DISPATCH,
            "db": db,
            "messages": dispatched.sent,
            "claimed": dispatched.claimed,
            "not_sent": dispatched.claimed - dispatched.sent,
            "batch": args.batch,
            "batches": batches,
            "seconds": round(dispatch_seconds, 2),
            "per_second": round(dispatched.sent / dispatch_seconds, 1)
            if dispatch_seconds
            else None,
            **dispatch_noise,
        },
    ]


def main() -> int:
    """Measure, then print one JSON line per figure."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=10_000, help="upcoming sessions")
    parser.add_argument("--patients-per-session", type=int, default=12)
    parser.add_argument(
        "--dispatch", type=int, default=20_000, help="stop dispatching after this many sent"
    )
    parser.add_argument("--batch", type=int, default=100, help="messages claimed per batch")
    args = parser.parse_args()
    if min(args.sessions, args.patients_per_session, args.dispatch, args.batch) < 1:
        parser.error("every count must be at least 1")
    for line in asyncio.run(measure(args)):
        print(json.dumps(line), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
