"""Registers through HTTP: take, read, correct, refuse, and race a session's register."""

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import httpx
import pytest

from api.core.actor import Role
from api.identity.tables import AuditEntry
from groups.tables import Attendance, AttendanceCorrection, Enrolment, Group, GroupSession
from materials.tables import Assignment, Module, ModuleVersion
from tests.booking_requests import PROBLEM, problem
from tests.factories import SignedIn, StaffFactory
from tests.group_factories import (
    SIX_SESSION_PLAN,
    make_course,
    make_enrolment,
    make_group,
    make_patient,
    make_session,
)
from tests.query_count import count_queries

PAST = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)


def register_url(session_id: object) -> str:
    return f"/api/v1/sessions/{session_id}/register"


@dataclass
class Scene:
    """A running group with its facilitator, three enrolled patients and its sessions."""

    facilitator: SignedIn
    group: Group
    enrolments: list[Enrolment]
    sessions: list[GroupSession]


async def running_group(
    staff: StaffFactory, *, patients: int = 3, sessions: int = 1, names: tuple[str, ...] = ()
) -> Scene:
    facilitator = await staff.signed_in(Role.FACILITATOR)
    group = await make_group(facilitators=(facilitator.user.id,), status="running")
    enrolments = []
    for index in range(patients):
        family = names[index] if index < len(names) else f"Family{index}"
        patient = await make_patient(family_name=family, family_name_folded=family.lower())
        enrolments.append(await make_enrolment(group, patient))
    made = [
        await make_session(group, number, PAST + timedelta(weeks=number - 1))
        for number in range(1, sessions + 1)
    ]
    return Scene(facilitator, group, enrolments, made)


async def take(
    client: httpx.AsyncClient, who: SignedIn, session_id: object, entries: list[tuple[Any, int]]
) -> httpx.Response:
    body = {"entries": [{"enrolment_id": str(e), "outcome": code} for e, code in entries]}
    return await client.put(register_url(session_id), json=body, headers=who.headers)


def outcomes(body: dict[str, Any]) -> dict[str, int | None]:
    return {entry["enrolment_id"]: entry["outcome"] for entry in body["entries"]}


async def test_first_register_records_each_outcome_and_answers_the_register(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    scene = await running_group(staff, names=("Adams", "Brown", "Clark"))
    session = scene.sessions[0]
    adams, brown, clark = scene.enrolments

    response = await take(
        client, scene.facilitator, session.id, [(adams.id, 5), (brown.id, 6), (clark.id, 3)]
    )

    assert response.status_code == 200, response.text
    body = response.json()
    patient = {e.id: e.patient for e in scene.enrolments}
    recorded_at = body["entries"][0]["recorded_at"]
    assert body == {
        "session_id": str(session.id),
        "group_id": str(scene.group.id),
        "session_number": 1,
        "starts_at": "2026-11-02T10:00:00Z",
        "session_status": "scheduled",
        "taken": True,
        "entries": [
            {
                "enrolment_id": str(enrolment.id),
                "patient_id": str(patient[enrolment.id]),
                "given_name": body["entries"][index]["given_name"],
                "family_name": family,
                "preferred_name": "",
                "enrolment_status": "active",
                "outcome": code,
                "attended": attended,
                "recorded_at": recorded_at,
                "recorded_by": str(scene.facilitator.user.id),
                "consecutive_dnas": dnas,
                "reply": None,
                "replied_at": None,
            }
            for index, (enrolment, family, code, attended, dnas) in enumerate(
                [
                    (adams, "Adams", 5, True, 0),
                    (brown, "Brown", 6, True, 0),
                    (clark, "Clark", 3, False, 1),
                ]
            )
        ],
    }
    assert await Attendance.count().where(Attendance.session == session.id) == 3
    actions = await AuditEntry.select(AuditEntry.action, AuditEntry.entity_id).where(
        AuditEntry.action.is_in(["register.record", "patient.read"])
    )
    assert sorted((a["action"], a["entity_id"]) for a in actions) == sorted(
        [("register.record", str(session.id))]
        + [("patient.read", str(p)) for p in patient.values()]
    )


async def test_register_before_it_is_taken_lists_the_group_with_no_outcomes(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    scene = await running_group(staff, names=("Young", "Abbot", "Moss"))
    await make_enrolment(scene.group, status="waitlisted")

    response = await client.get(
        register_url(scene.sessions[0].id), headers=scene.facilitator.headers
    )

    assert response.status_code == 200
    body = response.json()
    assert body["taken"] is False
    assert [e["family_name"] for e in body["entries"]] == ["Abbot", "Moss", "Young"]
    assert {e["outcome"] for e in body["entries"]} == {None}
    assert {e["attended"] for e in body["entries"]} == {None}


async def test_correction_keeps_old_value_audits_each_change_and_skips_unchanged(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    scene = await running_group(staff)
    session = scene.sessions[0]
    first, second, third = scene.enrolments
    await take(
        client, scene.facilitator, session.id, [(first.id, 5), (second.id, 3), (third.id, 2)]
    )
    supervisor = await staff.signed_in(Role.SUPERVISOR)

    corrected = await take(
        client, supervisor, session.id, [(first.id, 5), (second.id, 6), (third.id, 4)]
    )
    again = await take(
        client, supervisor, session.id, [(first.id, 5), (second.id, 6), (third.id, 4)]
    )

    assert corrected.status_code == 200, corrected.text
    assert outcomes(again.json()) == {str(first.id): 5, str(second.id): 6, str(third.id): 4}
    assert await Attendance.count() == 3
    rows = await AttendanceCorrection.select(
        AttendanceCorrection.attendance.enrolment.as_alias("enrolment"),
        AttendanceCorrection.old_outcome,
        AttendanceCorrection.new_outcome,
        AttendanceCorrection.changed_by,
    )
    assert sorted(
        (str(r["enrolment"]), r["old_outcome"], r["new_outcome"]) for r in rows
    ) == sorted([(str(second.id), 3, 6), (str(third.id), 2, 4)])
    assert {r["changed_by"] for r in rows} == {supervisor.user.id}
    assert await AuditEntry.count().where(AuditEntry.action == "attendance.correct") == 2
    assert await AuditEntry.count().where(AuditEntry.action == "register.record") == 1


async def test_a_later_register_adds_patients_left_off_the_first(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    scene = await running_group(staff)
    session = scene.sessions[0]
    first, second, _ = scene.enrolments
    await take(client, scene.facilitator, session.id, [(first.id, 5)])

    response = await take(client, scene.facilitator, session.id, [(second.id, 7)])

    assert response.status_code == 200
    assert outcomes(response.json())[str(first.id)] == 5
    assert outcomes(response.json())[str(second.id)] == 7
    assert await AttendanceCorrection.count() == 0


async def test_admins_and_other_facilitators_may_not_take_or_read_a_register(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    scene = await running_group(staff)
    session = scene.sessions[0]
    admin = await staff.signed_in(Role.ADMIN)
    outsider = await staff.signed_in(Role.FACILITATOR)
    admin_and_facilitator = await staff.signed_in(Role.ADMIN, Role.FACILITATOR)
    entries = [(scene.enrolments[0].id, 5)]

    as_admin = await take(client, admin, session.id, entries)
    as_outsider = await take(client, outsider, session.id, entries)
    mixed = await take(client, admin_and_facilitator, session.id, entries)
    read_outsider = await client.get(register_url(session.id), headers=outsider.headers)

    assert as_admin.status_code == 403
    assert as_admin.headers["content-type"] == PROBLEM
    assert as_admin.json() == problem(
        "forbidden", "Not allowed", 403, "Your role does not allow this."
    )
    assert as_outsider.json() == problem(
        "forbidden", "Not allowed", 403, "You do not facilitate this group."
    )
    assert mixed.json() == problem(
        "forbidden", "Not allowed", 403, "Admins see operational records only, never clinical ones."
    )
    assert read_outsider.status_code == 403
    assert await Attendance.count() == 0


async def test_duplicate_and_foreign_enrolments_are_refused_naming_each_entry(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    scene = await running_group(staff)
    session = scene.sessions[0]
    first, second, _ = scene.enrolments
    elsewhere = await make_enrolment(await make_group())
    waiting = await make_enrolment(scene.group, status="waitlisted")

    duplicate = await take(client, scene.facilitator, session.id, [(first.id, 5), (first.id, 3)])
    foreign = await take(
        client,
        scene.facilitator,
        session.id,
        [(first.id, 5), (elsewhere.id, 5), (second.id, 3), (waiting.id, 5)],
    )

    assert duplicate.status_code == 400
    assert duplicate.json() == {
        **problem(
            "validation-error",
            "The request is not valid",
            400,
            "entries[1].enrolment_id: appears more than once in this register",
        ),
        "errors": [
            {
                "field": "entries[1].enrolment_id",
                "reason": "appears more than once in this register",
            }
        ],
    }
    assert foreign.status_code == 400
    assert foreign.json()["errors"] == [
        {
            "field": "entries[1].enrolment_id",
            "reason": "is not an enrolment in this session's group",
        },
        {"field": "entries[3].enrolment_id", "reason": "is waitlisted, not on the register"},
    ]
    assert await Attendance.count() == 0
    assert await AuditEntry.count().where(AuditEntry.action == "register.record") == 0


async def test_bad_outcome_codes_and_empty_registers_are_400(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    scene = await running_group(staff)
    url = register_url(scene.sessions[0].id)
    headers = scene.facilitator.headers
    enrolment = str(scene.enrolments[0].id)

    for body in (
        {"entries": [{"enrolment_id": enrolment, "outcome": 1}]},
        {"entries": [{"enrolment_id": enrolment, "outcome": "5"}]},
        {"entries": [{"enrolment_id": enrolment, "outcome": 8}]},
        {"entries": []},
        {"entries": [{"enrolment_id": "nope", "outcome": 5}]},
        {"entries": [{"enrolment_id": enrolment, "outcome": 5, "total": 1}]},
    ):
        response = await client.put(url, json=body, headers=headers)
        assert response.status_code == 400, body
        assert response.headers["content-type"] == PROBLEM
    assert await Attendance.count() == 0


async def test_cancelled_session_is_409_and_unknown_session_404(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    scene = await running_group(staff)
    cancelled = await make_session(scene.group, 9, PAST + timedelta(weeks=9), status="cancelled")
    entries = [(scene.enrolments[0].id, 5)]

    refused = await take(client, scene.facilitator, cancelled.id, entries)
    missing = await take(client, scene.facilitator, UUID(int=7), entries)

    assert refused.json() == problem(
        "conflict",
        "Conflict with the current state",
        409,
        "The session was cancelled: it has no register.",
    )
    assert missing.json() == problem("not-found", "Not found", 404, "No session with this id.")
    assert await Attendance.count() == 0


async def test_concurrent_submissions_of_one_register_never_duplicate_rows(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    scene = await running_group(staff, patients=4)
    session = scene.sessions[0]
    supervisor = await staff.signed_in(Role.SUPERVISOR)
    bodies = [
        (scene.facilitator, [(e.id, 5) for e in scene.enrolments]),
        (supervisor, [(e.id, 3) for e in scene.enrolments]),
        (scene.facilitator, [(e.id, 6) for e in scene.enrolments]),
        (supervisor, [(e.id, 5) for e in scene.enrolments]),
    ]

    responses = await asyncio.gather(
        *(take(client, who, session.id, entries) for who, entries in bodies)
    )

    assert [r.status_code for r in responses] == [200, 200, 200, 200]
    assert await Attendance.count() == 4
    final = await client.get(register_url(session.id), headers=supervisor.headers)
    assert len(set(outcomes(final.json()).values())) == 1
    assert await AuditEntry.count().where(AuditEntry.action == "register.record") == 1


async def test_the_register_hands_out_the_session_materials_marking_catch_up(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    plan = [dict(entry, module_refs=["understanding-worry"]) for entry in SIX_SESSION_PLAN]
    facilitator = await staff.signed_in(Role.FACILITATOR)
    group = await make_group(
        course=await make_course(session_plan=plan), facilitators=(facilitator.user.id,)
    )
    came, missed = await make_enrolment(group), await make_enrolment(group)
    session = await make_session(group, 1, PAST)
    module = Module(slug="understanding-worry")
    await module.save()
    await ModuleVersion(
        module=module.id, title="Understanding worry", status="published", published_at=PAST
    ).save()

    first = await take(client, facilitator, session.id, [(came.id, 5), (missed.id, 3)])
    again = await take(client, facilitator, session.id, [(came.id, 5), (missed.id, 6)])

    assert first.status_code == again.status_code == 200
    rows = await Assignment.select(Assignment.enrolment, Assignment.slug, Assignment.catch_up)
    assert sorted((str(r["enrolment"]), r["slug"], r["catch_up"]) for r in rows) == sorted(
        [
            (str(came.id), "understanding-worry", False),
            (str(missed.id), "understanding-worry", False),
        ]
    )


async def test_a_session_on_a_later_day_has_no_register_yet(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    scene = await running_group(staff, patients=1)
    later = await make_session(scene.group, 2, datetime.now(UTC) + timedelta(days=2))
    begun = await make_session(scene.group, 3, datetime.now(UTC) - timedelta(minutes=1))
    entries = [(scene.enrolments[0].id, 5)]

    refused = await take(client, scene.facilitator, later.id, entries)
    taken = await take(client, scene.facilitator, begun.id, entries)

    assert refused.json() == problem(
        "conflict",
        "Conflict with the current state",
        409,
        "The session has not happened yet: take its register on the day.",
    )
    assert taken.status_code == 200
    assert await Attendance.count().where(Attendance.session == later.id) == 0


async def test_a_register_costs_the_same_queries_however_long_the_history(
    staff: StaffFactory, client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    scene = await running_group(staff, patients=12, sessions=3)
    counts = []
    for session in scene.sessions:
        entries = [(e.id, 3 if index % 4 == 0 else 5) for index, e in enumerate(scene.enrolments)]
        with count_queries(monkeypatch) as queries:
            response = await take(client, scene.facilitator, session.id, entries)
        assert response.status_code == 200
        counts.append(queries.count)

    # Sessions 1 and 3 write the same; session 2 flags three patients for review (one
    # read of their contact details, one insert of their follow-ups): two more statements.
    assert counts[2] == counts[0]
    assert counts[1] == counts[0] + 2
