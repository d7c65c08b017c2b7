"""Builders for courses, patients, groups, enrolments and sessions: rows saved directly.

Valid by default; set only what the test is about. They bypass the services (no audit,
no booking checks), so use the API when the behaviour under test is the service's own.
"""

import itertools
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from uuid import UUID

from groups.courses import frozen_plan
from groups.tables import Course, Enrolment, Group, GroupFacilitator, GroupSession, Patient
from scheduling.rules.replies import normalise_number
from scheduling.tables import Room, RoomBooking
from tests.scheduling_factories import make_room

_numbers = itertools.count(1)

SIX_SESSION_PLAN = [
    {
        "title": f"Session {n}",
        "topics": [f"topic {n}"],
        "duration_minutes": 90,
        "module_refs": [],
        "homework_refs": [],
    }
    for n in range(1, 7)
]


async def make_course(**fields: Any) -> Course:
    """A six-session Stress Control-like course for 6 to 16."""
    values: dict[str, Any] = {
        "name": f"Course {next(_numbers)}",
        "summary": "A course",
        "problems": ["stress"],
        "min_group_size": 6,
        "max_group_size": 16,
        "default_session_minutes": 90,
        "session_plan": SIX_SESSION_PLAN,
        **fields,
    }
    course = Course(**values)
    await course.save()
    return course


async def make_patient(**fields: Any) -> Patient:
    """A patient with a mobile number and SMS consent, no NHS number."""
    number = next(_numbers)
    values: dict[str, Any] = {
        "given_name": f"Pat{number}",
        "family_name": f"Patient{number}",
        "family_name_folded": f"patient{number}",
        "date_of_birth": date(1980, 1, 1),
        "mobile_phone": "07700900123",
        "consents_to_sms": True,
        "accessibility_needs": [],
        "referral_date": date(2026, 10, 1),
        **fields,
    }
    # As groups.patients keeps it, so a reply from the number finds the patient.
    values.setdefault("mobile_phone_normalised", normalise_number(values["mobile_phone"]) or "")
    patient = Patient(**values)
    await patient.save()
    return patient


async def make_group(
    *,
    course: Course | None = None,
    room: Room | None = None,
    facilitators: tuple[UUID, ...] = (),
    first_session_date: date = date(2027, 1, 11),
    start_time: time = time(10, 0),
    **fields: Any,
) -> Group:
    """A draft group of the course in the room, on the first date's weekday, capacity 12."""
    course = course or await make_course()
    room = room or await make_room()
    values: dict[str, Any] = {
        "course": course.id,
        "name": f"Group {next(_numbers)}",
        "venue": room.venue,
        "room": room.id,
        "first_session_date": first_session_date,
        "weekday": first_session_date.weekday(),
        "start_time": start_time,
        "session_minutes": 90,
        "capacity": 12,
        "min_participants": 6,
        "go_no_go_date": first_session_date - timedelta(days=14),
        "status": "draft",
        "session_plan": frozen_plan(course.to_dict()),
        "course_version": course.version,
        **fields,
    }
    group = Group(**values)
    await group.save()
    if facilitators:
        await GroupFacilitator.insert(
            *(GroupFacilitator(group=group.id, staff=staff_id) for staff_id in facilitators)
        )
    return group


async def make_enrolment(group: Group, patient: Patient | None = None, **fields: Any) -> Enrolment:
    """An active enrolment of a new (or the given) patient."""
    patient = patient or await make_patient()
    now = datetime.now(UTC)
    values: dict[str, Any] = {
        "group": group.id,
        "patient": patient.id,
        "status": "active",
        "started_at": now,
        **fields,
    }
    enrolment = Enrolment(**values)
    await enrolment.save()
    return enrolment


async def make_session(
    group: Group, number: int, starts_at: datetime, *, book_room: bool = True, **fields: Any
) -> GroupSession:
    """A scheduled session of the group (with a confirmed booking of its room unless told)."""
    ends_at = starts_at + timedelta(minutes=90)
    booking_id = None
    if book_room:
        booking = RoomBooking(
            room=group.room,
            starts_at=starts_at,
            ends_at=ends_at,
            purpose=f"Session {number}",
            status="confirmed",
            subject_kind="group_session",
            subject_id=None,
        )
        await booking.save()
        booking_id = booking.id
    values: dict[str, Any] = {
        "group": group.id,
        "number": number,
        "title": f"Session {number}",
        "starts_at": starts_at,
        "ends_at": ends_at,
        "booking": booking_id,
        **fields,
    }
    session = GroupSession(**values)
    await session.save()
    return session
