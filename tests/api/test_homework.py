"""Homework through HTTP: paper diaries entered by facilitators, submit is final, figures,
comments, the session view, who may see answers, and the risk-phrase safety net."""

import asyncio
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from api.core.actor import Actor, Role
from api.core.database import write_transaction
from api.core.errors import NotFound
from groups.tables import Enrolment, Group, GroupSession, RiskAlert
from materials import forms, homework, modules
from materials.assignments import assign_session_materials
from materials.schemas.homework import SubmissionSave
from materials.schemas.modules import ModuleCreate
from materials.tables import Assignment, HomeworkSubmission
from tests.factories import SignedIn, StaffFactory
from tests.group_factories import make_course, make_enrolment, make_group, make_session
from tests.query_count import count_queries

PROBLEMS = "https://stepwise.example/problems/"
NOW = datetime(2027, 1, 11, 12, 0, tzinfo=UTC)
FIRST = datetime(2027, 1, 11, 10, 0, tzinfo=UTC)
SYSTEM = Actor.system()

NIGHT = {
    "date": "2027-01-11",
    "bed_time": "23:00",
    "minutes_to_sleep": 30,
    "minutes_awake": 30,
    "final_wake_time": "06:30",
    "out_of_bed_time": "07:00",
    "quality": 6,
}


async def publish_built_in(*slugs: str) -> None:
    for form in forms.built_in_forms():
        if form.slug in slugs:
            draft = await forms.create_form(form, by=SYSTEM, now=NOW)
            await forms.publish_form_version(
                draft.id, expected_version=draft.version, by=SYSTEM, now=NOW
            )


@dataclass
class Setting:
    facilitator: SignedIn
    group: Group
    session: GroupSession
    enrolments: list[Enrolment]
    assignments: dict[tuple[uuid.UUID, str], uuid.UUID]


async def setting(staff: StaffFactory, *, patients: int = 1) -> Setting:
    """A group whose first session set the sleep diary and free text, register taken."""
    facilitator = await staff.signed_in(Role.FACILITATOR)
    await publish_built_in("sleep-diary", "free-text")
    plan = [
        {
            "title": f"Session {n}",
            "topics": [],
            "duration_minutes": 90,
            "module_refs": [],
            "homework_refs": ["sleep-diary", "free-text"] if n == 1 else [],
        }
        for n in (1, 2)
    ]
    group = await make_group(
        course=await make_course(session_plan=plan), facilitators=(facilitator.user.id,)
    )
    session = await make_session(group, 1, FIRST)
    await make_session(group, 2, FIRST + timedelta(days=7))
    enrolments = [await make_enrolment(group) for _ in range(patients)]
    async with write_transaction():
        await assign_session_materials(
            session.id,
            {e.id: index == 0 for index, e in enumerate(enrolments)},
            by=SYSTEM,
            now=NOW,
        )
    rows = await Assignment.select(Assignment.id, Assignment.enrolment, Assignment.slug)
    found = {(row["enrolment"], row["slug"]): row["id"] for row in rows}
    return Setting(facilitator, group, session, enrolments, found)


def submission_url(assignment_id: uuid.UUID) -> str:
    return f"/api/v1/assignments/{assignment_id}/submission"


async def test_a_facilitator_enters_a_paper_sleep_diary_then_submits_it_final(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    world = await setting(staff)
    diary = world.assignments[(world.enrolments[0].id, "sleep-diary")]
    url = submission_url(diary)
    headers = world.facilitator.headers

    draft = await client.put(
        url, json={"answers": {"nights": [{"bed_time": "23:00"}]}}, headers=headers
    )
    assert draft.status_code == 200, draft.text
    assert draft.headers["etag"] == '"v1"'
    again = await client.put(
        url, json={"answers": {"nights": [NIGHT]}}, headers={**headers, "If-Match": '"v1"'}
    )
    assert again.headers["etag"] == '"v2"'
    stale = await client.put(
        url, json={"answers": {"nights": [NIGHT]}}, headers={**headers, "If-Match": '"v1"'}
    )
    assert stale.status_code == 412

    final = await client.put(
        url,
        json={"answers": {"nights": [NIGHT, {**NIGHT, "date": "2027-01-12"}]}, "submit": True},
        headers=headers,
    )

    assert final.status_code == 200, final.text
    submission = final.json()["submission"]
    assert submission["status"] == "submitted"
    assert submission["entered_by"] == str(world.facilitator.user.id)
    assert submission["submitted_at"] is not None
    assert submission["derived"]["average"] == {
        "nights": 2,
        "time_in_bed_minutes": 480.0,
        "total_sleep_minutes": 390.0,
        "sleep_efficiency_percent": 81.2,
    }
    late = await client.put(url, json={"answers": {"nights": [NIGHT]}}, headers=headers)
    assert late.status_code == 409
    assert late.json() == {
        "type": PROBLEMS + "submission-final",
        "status": 409,
        "title": "This homework has been submitted",
        "detail": "This homework was submitted: it can no longer be changed.",
    }


async def test_answers_that_do_not_fit_the_form_name_each_field_and_row(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    world = await setting(staff)
    url = submission_url(world.assignments[(world.enrolments[0].id, "sleep-diary")])

    bad = await client.put(
        url,
        json={
            "answers": {"nights": [NIGHT, {**NIGHT, "bed_time": "25:00", "quality": 11}]},
            "submit": True,
        },
        headers=world.facilitator.headers,
    )
    incomplete = await client.put(
        url,
        json={"answers": {"nights": [{"date": "2027-01-11"}]}, "submit": True},
        headers=world.facilitator.headers,
    )

    assert bad.status_code == 400
    assert bad.json()["errors"] == [
        {
            "field": "answers.nights[1].bed_time",
            "reason": 'must be a time of day, "HH:MM" (24-hour)',
        },
        {"field": "answers.nights[1].quality", "reason": "must be a whole number from 0 to 10"},
    ]
    assert [e["field"] for e in incomplete.json()["errors"]] == [
        "answers.nights[0].bed_time",
        "answers.nights[0].minutes_to_sleep",
        "answers.nights[0].final_wake_time",
        "answers.nights[0].out_of_bed_time",
    ]
    assert (
        await homework._submission_row(world.assignments[(world.enrolments[0].id, "sleep-diary")])
        is None
    )


async def test_session_view_counts_who_has_submitted_and_shows_comments(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    world = await setting(staff, patients=3)
    first, second, _third = world.enrolments
    headers = world.facilitator.headers
    await client.put(
        submission_url(world.assignments[(first.id, "free-text")]),
        json={"answers": {"reflection": "Walked every day."}, "submit": True},
        headers=headers,
    )
    await client.put(
        submission_url(world.assignments[(second.id, "free-text")]),
        json={"answers": {"reflection": "Started"}},
        headers=headers,
    )
    commented = await client.put(
        submission_url(world.assignments[(first.id, "free-text")]) + "/comment",
        json={"comment": "Well done for keeping this up."},
        headers=headers,
    )
    assert commented.status_code == 200, commented.text

    page = await client.get(
        f"/api/v1/sessions/{world.session.id}/homework", params={"limit": 4}, headers=headers
    )
    rest = await client.get(
        f"/api/v1/sessions/{world.session.id}/homework",
        params={"cursor": page.json()["next_cursor"]},
        headers=headers,
    )

    body = page.json()
    assert {
        k: body[k] for k in ("homework_assigned", "submitted", "in_progress", "not_started")
    } == {
        "homework_assigned": 6,
        "submitted": 1,
        "in_progress": 1,
        "not_started": 4,
    }
    items = body["items"] + rest.json()["items"]
    assert len(items) == 6
    assert rest.json()["next_cursor"] is None
    by_key = {(item["enrolment_id"], item["slug"]): item for item in items}
    done = by_key[(str(first.id), "free-text")]
    assert done["submission"]["comment"] == "Well done for keeping this up."
    assert done["submission"]["comment_by"] == str(world.facilitator.user.id)
    assert done["catch_up"] is False
    assert by_key[(str(second.id), "free-text")]["catch_up"] is True  # missed the session
    assert done["title"] == "Reflections"
    assert done["due_at"].startswith("2027-01-18T10:00:00")


async def test_answers_are_clinical_admins_and_other_facilitators_are_refused(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    world = await setting(staff)
    admin = await staff.signed_in(Role.ADMIN)
    stranger = await staff.signed_in(Role.FACILITATOR)
    supervisor = await staff.signed_in(Role.SUPERVISOR)
    assignment = world.assignments[(world.enrolments[0].id, "free-text")]
    save = {"answers": {"reflection": "ok"}}

    admin_view = await client.get(f"/api/v1/assignments/{assignment}", headers=admin.headers)
    admin_save = await client.put(submission_url(assignment), json=save, headers=admin.headers)
    stranger_view = await client.get(
        f"/api/v1/sessions/{world.session.id}/homework", headers=stranger.headers
    )
    stranger_save = await client.put(
        submission_url(assignment), json=save, headers=stranger.headers
    )
    supervisor_view = await client.get(
        f"/api/v1/assignments/{assignment}", headers=supervisor.headers
    )
    missing = await client.get(f"/api/v1/assignments/{uuid.uuid4()}", headers=supervisor.headers)

    assert [r.status_code for r in (admin_view, admin_save, stranger_view, stranger_save)] == [
        403
    ] * 4
    assert supervisor_view.status_code == 200
    assert missing.status_code == 404


async def test_a_risk_phrase_in_free_text_raises_one_alert_for_a_clinician(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    world = await setting(staff)
    enrolment = world.enrolments[0]
    url = submission_url(world.assignments[(enrolment.id, "free-text")])
    worrying = {"reflection": "Some days I feel everyone would be Better-off without me."}

    await client.put(
        url, json={"answers": {"reflection": "A fine week."}}, headers=world.facilitator.headers
    )
    assert await RiskAlert.count() == 0
    await client.put(url, json={"answers": worrying}, headers=world.facilitator.headers)
    await client.put(
        url, json={"answers": worrying, "submit": True}, headers=world.facilitator.headers
    )

    alerts = await RiskAlert.select(
        RiskAlert.enrolment, RiskAlert.source_kind, RiskAlert.reason, RiskAlert.status
    )
    assert alerts == [
        {
            "enrolment": enrolment.id,
            "source_kind": "homework_submission",
            "reason": "free_text",
            "status": "open",
        }
    ]


async def test_the_patient_path_saves_only_their_own_homework(staff: StaffFactory) -> None:
    world = await setting(staff)
    enrolment = world.enrolments[0]
    assignment = world.assignments[(enrolment.id, "free-text")]
    patient_id = (await Enrolment.select(Enrolment.patient).where(Enrolment.id == enrolment.id))[0][
        "patient"
    ]
    answers: dict[str, Any] = {"reflection": "From my phone."}

    saved = await homework.save_patient_submission(
        assignment, patient_id, SubmissionSave(answers=answers), now=NOW
    )
    with pytest.raises(NotFound):
        await homework.save_patient_submission(
            assignment, uuid.uuid4(), SubmissionSave(answers=answers), now=NOW
        )

    assert (saved.status, saved.entered_by, saved.answers) == ("draft", None, answers)


async def test_session_view_costs_the_same_queries_for_three_patients_or_thirty(
    staff: StaffFactory, client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    small = await setting(staff, patients=3)
    url = f"/api/v1/sessions/{small.session.id}/homework"
    with count_queries(monkeypatch) as few:
        response = await client.get(url, headers=small.facilitator.headers)
    assert response.status_code == 200
    for _ in range(27):
        enrolment = await make_enrolment(small.group)
        async with write_transaction():
            await assign_session_materials(
                small.session.id, {enrolment.id: True}, by=SYSTEM, now=NOW
            )

    with count_queries(monkeypatch) as many:
        response = await client.get(url, headers=small.facilitator.headers)

    assert len(response.json()["items"]) == 50
    assert many.count == few.count


async def test_a_patients_own_list_and_the_enrolment_view_show_modules_and_comments(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    world = await setting(staff, patients=2)
    first = world.enrolments[0]
    admin = await staff.signed_in(Role.ADMIN)
    diary = world.assignments[(first.id, "free-text")]
    await client.put(
        submission_url(diary),
        json={"answers": {"reflection": "ok"}},
        headers=world.facilitator.headers,
    )
    await client.put(
        submission_url(diary) + "/comment",
        json={"comment": "Thanks, see you Monday."},
        headers=world.facilitator.headers,
    )
    url = f"/api/v1/enrolments/{first.id}/assignments"

    page = await client.get(url, params={"limit": 1}, headers=world.facilitator.headers)
    rest = await client.get(
        url, params={"cursor": page.json()["next_cursor"]}, headers=world.facilitator.headers
    )
    refused = await client.get(url, headers=admin.headers)
    patient_id = (await Enrolment.select(Enrolment.patient).where(Enrolment.id == first.id))[0][
        "patient"
    ]
    own = await homework.patient_assignments(patient_id)

    slugs = [item["slug"] for item in page.json()["items"] + rest.json()["items"]]
    assert sorted(slugs) == ["free-text", "sleep-diary"]
    assert refused.status_code == 403
    assert sorted(item.slug for item in own.items) == ["free-text", "sleep-diary"]
    commented = next(item for item in own.items if item.slug == "free-text")
    assert commented.submission is not None
    assert commented.submission.comment == "Thanks, see you Monday."


async def test_answers_nested_deeper_than_any_form_are_a_400_not_a_crash(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    world = await setting(staff)
    url = submission_url(world.assignments[(world.enrolments[0].id, "free-text")])
    deep = '{"answers": {"reflection": ' + "[" * 300 + "]" * 300 + "}}"

    response = await client.put(
        url, content=deep, headers={**world.facilitator.headers, "Content-Type": "application/json"}
    )
    every_kind = await client.get(
        f"/api/v1/sessions/{world.session.id}/homework",
        params={"kind": "all"},
        headers=world.facilitator.headers,
    )

    assert response.status_code == 400
    assert response.json()["errors"] == [
        {
            "field": "answers",
            "reason": "Value error, nests lists and objects deeper than any form allows",
        }
    ]
    assert len(every_kind.json()["items"]) == 2


async def test_five_first_saves_at_once_make_one_submission(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    world = await setting(staff)
    url = submission_url(world.assignments[(world.enrolments[0].id, "free-text")])

    responses = await asyncio.gather(
        *(
            client.put(
                url, json={"answers": {"reflection": f"try {n}"}}, headers=world.facilitator.headers
            )
            for n in range(5)
        )
    )

    assert [r.status_code for r in responses] == [200] * 5
    assert sorted(r.json()["submission"]["version"] for r in responses) == [1, 2, 3, 4, 5]
    assert await HomeworkSubmission.count() == 1


async def test_a_comment_needs_something_saved_and_a_module_takes_no_answers(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    world = await setting(staff)
    draft = await modules.create_module(
        ModuleCreate(slug="sleep-hygiene", title="Sleep hygiene"), by=SYSTEM, now=NOW
    )
    await modules.publish_version(draft.id, expected_version=1, by=SYSTEM, now=NOW)
    await Group.update(
        {
            Group.session_plan: [
                {
                    "number": 1,
                    "title": "Session 1",
                    "topics": [],
                    "duration_minutes": 90,
                    "module_refs": ["sleep-hygiene"],
                    "homework_refs": [],
                }
            ]
        }
    ).where(Group.id == world.group.id)
    async with write_transaction():
        await assign_session_materials(
            world.session.id, {world.enrolments[0].id: True}, by=SYSTEM, now=NOW
        )
    module_assignment = (
        await Assignment.select(Assignment.id).where(Assignment.kind == "module").first()
    )
    assert module_assignment is not None
    headers = world.facilitator.headers

    early_comment = await client.put(
        submission_url(world.assignments[(world.enrolments[0].id, "free-text")]) + "/comment",
        json={"comment": "Nice"},
        headers=headers,
    )
    module_answers = await client.put(
        submission_url(module_assignment["id"]), json={"answers": {}}, headers=headers
    )
    module_view = await client.get(
        f"/api/v1/assignments/{module_assignment['id']}", headers=headers
    )

    assert early_comment.status_code == 404
    assert module_answers.status_code == 400
    assert module_answers.json()["errors"] == [
        {"field": "answers", "reason": "a module has no answers to save"}
    ]
    assert module_view.json()["title"] == "Sleep hygiene"
    assert module_view.json()["module_version_id"] == str(draft.id)
    assert module_view.json()["submission"] is None
