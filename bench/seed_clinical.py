"""Seed the clinical benchmark: a supervisor, full groups of active patients, past sessions.

Run by ``bench/run.py`` after ``bench/seed.py``, ``bench/seed_venues.py`` and
``bench/seed_groups.py``, in a subprocess whose environment names the bench database.
Rows are inserted directly (Piccolo multi-row inserts), not through the services.

The data, on top of the groups seed:

* a supervisor, ``supervisor@bench.example``, whose password is the admin's (the
  password hash is copied), for the clinical targets the admin may not touch;
* a course of 12 weekly sessions with no materials in its plan, and as many groups of
  it as it takes (12 active patients each, all new) to bring the database's active
  enrolments to ``--active-enrolments``; every group started 13 weeks ago, so all 12 of
  its sessions are in the past and none has a register yet;
* at least ``--min-groups`` groups (default 800, so the plans below hold enough
  different requests): those beyond the ones the active target needs ran the same
  course and ended three days ago (group and enrolments ``completed``, which a register
  and a measure set still accept; the supervision list does not show them);
* one enrolment in five never discussed in supervision (flagged ``new_enrolment``), the
  rest discussed a week ago; PHQ-9 and GAD-7 scored at sessions 1 and 2 for every one of
  them, one in twenty at a severe PHQ-9 (flagged ``severe_score``).

It writes two request plans (``bench/request_plan.py``):

* ``--register-plan``: one register per session of these groups (12 outcomes: eleven
  attended, one did not attend), session number by session number, so consecutive
  requests are different groups and every request is a first submission;
* ``--measure-plan``: one PHQ-9 (no risk item) per (session 3 to 12, enrolment), seat
  by seat, so no (enrolment, session, instrument) repeats.

Rows are inserted around the services, so the seed ends with the nightly refresh of the
stored supervision flags (``groups.supervision_flags``), as a real import would.

Prints one JSON object: the counts and seconds taken.
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

from request_plan import RequestPlan

import api  # noqa: F401 - sets PICCOLO_CONF before Piccolo looks for it
from api.core import clock
from api.core.actor import Role
from api.core.database import close_pool, write_transaction
from api.core.settings import get_settings
from api.identity.tables import StaffUser
from groups.courses import frozen_plan
from groups.supervision_flags import refresh_all_clinical_flags
from groups.tables import (
    Course,
    Enrolment,
    Group,
    GroupFacilitator,
    GroupSession,
    MeasureSet,
    Patient,
)
from scheduling.tables import Room

BATCH = 400
SEATS = 12
SESSIONS = 12
SEEDED_SCORES = 2  # sessions whose measures are seeded; the measure plan uses the rest
SUPERVISOR_EMAIL = "supervisor@bench.example"
ADMIN_EMAIL = "admin@bench.example"
PHQ9_PLANNED = [1, 2, 1, 2, 1, 1, 2, 1, 0]  # item 9 is 0: no risk alert


def _compact(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


async def _insert(rows: list[Any]) -> None:
    if not rows:
        return
    table = type(rows[0])
    for start in range(0, len(rows), BATCH):
        async with write_transaction():
            await table.insert(*rows[start : start + BATCH])


def _course(now: datetime) -> Course:
    plan = [
        {
            "title": f"Session {n}",
            "topics": [f"topic {n}"],
            "duration_minutes": 90,
            "module_refs": [],
            "homework_refs": [],
        }
        for n in range(1, SESSIONS + 1)
    ]
    return Course(
        name="Bench clinical course",
        summary="Seeded for the clinical benchmark",
        problems=["depression"],
        min_group_size=6,
        max_group_size=16,
        default_session_minutes=90,
        session_plan=plan,
        created_at=now,
        updated_at=now,
    )


def _answers(rng: random.Random, items: int, severe: bool) -> list[int]:
    if severe:
        return [3] * (items - 1) + [0]
    return [rng.randrange(0, 3) for _ in range(items - 1)] + [0]


async def _supervisor(now: datetime) -> StaffUser:
    admin = (
        await StaffUser.select(StaffUser.password_hash)
        .where(StaffUser.email == ADMIN_EMAIL)
        .first()
    )
    if admin is None:
        raise SystemExit("seed_clinical: run bench/seed.py first (no bench admin)")
    supervisor = StaffUser(
        email=SUPERVISOR_EMAIL,
        full_name="Bench Supervisor",
        roles=[Role.SUPERVISOR.value],
        password_hash=admin["password_hash"],
        must_change_password=False,
        is_active=True,
        created_at=now,
        updated_at=now,
    )
    await _insert([supervisor])
    return supervisor


def _write_plans(
    args: argparse.Namespace,
    groups: list[Group],
    seats: list[list[Enrolment]],
    by_number: list[list[GroupSession]],
) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """Write the register and measure plans (see the module docstring); answers them."""
    group_seats = {group.id: seats[i] for i, group in enumerate(groups)}
    registers = []
    for sessions_of_number in by_number:
        for session in sessions_of_number:
            entries = [
                {"enrolment_id": str(e.id), "outcome": 3 if seat == session.number % SEATS else 5}
                for seat, e in enumerate(group_seats[session.group])
            ]
            registers.append(
                (f"/api/v1/sessions/{session.id}/register", _compact({"entries": entries}))
            )
    RequestPlan(tuple(registers)).write(Path(args.register_plan))
    measures = []
    for seat in range(SEATS):
        for sessions_of_number in by_number[SEEDED_SCORES:]:
            for session in sessions_of_number:
                enrolment = group_seats[session.group][seat]
                body = {"enrolment_id": str(enrolment.id), "instrument": "PHQ-9"}
                body["answers"] = PHQ9_PLANNED  # type: ignore[assignment]
                measures.append((f"/api/v1/sessions/{session.id}/measures", _compact(body)))
    RequestPlan(tuple(measures)).write(Path(args.measure_plan))
    return registers, measures


async def seed(args: argparse.Namespace) -> dict[str, Any]:
    """Insert everything and write the plans; answers what the harness needs."""
    started = time.perf_counter()
    rng = random.Random(args.seed)
    zone = ZoneInfo(get_settings().service.time_zone)
    now = clock.now()
    today = now.astimezone(zone).date()
    try:
        supervisor = await _supervisor(now)
        already = await Enrolment.count().where(Enrolment.status == "active")
        active_groups = max(-(-(args.active_enrolments - already) // SEATS), 1)
        group_count = max(active_groups, args.min_groups)
        rooms = await Room.select(Room.id, Room.venue).where(
            Room.is_archived.eq(False), Room.venue.is_archived.eq(False)
        )
        staff_ids = [
            row["id"]
            for row in await StaffUser.select(StaffUser.id, StaffUser.roles).limit(300)
            if Role.FACILITATOR.value in row["roles"]
        ]
        course = _course(now)
        await _insert([course])
        plan = frozen_plan(course.to_dict())
        groups: list[Group] = []
        facilitators: list[GroupFacilitator] = []
        sessions: list[GroupSession] = []
        patients: list[Patient] = []
        enrolments: list[Enrolment] = []
        measure_sets: list[MeasureSet] = []
        seats: list[list[Enrolment]] = []
        by_number: list[list[GroupSession]] = [[] for _ in range(SESSIONS)]
        for index in range(group_count):
            room = rooms[index % len(rooms)]
            first = today - timedelta(weeks=SESSIONS + 1) + timedelta(days=index % 7)
            finished = index >= active_groups
            start = (clock_time(10, 0), clock_time(13, 30), clock_time(18, 0))[index % 3]
            group = Group(
                course=course.id,
                name=f"Bench clinical group {index}",
                venue=room["venue"],
                room=room["id"],
                first_session_date=first,
                weekday=first.weekday(),
                start_time=start,
                session_minutes=90,
                capacity=SEATS,
                min_participants=6,
                go_no_go_date=first - timedelta(days=14),
                status="completed" if finished else "running",
                session_plan=plan,
                created_at=now,
                updated_at=now,
            )
            groups.append(group)
            facilitators += [
                GroupFacilitator(group=group.id, staff=staff) for staff in rng.sample(staff_ids, 2)
            ]
            own_sessions = []
            for number in range(1, SESSIONS + 1):
                day = first + timedelta(weeks=number - 1)
                starts_at = datetime.combine(day, start, tzinfo=zone).astimezone(UTC)
                session = GroupSession(
                    group=group.id,
                    number=number,
                    title=f"Session {number}",
                    starts_at=starts_at,
                    ends_at=starts_at + timedelta(minutes=90),
                    created_at=now,
                    updated_at=now,
                )
                own_sessions.append(session)
                by_number[number - 1].append(session)
            sessions += own_sessions
            group_enrolments = []
            for seat in range(SEATS):
                family = f"Clinical{index:05d}{seat:02d}"
                patient = Patient(
                    given_name=rng.choice(("Alex", "Sam", "Jo", "Chris", "Pat", "Robin")),
                    family_name=family,
                    family_name_folded=family.lower(),
                    date_of_birth=date(1960, 1, 1) + timedelta(days=rng.randrange(15_000)),
                    mobile_phone="07700900000",
                    mobile_phone_normalised="+447700900000",
                    consents_to_sms=True,
                    accessibility_needs=[],
                    referral_date=today - timedelta(days=120),
                    created_at=now,
                    updated_at=now,
                )
                patients.append(patient)
                never_discussed = rng.random() < 0.2
                enrolment = Enrolment(
                    group=group.id,
                    patient=patient.id,
                    status="completed" if finished else "active",
                    ended_at=now - timedelta(days=3) if finished else None,
                    invited_at=now - timedelta(weeks=16),
                    opted_in_at=now - timedelta(weeks=15),
                    started_at=datetime.combine(first, start, tzinfo=zone).astimezone(UTC),
                    last_discussed_at=None if never_discussed else now - timedelta(days=7),
                    created_at=now,
                    updated_at=now,
                )
                enrolments.append(enrolment)
                group_enrolments.append(enrolment)
                severe = rng.random() < 0.05
                for session in own_sessions[:SEEDED_SCORES]:
                    for instrument, items in (("PHQ-9", 9), ("GAD-7", 7)):
                        answers = _answers(rng, items, severe and instrument == "PHQ-9")
                        measure_sets.append(
                            MeasureSet(
                                enrolment=enrolment.id,
                                session=session.id,
                                instrument=instrument,
                                answers=answers,
                                total=sum(answers),
                                entered_by=supervisor.id,
                                created_at=now,
                                updated_at=now,
                            )
                        )
            seats.append(group_enrolments)
        for pieces in (groups, facilitators, sessions, patients, enrolments, measure_sets):
            await _insert(pieces)  # type: ignore[arg-type]
        # Rows went in around the services: the nightly refresh works their flags out.
        flagged = await refresh_all_clinical_flags(now=now)
        active = await Enrolment.count().where(Enrolment.status == "active")
    finally:
        await close_pool()

    registers, measures = _write_plans(args, groups, seats, by_number)
    return {
        "supervisor_email": SUPERVISOR_EMAIL,
        "clinical_groups": len(groups),
        "completed_groups": len(groups) - min(active_groups, len(groups)),
        "clinical_sessions": len(sessions),
        "active_enrolments": active,
        "never_discussed": sum(
            1 for e in enrolments if e.last_discussed_at is None and e.status == "active"
        ),
        "measure_sets": len(measure_sets),
        "clinical_flags_set": flagged,
        "register_plan_size": len(registers),
        "measure_plan_size": len(measures),
        "seed_seconds": round(time.perf_counter() - started, 2),
    }


def main() -> int:
    """Seed, then print the result as one JSON line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--active-enrolments", type=int, default=10_000)
    parser.add_argument(
        "--min-groups",
        type=int,
        default=800,
        help="at least this many groups (those beyond the active target are completed)",
    )
    parser.add_argument("--register-plan", required=True, help="where to write the plan")
    parser.add_argument("--measure-plan", required=True, help="where to write the plan")
    parser.add_argument("--seed", type=int, default=7, help="random seed")
    args = parser.parse_args()
    result = asyncio.run(seed(args))
    print(json.dumps(result))
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
