"""Seed courses, groups, sessions, patients and enrolments for the groups benchmark.

Run by ``bench/run.py`` after ``bench/seed.py`` and ``bench/seed_venues.py`` (it places
groups in the rooms that seeded), in a subprocess whose environment names the bench
database. Rows are inserted directly with Piccolo's multi-row insert, not through the
services: the benchmark measures reads and single writes, not the seeding.

The data:

* four courses (6, 5, 6 and 8 sessions of 90 minutes);
* ``--groups`` groups spread over the live rooms, each with two co-facilitators taken
  from the seeded staff; nine in ten are scheduled, with their dated weekly sessions
  (no room bookings: the group reads do not touch them), one in ten is a draft with no
  sessions, for the schedule preview;
* ``--patients`` patients, of whom about 40% are enrolled: up to 12 per scheduled group
  in mixed statuses, some waitlisted; the rest are free to enrol.

It writes the enrol plan (``bench/enrol_plan.py``): draft and scheduled groups and the
patients not yet enrolled anywhere, so every enrol request is a different pair.

Prints one JSON object: the counts, seconds taken, a scheduled group with eight sessions
and twelve enrolments for the detail read, and a draft group of a six-session course for
the preview.
"""

import argparse
import asyncio
import json
import random
import sys
import time
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from enrol_plan import EnrolPlan

import api  # noqa: F401 - sets PICCOLO_CONF before Piccolo looks for it
from api.core import clock
from api.core.database import close_pool, write_transaction
from api.core.settings import get_settings
from api.identity.tables import StaffUser
from groups.courses import frozen_plan
from groups.tables import Course, Enrolment, Group, GroupFacilitator, GroupSession, Patient
from scheduling.tables import Room

BATCH = 400
COURSES = (
    ("Bench Stress Control", ["stress"], 6),
    ("Bench Self-management of Depression and Anxiety", ["depression"], 5),
    ("Bench CBT for insomnia", ["insomnia"], 6),
    ("Bench Living Life to the Full", ["depression"], 8),
)
ENROLLED_STATUSES = ("invited", "opted_in", "active", "active", "active", "declined")
START_TIMES = (clock_time(10, 0), clock_time(13, 30), clock_time(18, 0))


def _courses(now: datetime) -> list[Course]:
    rows = []
    for name, problems, sessions in COURSES:
        plan = [
            {
                "title": f"Session {n}",
                "topics": [f"topic {n}"],
                "duration_minutes": 90,
                "module_refs": [],
                "homework_refs": [],
            }
            for n in range(1, sessions + 1)
        ]
        rows.append(
            Course(
                name=name,
                summary="Seeded for the benchmark",
                problems=problems,
                min_group_size=6,
                max_group_size=16,
                default_session_minutes=90,
                session_plan=plan,
                created_at=now,
                updated_at=now,
            )
        )
    return rows


def _patients(rng: random.Random, count: int, now: datetime) -> list[Patient]:
    rows = []
    for number in range(count):
        family = f"Bench{number:06d}"
        rows.append(
            Patient(
                given_name=rng.choice(("Alex", "Sam", "Jo", "Chris", "Pat", "Robin")),
                family_name=family,
                family_name_folded=family.lower(),
                date_of_birth=date(1950, 1, 1) + timedelta(days=rng.randrange(20_000)),
                mobile_phone="07700900000",
                mobile_phone_normalised="+447700900000",
                consents_to_sms=True,
                accessibility_needs=[],
                referral_date=now.date() - timedelta(days=rng.randrange(120)),
                created_at=now,
                updated_at=now,
            )
        )
    return rows


async def _insert(rows: list[Any]) -> None:
    if not rows:
        return
    table = type(rows[0])
    for start in range(0, len(rows), BATCH):
        async with write_transaction():
            await table.insert(*rows[start : start + BATCH])


async def seed(args: argparse.Namespace) -> dict[str, Any]:
    """Insert everything; answers what the harness needs (see the module docstring)."""
    started = time.perf_counter()
    rng = random.Random(args.seed)
    zone = ZoneInfo(get_settings().service.time_zone)
    now = clock.now()
    today = now.astimezone(zone).date()
    try:
        rooms = await Room.select(Room.id, Room.venue, Room.capacity).where(
            Room.is_archived.eq(False), Room.venue.is_archived.eq(False)
        )
        staff_ids = [
            row["id"]
            for row in await StaffUser.select(StaffUser.id).limit(max(args.groups // 5, 10))
        ]
        courses = _courses(now)
        await _insert(courses)
        course_rows = {c.id: c.to_dict() for c in courses}
        groups: list[Group] = []
        facilitators: list[GroupFacilitator] = []
        sessions: list[GroupSession] = []
        for index in range(args.groups):
            course = courses[index % len(courses)]
            room = rooms[index % len(rooms)]
            draft = index % 10 == 8
            first = today + timedelta(days=7 + (index % 60) * 7 - 210 * (index % 3 == 0))
            start = START_TIMES[index % len(START_TIMES)]
            group = Group(
                course=course.id,
                name=f"Bench group {index}",
                venue=room["venue"],
                room=room["id"],
                first_session_date=first,
                weekday=first.weekday(),
                start_time=start,
                session_minutes=90,
                capacity=min(12, room["capacity"]),
                min_participants=6,
                go_no_go_date=first - timedelta(days=14),
                status="draft" if draft else "scheduled",
                session_plan=frozen_plan(course_rows[course.id]),
                created_at=now,
                updated_at=now,
            )
            groups.append(group)
            pair = rng.sample(staff_ids, 2)
            facilitators += [GroupFacilitator(group=group.id, staff=s) for s in pair]
            if draft:
                continue
            for number, planned in enumerate(course_rows[course.id]["session_plan"], start=1):
                day = first + timedelta(weeks=number - 1)
                starts_at = datetime.combine(day, start, tzinfo=zone).astimezone(UTC)
                sessions.append(
                    GroupSession(
                        group=group.id,
                        number=number,
                        title=planned["title"],
                        starts_at=starts_at,
                        ends_at=starts_at + timedelta(minutes=90),
                        created_at=now,
                        updated_at=now,
                    )
                )
        patients = _patients(rng, args.patients, now)
        enrolments: list[Enrolment] = []
        next_patient = 0
        for group in groups:
            if group.status == "draft":
                continue
            for seat in range(rng.randrange(6, 15)):
                if next_patient >= len(patients) * 0.4:
                    break
                status = "waitlisted" if seat >= 12 else ENROLLED_STATUSES[seat % 6]
                enrolments.append(
                    Enrolment(
                        group=group.id,
                        patient=patients[next_patient].id,
                        status=status,
                        invited_at=now,
                        invitation_expires_at=now + timedelta(days=14),
                        waitlisted_at=now if status == "waitlisted" else None,
                        created_at=now,
                        updated_at=now,
                    )
                )
                next_patient += 1
        for pieces in (groups, facilitators, sessions, patients, enrolments):
            await _insert(pieces)  # type: ignore[arg-type]
    finally:
        await close_pool()

    detail = next(g for g in groups if g.status == "scheduled" and g.course == courses[3].id)
    preview = next(g for g in groups if g.status == "draft" and g.course == courses[0].id)
    plan = EnrolPlan(
        groups=tuple(str(g.id) for g in groups if g.status in ("draft", "scheduled")),
        patients=tuple(str(p.id) for p in patients[next_patient:]),
    )
    plan.write(Path(args.plan_file))
    return {
        "courses": len(courses),
        "groups": len(groups),
        "sessions": len(sessions),
        "patients": len(patients),
        "enrolments": len(enrolments),
        "detail_group_id": str(detail.id),
        "preview_group_id": str(preview.id),
        "enrol_plan_size": plan.size,
        "seed_seconds": round(time.perf_counter() - started, 2),
    }


def main() -> int:
    """Seed, then print the result as one JSON line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--groups", type=int, default=2000)
    parser.add_argument("--patients", type=int, default=50_000)
    parser.add_argument("--plan-file", required=True, help="where to write the enrol plan")
    parser.add_argument("--seed", type=int, default=5, help="random seed")
    args = parser.parse_args()
    if args.groups < 20 or args.patients < args.groups * 15:
        parser.error("need --groups >= 20 and --patients >= 15 x --groups")
    result = asyncio.run(seed(args))
    print(json.dumps(result))
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
