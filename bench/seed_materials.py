"""Seed the materials benchmark: published modules and forms, sleep-diary assignments.

Run by ``bench/run.py`` after ``bench/seed_clinical.py`` (it hands out homework to the
clinical groups' patients), in a subprocess whose environment names the bench database.

* The demo modules and the six built-in homework forms are published through the
  services (``api.demo_materials.load_demo_materials``), as the demo does.
* ``--assignments`` sleep-diary assignments (default 20,000) are inserted directly: one
  per (enrolment, session) of the clinical groups, seat by seat and session by session,
  so consecutive requests of the plan are different groups.

It writes a request plan (``bench/request_plan.py``), ``--plan-file``: per assignment, a
final submission of a 7-night sleep diary entered by staff (PUT
``/api/v1/assignments/{id}/submission``), so every request is a first submission.

Prints one JSON object: the module version fetched (English, standard, published), its
ETag, the counts and seconds taken.
"""

import argparse
import asyncio
import json
import sys
import time
from collections import defaultdict
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from request_plan import RequestPlan

import api  # noqa: F401 - sets PICCOLO_CONF before Piccolo looks for it
from api.core import clock
from api.core.database import close_pool, write_transaction
from api.demo_materials import load_demo_materials
from api.web.etags import etag
from groups.tables import Enrolment, GroupSession
from materials.tables import Assignment, HomeworkForm, HomeworkFormVersion, ModuleVersion

BATCH = 400
CLINICAL_COURSE = "Bench clinical course"
MODULE_SLUG = "sleep-hygiene"


def _diary(start: date) -> dict[str, Any]:
    nights = [
        {
            "date": (start + timedelta(days=n)).isoformat(),
            "bed_time": "22:30",
            "minutes_to_sleep": 20 + 5 * n,
            "times_woken": n % 3,
            "minutes_awake": 10 * (n % 3),
            "final_wake_time": "06:30",
            "out_of_bed_time": "07:00",
            "quality": 4 + n % 5,
        }
        for n in range(7)
    ]
    return {"answers": {"nights": nights}, "submit": True}


async def seed(args: argparse.Namespace) -> dict[str, Any]:
    """Publish, assign, write the plan; answers what the harness needs."""
    started = time.perf_counter()
    now = clock.now()
    try:
        await load_demo_materials(now=now)
        module = (
            await ModuleVersion.select(ModuleVersion.id, ModuleVersion.version)
            .where(
                (ModuleVersion.module.slug == MODULE_SLUG)
                & (ModuleVersion.language == "en")
                & (ModuleVersion.variant == "standard")
                & (ModuleVersion.status == "published")
            )
            .first()
        )
        form = (
            await HomeworkFormVersion.select(HomeworkFormVersion.id)
            .where(
                (HomeworkFormVersion.form.slug == "sleep-diary")
                & (HomeworkFormVersion.status == "published")
            )
            .first()
        )
        if module is None or form is None or not await HomeworkForm.count():
            raise SystemExit("seed_materials: the demo materials did not publish")
        sessions = await (
            GroupSession.select(GroupSession.id, GroupSession.group, GroupSession.number)
            .where(GroupSession.group.course.name == CLINICAL_COURSE)
            .order_by(GroupSession.number)
            .order_by(GroupSession.group)
        )
        enrolments = await (
            Enrolment.select(Enrolment.id, Enrolment.group)
            .where(Enrolment.group.course.name == CLINICAL_COURSE)
            .order_by(Enrolment.id)
        )
        if not sessions:
            raise SystemExit("seed_materials: run bench/seed_clinical.py first")
        seats: dict[Any, list[Any]] = defaultdict(list)
        for row in enrolments:
            seats[row["group"]].append(row["id"])
        width = max(len(group) for group in seats.values())
        assignments: list[Assignment] = []
        for seat in range(width):
            for session in sessions:
                group = seats[session["group"]]
                if seat >= len(group) or len(assignments) >= args.assignments:
                    continue
                assignments.append(
                    Assignment(
                        enrolment=group[seat],
                        session=session["id"],
                        kind="homework",
                        slug="sleep-diary",
                        form_version=form["id"],
                        due_at=now + timedelta(days=7),
                        assigned_at=now,
                    )
                )
        for start in range(0, len(assignments), BATCH):
            async with write_transaction():
                await Assignment.insert(*assignments[start : start + BATCH])
    finally:
        await close_pool()
    body = json.dumps(_diary(now.date() - timedelta(days=8)), separators=(",", ":"))
    plan = RequestPlan(tuple((f"/api/v1/assignments/{a.id}/submission", body) for a in assignments))
    plan.write(Path(args.plan_file))
    return {
        "module_version_id": str(module["id"]),
        "module_etag": etag(module["version"]),
        "assignments": len(assignments),
        "homework_plan_size": plan.size,
        "seed_seconds": round(time.perf_counter() - started, 2),
    }


def main() -> int:
    """Seed, then print the result as one JSON line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--assignments", type=int, default=20_000)
    parser.add_argument("--plan-file", required=True, help="where to write the plan")
    args = parser.parse_args()
    result = asyncio.run(seed(args))
    print(json.dumps(result))
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
