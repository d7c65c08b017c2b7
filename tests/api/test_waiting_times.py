"""Waiting times through HTTP: per course, referral to enrolment and to first attendance."""

from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest

from api.core.actor import Role
from groups.tables import Attendance
from tests.booking_requests import problem
from tests.factories import StaffFactory
from tests.group_factories import (
    make_course,
    make_enrolment,
    make_group,
    make_patient,
    make_session,
)
from tests.query_count import count_queries

REFERRED = date(2026, 9, 1)


def url(course_id: object) -> str:
    return f"/api/v1/courses/{course_id}/waiting-times"


def at(day: date, hour: int = 10) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


async def test_median_and_90th_centile_over_the_window(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    course = await make_course()
    group = await make_group(course=course)
    session_one = await make_session(group, 1, at(date(2026, 10, 5)))
    session_two = await make_session(group, 2, at(date(2026, 10, 12)))
    # Invited 10, 20, 30 and 40 days after referral; one placed without an invitation at 50.
    enrolments = []
    for days in (10, 20, 30, 40):
        patient = await make_patient(referral_date=REFERRED)
        enrolments.append(
            await make_enrolment(group, patient, invited_at=at(REFERRED + timedelta(days=days)))
        )
    placed = await make_enrolment(
        group, await make_patient(referral_date=REFERRED), created_at=at(date(2026, 10, 21))
    )
    # Outside the window, waitlisted and never invited, or in another course: not counted.
    await make_enrolment(group, invited_at=at(date(2025, 1, 1)))
    await make_enrolment(group, status="waitlisted", created_at=at(date(2026, 10, 1)))
    await make_enrolment(await make_group(), invited_at=at(date(2026, 10, 1)))
    first, second, third, _ = enrolments
    await Attendance.insert(
        Attendance(session=session_one.id, enrolment=first.id, outcome=5, recorded_at=at(REFERRED)),
        Attendance(session=session_two.id, enrolment=first.id, outcome=5, recorded_at=at(REFERRED)),
        Attendance(
            session=session_one.id, enrolment=second.id, outcome=3, recorded_at=at(REFERRED)
        ),
        Attendance(
            session=session_two.id, enrolment=second.id, outcome=6, recorded_at=at(REFERRED)
        ),
        Attendance(session=session_one.id, enrolment=third.id, outcome=7, recorded_at=at(REFERRED)),
        Attendance(
            session=session_two.id, enrolment=placed.id, outcome=5, recorded_at=at(REFERRED)
        ),
    )
    supervisor = await staff.signed_in(Role.SUPERVISOR)

    response = await client.get(
        url(course.id),
        params={"from": "2026-09-01", "to": "2026-11-30"},
        headers=supervisor.headers,
    )

    assert response.status_code == 200, response.text
    assert response.json() == {
        "course_id": str(course.id),
        "from_date": "2026-09-01",
        "to_date": "2026-11-30",
        # 10, 20, 30, 40, 50: median 30; nearest rank ceil(4.5) = 5th: 50.
        "referral_to_enrolment": {"count": 5, "median_days": 30.0, "p90_days": 50},
        # First attended: 5 Oct (34 days), 12 Oct (41) and 12 Oct (41).
        "referral_to_first_attended": {"count": 3, "median_days": 41.0, "p90_days": 41},
    }


async def test_an_empty_window_has_no_figures_and_admins_may_read(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    course = await make_course()
    admin = await staff.signed_in(Role.ADMIN)

    response = await client.get(url(course.id), headers=admin.headers)

    body: dict[str, Any] = response.json()
    assert response.status_code == 200
    assert body["referral_to_enrolment"] == {"count": 0, "median_days": None, "p90_days": None}
    assert date.fromisoformat(body["to_date"]) - date.fromisoformat(body["from_date"]) == timedelta(
        days=364
    )


async def test_refusals(staff: StaffFactory, client: httpx.AsyncClient) -> None:
    course = await make_course()
    facilitator = await staff.signed_in(Role.FACILITATOR)
    admin = await staff.signed_in(Role.ADMIN)

    refused = await client.get(url(course.id), headers=facilitator.headers)
    backwards = await client.get(
        url(course.id), params={"from": "2026-11-02", "to": "2026-11-01"}, headers=admin.headers
    )
    missing = await client.get(url("00000000-0000-4000-8000-000000000000"), headers=admin.headers)
    malformed = await client.get(
        url(course.id), params={"from": "yesterday"}, headers=admin.headers
    )

    assert refused.status_code == 403
    assert backwards.json() == {
        **problem(
            "validation-error", "The request is not valid", 400, "from: must not be after to"
        ),
        "errors": [{"field": "from", "reason": "must not be after to"}],
    }
    assert missing.json() == problem("not-found", "Not found", 404, "No course with this id.")
    assert malformed.status_code == 400
    for params in ({"to": "9999-12-31"}, {"from": "0001-01-01", "to": "0001-01-02"}):
        far = await client.get(url(course.id), params=params, headers=admin.headers)
        assert far.status_code == 400, params


@pytest.mark.parametrize("patients", [1, 12])
async def test_the_figures_cost_the_same_queries_however_many_patients(
    staff: StaffFactory, client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch, patients: int
) -> None:
    course = await make_course()
    group = await make_group(course=course)
    session = await make_session(group, 1, at(date(2026, 10, 5)))
    for _ in range(patients):
        enrolment = await make_enrolment(group, invited_at=at(date(2026, 9, 20)))
        await Attendance(
            session=session.id, enrolment=enrolment.id, outcome=5, recorded_at=at(REFERRED)
        ).save()
    admin = await staff.signed_in(Role.ADMIN)

    with count_queries(monkeypatch) as queries:
        response = await client.get(
            url(course.id), params={"from": "2026-09-01", "to": "2026-09-30"}, headers=admin.headers
        )

    assert response.json()["referral_to_first_attended"]["count"] == patients
    # The sign-in check, the course, the enrolments, their attended sessions.
    assert queries.count == 4, queries.statements
