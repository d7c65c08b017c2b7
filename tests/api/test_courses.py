"""Courses through HTTP: create, read, list with filters and pages, edit, archive, plans."""

import asyncio
import copy
from typing import Any
from uuid import UUID

import httpx
import pytest

from api.core.actor import Role
from api.core.errors import Conflict
from groups import courses
from groups.tables import Course
from tests.factories import SignedIn, StaffFactory

PROBLEMS = "https://stepwise.example/problems/"
PROBLEM_JSON = "application/problem+json"
COURSES = "/api/v1/courses"


def session(title: str, **fields: Any) -> dict[str, Any]:
    """One planned session; override only what the test is about."""
    return {"title": title, **fields}


def course_body(**fields: Any) -> dict[str, Any]:
    """A valid POST /courses body: a short Stress Control."""
    return {
        "name": "Stress Control",
        "problems": ["stress"],
        "min_group_size": 6,
        "max_group_size": 16,
        "session_plan": [session("Learning about stress"), session("Controlling your body")],
        **fields,
    }


async def create_course(
    client: httpx.AsyncClient, admin: SignedIn, **fields: Any
) -> dict[str, Any]:
    response = await client.post(COURSES, json=course_body(**fields), headers=admin.headers)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def list_names(client: httpx.AsyncClient, who: SignedIn, **params: Any) -> list[str]:
    response = await client.get(COURSES, params=params, headers=who.headers)
    assert response.status_code == 200, response.text
    return [course["name"] for course in response.json()["items"]]


def validation_problem(field: str, reason: str) -> dict[str, Any]:
    return {
        "type": PROBLEMS + "validation-error",
        "status": 400,
        "title": "The request is not valid",
        "detail": f"{field}: {reason}",
        "errors": [{"field": field, "reason": reason}],
    }


async def test_create_course_answers_every_field_with_numbered_plan(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    admin = await staff.signed_in(Role.ADMIN)

    created = await client.post(
        COURSES,
        json=course_body(
            name="  Self-management of Depression and Anxiety ",
            summary="Five sessions of CBT skills.\nFor low mood and worry.",
            problems=["generalised_anxiety", "depression", "generalised_anxiety"],
            min_group_size=1,
            max_group_size=30,
            default_session_minutes=120,
            language="PT-br",
            session_plan=[
                session(
                    "Understanding worry",
                    topics=["What worry is", " The worry cycle "],
                    module_refs=["understanding-worry"],
                    homework_refs=["worry-diary", "step-1"],
                ),
                session("Low mood", duration_minutes=30),
                session("Staying well", duration_minutes=240),
            ],
        ),
        headers=admin.headers,
    )
    body = created.json()
    read = await client.get(f"{COURSES}/{body['id']}", headers=admin.headers)

    assert created.status_code == 201
    assert created.headers["ETag"] == '"v1"'
    assert body == {
        "id": body["id"],
        "name": "Self-management of Depression and Anxiety",
        "summary": "Five sessions of CBT skills.\nFor low mood and worry.",
        "problems": ["depression", "generalised_anxiety"],
        "min_group_size": 1,
        "max_group_size": 30,
        "default_session_minutes": 120,
        "language": "pt-BR",
        "session_plan": [
            {
                "number": 1,
                "title": "Understanding worry",
                "topics": ["What worry is", "The worry cycle"],
                "duration_minutes": 120,
                "module_refs": ["understanding-worry"],
                "homework_refs": ["worry-diary", "step-1"],
            },
            {
                "number": 2,
                "title": "Low mood",
                "topics": [],
                "duration_minutes": 30,
                "module_refs": [],
                "homework_refs": [],
            },
            {
                "number": 3,
                "title": "Staying well",
                "topics": [],
                "duration_minutes": 240,
                "module_refs": [],
                "homework_refs": [],
            },
        ],
        "is_archived": False,
        "version": 1,
        "created_at": body["created_at"],
        "updated_at": body["created_at"],
    }
    assert read.status_code == 200
    assert read.json() == body
    assert read.headers["ETag"] == '"v1"'


async def test_create_course_with_twenty_sessions_is_accepted(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    plan = [session(f"Session {n}") for n in range(1, 21)]

    body = await create_course(client, admin, session_plan=plan)

    assert [s["number"] for s in body["session_plan"]] == list(range(1, 21))


@pytest.mark.parametrize(
    ("fields", "field", "reason"),
    [
        (
            {"session_plan": []},
            "session_plan",
            "List should have at least 1 item after validation, not 0",
        ),
        (
            {"session_plan": [session(f"S{n}") for n in range(21)]},
            "session_plan",
            "List should have at most 20 items after validation, not 21",
        ),
        (
            {
                "session_plan": [
                    session("One"),
                    session("Two"),
                    session("Three", module_refs=["Understanding_Worry"]),
                ]
            },
            "session_plan.2.module_refs.0",
            "String should match pattern '^[a-z0-9]+(-[a-z0-9]+)*$'",
        ),
        (
            {"session_plan": [session("One", homework_refs=["worry--diary"])]},
            "session_plan.0.homework_refs.0",
            "String should match pattern '^[a-z0-9]+(-[a-z0-9]+)*$'",
        ),
        (
            {"session_plan": [session("One", duration_minutes=29)]},
            "session_plan.0.duration_minutes",
            "Input should be greater than or equal to 30",
        ),
        (
            {"min_group_size": 9, "max_group_size": 8},
            "max_group_size",
            "Value error, must be at least min_group_size",
        ),
        ({"min_group_size": 0}, "min_group_size", "Input should be greater than or equal to 1"),
        ({"max_group_size": 31}, "max_group_size", "Input should be less than or equal to 30"),
        (
            {"default_session_minutes": 241},
            "default_session_minutes",
            "Input should be less than or equal to 240",
        ),
        ({"problems": []}, "problems", "List should have at least 1 item after validation, not 0"),
        (
            {"problems": ["stress", "grief"]},
            "problems.1",
            "Input should be 'depression', 'generalised_anxiety', 'stress', 'insomnia', "
            "'panic', 'health_anxiety', 'low_self_esteem', 'social_anxiety' or "
            "'long_term_condition'",
        ),
        (
            {"language": "english"},
            "language",
            'Value error, is not a BCP 47 language tag, e.g. "en", "cy" or "pt-BR"',
        ),
    ],
)
async def test_create_course_when_invalid_answers_400_naming_the_field(
    staff: StaffFactory,
    client: httpx.AsyncClient,
    fields: dict[str, Any],
    field: str,
    reason: str,
) -> None:
    admin = await staff.signed_in(Role.ADMIN)

    response = await client.post(COURSES, json=course_body(**fields), headers=admin.headers)

    assert response.status_code == 400
    assert response.headers["content-type"] == PROBLEM_JSON
    assert response.json() == validation_problem(field, reason)
    assert await Course.count() == 0


async def test_create_course_when_name_taken_answers_409_naming_name(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    await create_course(client, admin)

    response = await client.post(COURSES, json=course_body(), headers=admin.headers)

    assert response.status_code == 409
    assert response.headers["content-type"] == PROBLEM_JSON
    assert response.json() == {
        "type": PROBLEMS + "conflict",
        "status": 409,
        "title": "Conflict with the current state",
        "detail": "A course with this name already exists.",
        "field": "name",
    }


async def test_create_course_concurrent_duplicates_one_201_rest_409(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    admin = await staff.signed_in(Role.ADMIN)

    responses = await asyncio.gather(
        *(client.post(COURSES, json=course_body(), headers=admin.headers) for _ in range(5))
    )

    assert sorted(r.status_code for r in responses) == [201, 409, 409, 409, 409]
    refused = next(r for r in responses if r.status_code == 409)
    assert refused.json()["field"] == "name"
    assert await Course.count() == 1


async def test_list_courses_filters_by_problem_language_and_archived(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    await create_course(client, admin, name="Stress Control", problems=["stress"])
    await create_course(
        client, admin, name="CBT for Insomnia", problems=["insomnia", "stress"], language="cy"
    )
    living = await create_course(
        client, admin, name="Living Life to the Full", problems=["depression"]
    )
    await client.post(
        f"{COURSES}/{living['id']}/archive", headers={**admin.headers, "If-Match": '"v1"'}
    )

    assert await list_names(client, admin) == ["CBT for Insomnia", "Stress Control"]
    assert await list_names(client, admin, include_archived="true") == [
        "CBT for Insomnia",
        "Living Life to the Full",
        "Stress Control",
    ]
    assert await list_names(client, admin, problem="stress") == [
        "CBT for Insomnia",
        "Stress Control",
    ]
    assert await list_names(client, admin, problem="insomnia") == ["CBT for Insomnia"]
    assert await list_names(client, admin, problem="depression") == []
    assert await list_names(client, admin, problem="depression", include_archived="true") == [
        "Living Life to the Full"
    ]
    assert await list_names(client, admin, language="CY") == ["CBT for Insomnia"]
    assert await list_names(client, admin, language="en") == ["Stress Control"]


async def test_list_courses_bad_filters_answer_400_naming_them(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    admin = await staff.signed_in(Role.ADMIN)

    bad_language = await client.get(COURSES, params={"language": "x"}, headers=admin.headers)
    bad_problem = await client.get(COURSES, params={"problem": "grief"}, headers=admin.headers)
    bad_cursor = await client.get(COURSES, params={"cursor": "nonsense"}, headers=admin.headers)

    assert bad_language.status_code == 400
    assert bad_language.json()["errors"] == [
        {"field": "language", "reason": 'is not a BCP 47 language tag, e.g. "en", "cy" or "pt-BR"'}
    ]
    assert bad_problem.status_code == 400
    assert [e["field"] for e in bad_problem.json()["errors"]] == ["problem"]
    assert bad_cursor.status_code == 400
    assert bad_cursor.json()["errors"] == [
        {"field": "cursor", "reason": "is not a cursor this API gave"}
    ]


async def test_list_courses_pages_by_name_without_gaps_or_repeats(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    names = [f"Course {n:02d}" for n in range(5)]
    for name in reversed(names):
        await create_course(client, admin, name=name)

    seen: list[str] = []
    cursors: list[str | None] = []
    params: dict[str, Any] = {"limit": 2}
    while True:
        page = (await client.get(COURSES, params=params, headers=admin.headers)).json()
        seen.extend(course["name"] for course in page["items"])
        cursors.append(page["next_cursor"])
        if page["next_cursor"] is None:
            break
        params["cursor"] = page["next_cursor"]

    assert seen == names
    assert len(cursors) == 3
    assert cursors[-1] is None


async def test_update_course_with_if_match_bumps_version_and_audits(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    course = await create_course(client, admin)
    url = f"{COURSES}/{course['id']}"

    edited = await client.patch(
        url,
        json={
            "default_session_minutes": 60,
            "session_plan": [session("Only one", topics=["Breathing"])],
        },
        headers={**admin.headers, "If-Match": '"v1"'},
    )
    archived = await client.post(
        f"{url}/archive", headers={**admin.headers, "If-Match": edited.headers["ETag"]}
    )
    unarchived = await client.post(
        f"{url}/unarchive", headers={**admin.headers, "If-Match": archived.headers["ETag"]}
    )
    audit = await client.get(
        "/api/v1/audit",
        params={"entity": "course", "entity_id": course["id"]},
        headers=admin.headers,
    )

    assert edited.status_code == 200
    assert edited.headers["ETag"] == '"v2"'
    assert edited.json() == {
        **course,
        "default_session_minutes": 60,
        "session_plan": [
            {
                "number": 1,
                "title": "Only one",
                "topics": ["Breathing"],
                "duration_minutes": 60,
                "module_refs": [],
                "homework_refs": [],
            }
        ],
        "version": 2,
        "updated_at": edited.json()["updated_at"],
    }
    assert archived.status_code == 200
    assert (archived.json()["is_archived"], archived.json()["version"]) == (True, 3)
    assert unarchived.status_code == 200
    assert (unarchived.json()["is_archived"], unarchived.json()["version"]) == (False, 4)
    assert [entry["action"] for entry in reversed(audit.json()["items"])] == [
        "course.create",
        "course.update",
        "course.archive",
        "course.unarchive",
    ]


async def test_update_course_without_or_with_stale_if_match_answers_428_or_412(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    course = await create_course(client, admin)
    url = f"{COURSES}/{course['id']}"
    await client.patch(url, json={"summary": "New"}, headers={**admin.headers, "If-Match": '"v1"'})

    missing = await client.patch(url, json={"summary": "Lost"}, headers=admin.headers)
    stale = await client.patch(
        url, json={"summary": "Lost"}, headers={**admin.headers, "If-Match": '"v1"'}
    )
    archive_missing = await client.post(f"{url}/archive", headers=admin.headers)

    assert missing.status_code == 428
    assert missing.json()["type"] == PROBLEMS + "precondition-required"
    assert stale.status_code == 412
    assert stale.json()["type"] == PROBLEMS + "stale-version"
    assert stale.json()["current_version"] == 2
    assert archive_missing.status_code == 428
    assert (await client.get(url, headers=admin.headers)).json()["summary"] == "New"


async def test_update_course_group_sizes_checked_against_stored_values(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    course = await create_course(client, admin, min_group_size=6, max_group_size=16)
    url = f"{COURSES}/{course['id']}"
    headers = {**admin.headers, "If-Match": '"v1"'}

    raise_min = await client.patch(url, json={"min_group_size": 17}, headers=headers)
    lower_max = await client.patch(url, json={"max_group_size": 5}, headers=headers)
    equal = await client.patch(url, json={"min_group_size": 16}, headers=headers)

    reason = "min_group_size must not exceed max_group_size"
    assert raise_min.status_code == 400
    assert raise_min.json()["errors"] == [{"field": "min_group_size", "reason": reason}]
    assert lower_max.status_code == 400
    assert lower_max.json()["errors"] == [{"field": "max_group_size", "reason": reason}]
    assert equal.status_code == 200
    assert (equal.json()["min_group_size"], equal.json()["max_group_size"]) == (16, 16)


async def test_update_course_to_a_taken_name_answers_409(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    await create_course(client, admin, name="Stress Control")
    other = await create_course(client, admin, name="Living Life to the Full")

    response = await client.patch(
        f"{COURSES}/{other['id']}",
        json={"name": "Stress Control"},
        headers={**admin.headers, "If-Match": '"v1"'},
    )

    assert response.status_code == 409
    assert response.json()["field"] == "name"
    assert (await client.get(f"{COURSES}/{other['id']}", headers=admin.headers)).json() == other


async def test_update_course_plan_invalid_answers_400_naming_the_path(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    course = await create_course(client, admin)

    response = await client.patch(
        f"{COURSES}/{course['id']}",
        json={"session_plan": [session("One"), session("Two", module_refs=["ok", "Bad Slug"])]},
        headers={**admin.headers, "If-Match": '"v1"'},
    )

    assert response.status_code == 400
    assert response.json() == validation_problem(
        "session_plan.1.module_refs.1", "String should match pattern '^[a-z0-9]+(-[a-z0-9]+)*$'"
    )


async def test_frozen_plan_is_unchanged_by_a_later_course_edit(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    course = await create_course(
        client,
        admin,
        default_session_minutes=90,
        session_plan=[
            session("Learning about stress", topics=["Stress"], module_refs=["what-is-stress"]),
            session("Controlling your body", duration_minutes=120),
        ],
    )
    frozen = await courses.load_frozen_plan(UUID(course["id"]))
    before = copy.deepcopy(frozen)

    await client.patch(
        f"{COURSES}/{course['id']}",
        json={
            "name": "Stress Control (2027)",
            "default_session_minutes": 60,
            "session_plan": [session("Everything at once", topics=["All of it"])],
        },
        headers={**admin.headers, "If-Match": '"v1"'},
    )
    refrozen = await courses.load_frozen_plan(UUID(course["id"]))

    assert (
        frozen
        == before
        == [
            {
                "number": 1,
                "title": "Learning about stress",
                "topics": ["Stress"],
                "duration_minutes": 90,
                "module_refs": ["what-is-stress"],
                "homework_refs": [],
                "course_name": "Stress Control",
                "course_version": 1,
            },
            {
                "number": 2,
                "title": "Controlling your body",
                "topics": [],
                "duration_minutes": 120,
                "module_refs": [],
                "homework_refs": [],
                "course_name": "Stress Control",
                "course_version": 1,
            },
        ]
    )
    assert refrozen == [
        {
            "number": 1,
            "title": "Everything at once",
            "topics": ["All of it"],
            "duration_minutes": 60,
            "module_refs": [],
            "homework_refs": [],
            "course_name": "Stress Control (2027)",
            "course_version": 2,
        }
    ]


def test_frozen_plan_shares_nothing_with_the_row() -> None:
    row: dict[str, Any] = {
        "name": "Stress Control",
        "version": 3,
        "default_session_minutes": 90,
        "session_plan": [
            {
                "title": "One",
                "topics": ["Stress"],
                "duration_minutes": None,
                "module_refs": ["a"],
                "homework_refs": [],
            }
        ],
    }

    frozen = courses.frozen_plan(row)
    row["session_plan"][0]["topics"].append("Changed")
    row["session_plan"][0]["module_refs"][0] = "b"

    assert frozen == [
        {
            "number": 1,
            "title": "One",
            "topics": ["Stress"],
            "duration_minutes": 90,
            "module_refs": ["a"],
            "homework_refs": [],
            "course_name": "Stress Control",
            "course_version": 3,
        }
    ]


async def test_load_frozen_plan_of_archived_course_is_refused(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    course = await create_course(client, admin)
    await client.post(
        f"{COURSES}/{course['id']}/archive", headers={**admin.headers, "If-Match": '"v1"'}
    )

    with pytest.raises(Conflict) as refused:
        await courses.load_frozen_plan(UUID(course["id"]))

    assert refused.value.extra == {"field": "course_id"}


@pytest.mark.parametrize("role", [Role.FACILITATOR, Role.SUPERVISOR])
async def test_courses_readers_can_read_but_not_write(
    staff: StaffFactory, client: httpx.AsyncClient, role: Role
) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    reader = await staff.signed_in(role)
    course = await create_course(client, admin)
    url = f"{COURSES}/{course['id']}"
    if_match = {**reader.headers, "If-Match": '"v1"'}

    listed = await client.get(COURSES, headers=reader.headers)
    read = await client.get(url, headers=reader.headers)
    writes = [
        await client.post(COURSES, json=course_body(name="Other"), headers=reader.headers),
        await client.patch(url, json={"summary": "x"}, headers=if_match),
        await client.post(f"{url}/archive", headers=if_match),
        await client.post(f"{url}/unarchive", headers=if_match),
    ]

    assert listed.status_code == 200
    assert [c["id"] for c in listed.json()["items"]] == [course["id"]]
    assert read.status_code == 200
    assert read.json() == course
    assert [w.status_code for w in writes] == [403, 403, 403, 403]
    assert (await client.get(url, headers=admin.headers)).json() == course


async def test_courses_unknown_id_answers_404(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    url = f"{COURSES}/00000000-0000-4000-8000-000000000000"
    if_match = {**admin.headers, "If-Match": '"v1"'}

    responses = [
        await client.get(url, headers=admin.headers),
        await client.patch(url, json={"summary": "x"}, headers=if_match),
        await client.patch(url, json={"min_group_size": 2}, headers=if_match),
        await client.post(f"{url}/archive", headers=if_match),
        await client.post(f"{url}/unarchive", headers=if_match),
    ]

    assert [r.status_code for r in responses] == [404] * 5
    assert {r.json()["type"] for r in responses} == {PROBLEMS + "not-found"}


async def test_courses_without_sign_in_answer_401(client: httpx.AsyncClient) -> None:
    response = await client.get(COURSES)

    assert response.status_code == 401
