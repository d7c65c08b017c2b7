"""Shared builders for the group and enrolment tests (no tests here)."""

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from api.core.actor import Role
from groups.tables import Course, Group
from scheduling.tables import Room
from tests.factories import SignedIn, StaffFactory
from tests.group_factories import make_course, make_group
from tests.scheduling_factories import make_room, make_venue

PROBLEMS = "https://stepwise.example/problems/"
PROBLEM_JSON = "application/problem+json"
GROUPS = "/api/v1/groups"


def problem(code: str, title: str, status: int, detail: str, **extra: Any) -> dict[str, Any]:
    """A whole problem body."""
    return {"type": PROBLEMS + code, "title": title, "status": status, "detail": detail, **extra}


def invalid(field: str, reason: str) -> dict[str, Any]:
    """A whole 400 body naming one field."""
    return problem(
        "validation-error",
        "The request is not valid",
        400,
        f"{field}: {reason}",
        errors=[{"field": field, "reason": reason}],
    )


async def facilitators(staff: StaffFactory, n: int = 2) -> list[str]:
    """The ids of ``n`` new facilitators."""
    return [str((await staff.create(Role.FACILITATOR)).id) for _ in range(n)]


async def group_setup(
    staff: StaffFactory, *, room_capacity: int = 16, course_max: int = 16
) -> tuple[Course, Room, list[str]]:
    """A course, a room in Tavistock and two facilitators."""
    course = await make_course(name="Stress Control", max_group_size=course_max)
    room = await make_room(await make_venue(town="Tavistock"), capacity=room_capacity)
    return course, room, await facilitators(staff)


def group_body(course: Course, room: Room, ids: list[str], **fields: Any) -> dict[str, Any]:
    """A valid POST /groups body."""
    return {
        "course_id": str(course.id),
        "room_id": str(room.id),
        "first_session_date": "2027-01-11",
        "start_time": "10:00",
        "facilitator_ids": ids,
        **fields,
    }


async def group_with(
    staff: StaffFactory, *, capacity: int = 12, run_by: tuple[Any, ...] = (), **fields: Any
) -> Group:
    """A draft group (built directly) with two facilitators unless ``run_by`` names them."""
    ids = run_by or tuple([(await staff.create(Role.FACILITATOR)).id for _ in range(2)])
    return await make_group(capacity=capacity, facilitators=ids, **fields)


async def enrol(
    client: httpx.AsyncClient, admin: SignedIn, group: Group, patient_id: Any
) -> httpx.Response:
    """POST /groups/{id}/enrolments."""
    return await client.post(
        f"{GROUPS}/{group.id}/enrolments",
        json={"patient_id": str(patient_id)},
        headers=admin.headers,
    )


async def move(
    client: httpx.AsyncClient, who: SignedIn, enrolment: dict[str, Any], to: str, reason: str = ""
) -> httpx.Response:
    """POST /enrolments/{id}/transitions with the enrolment's version as If-Match."""
    return await client.post(
        f"/api/v1/enrolments/{enrolment['id']}/transitions",
        json={"to": to, "reason": reason},
        headers={**who.headers, "If-Match": f'"v{enrolment["version"]}"'},
    )


def days_ago(days: int) -> datetime:
    """An instant ``days`` ago."""
    return datetime.now(UTC) - timedelta(days=days)
