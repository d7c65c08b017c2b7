"""Groups through HTTP: create with defaults and checks, edit with If-Match, list, detail."""

from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest

from api.core.actor import Role
from groups.tables import Group, GroupFacilitator
from scheduling.tables import Room, Venue
from tests.api.test_groups_helpers import (
    GROUPS,
    PROBLEM_JSON,
    facilitators,
    group_body,
    group_setup,
    group_with,
    invalid,
    problem,
)
from tests.factories import StaffFactory
from tests.group_factories import make_course, make_enrolment, make_patient, make_session
from tests.query_count import count_queries
from tests.scheduling_factories import make_room


async def test_create_group_fills_defaults_freezes_plan_and_answers_etag(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    course, room, ids = await group_setup(staff, room_capacity=14)

    response = await client.post(GROUPS, json=group_body(course, room, ids), headers=admin.headers)

    assert response.status_code == 201, response.text
    body = response.json()
    assert response.headers["etag"] == '"v1"'
    assert {k: v for k, v in body.items() if k not in ("id", "created_at", "updated_at")} == {
        "name": "Stress Control - Tavistock, 2027-01-11",
        "course_id": str(course.id),
        "course_name": "Stress Control",
        "venue_id": str(room.venue),
        "venue_name": body["venue_name"],
        "room_id": str(room.id),
        "room_name": room.name,
        "first_session_date": "2027-01-11",
        "weekday": 0,
        "start_time": "10:00:00",
        "session_minutes": 90,
        "capacity": 14,
        "min_participants": 6,
        "go_no_go_date": "2026-12-28",
        "status": "draft",
        "course_version": 1,
        "language": "en",
        "version": 1,
    }
    stored = (
        await Group.select(Group.session_plan)
        .where(Group.id == body["id"])
        .output(load_json=True)
        .first()
    )
    assert stored is not None
    assert [s["title"] for s in stored["session_plan"]] == [f"Session {n}" for n in range(1, 7)]
    staff_ids = await GroupFacilitator.select(GroupFacilitator.staff).where(
        GroupFacilitator.group == body["id"]
    )
    assert sorted(str(r["staff"]) for r in staff_ids) == sorted(ids)


async def test_editing_the_course_leaves_the_group_plan_unchanged(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    course, room, ids = await group_setup(staff)
    created = (
        await client.post(GROUPS, json=group_body(course, room, ids), headers=admin.headers)
    ).json()

    edited = await client.patch(
        f"/api/v1/courses/{course.id}",
        json={"session_plan": [{"title": "Only one now"}]},
        headers={**admin.headers, "If-Match": '"v1"'},
    )
    detail = await client.get(f"{GROUPS}/{created['id']}", headers=admin.headers)

    assert edited.status_code == 200, edited.text
    assert [s["title"] for s in detail.json()["session_plan"]] == [
        f"Session {n}" for n in range(1, 7)
    ]


@pytest.mark.parametrize(
    ("fields", "field", "reason"),
    [
        ({"facilitator_ids": "one"}, "facilitator_ids", "needs at least 2 co-facilitators"),
        ({"facilitator_ids": "twice"}, "facilitator_ids", "must not name anyone twice"),
        ({"min_participants": 13, "capacity": 12}, "min_participants", "must not exceed capacity"),
        ({"first_session_date": "2020-01-06"}, "first_session_date", "is in the past"),
        (
            {"go_no_go_date": "2027-01-11"},
            "go_no_go_date",
            "must be before the first session date",
        ),
    ],
)
async def test_create_group_with_bad_field_is_400_naming_it(
    staff: StaffFactory,
    client: httpx.AsyncClient,
    fields: dict[str, Any],
    field: str,
    reason: str,
) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    course, room, ids = await group_setup(staff)
    if fields.get("facilitator_ids") == "one":
        fields = {**fields, "facilitator_ids": ids[:1]}
    elif fields.get("facilitator_ids") == "twice":
        fields = {**fields, "facilitator_ids": [ids[0], ids[0]]}

    response = await client.post(
        GROUPS, json=group_body(course, room, ids, **fields), headers=admin.headers
    )

    assert response.status_code == 400
    assert response.headers["content-type"] == PROBLEM_JSON
    assert response.json() == invalid(field, reason)
    assert await Group.count() == 0


async def test_create_group_naming_a_non_facilitator_or_inactive_is_400(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    course, room, ids = await group_setup(staff)
    supervisor = await staff.create(Role.SUPERVISOR)

    response = await client.post(
        GROUPS,
        json=group_body(course, room, [ids[0], str(supervisor.id)]),
        headers=admin.headers,
    )

    assert response.status_code == 400
    assert response.json()["errors"] == [
        {
            "field": "facilitator_ids",
            "reason": "each must be an active staff member with the facilitator role",
        }
    ]


@pytest.mark.parametrize(
    ("capacity", "detail"),
    [
        (15, "capacity exceeds the room's capacity of 14."),
        (13, "capacity exceeds the course's maximum group size of 12."),
    ],
)
async def test_create_group_over_room_or_course_limit_is_409_saying_which(
    staff: StaffFactory, client: httpx.AsyncClient, capacity: int, detail: str
) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    course, room, ids = await group_setup(staff, room_capacity=14, course_max=12)

    response = await client.post(
        GROUPS, json=group_body(course, room, ids, capacity=capacity), headers=admin.headers
    )

    assert response.json() == problem(
        "capacity-too-large", "Capacity too large", 409, detail, field="capacity"
    )


async def test_create_group_in_archived_room_venue_or_course_is_409(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    course, room, ids = await group_setup(staff)
    await Room.update({Room.is_archived: True}).where(Room.id == room.id)
    archived_room = await client.post(
        GROUPS, json=group_body(course, room, ids), headers=admin.headers
    )
    other = await make_room()
    await Venue.update({Venue.is_archived: True}).where(Venue.id == other.venue)
    archived_venue = await client.post(
        GROUPS, json=group_body(course, other, ids), headers=admin.headers
    )
    old_course = await make_course(is_archived=True)
    archived_course = await client.post(
        GROUPS, json=group_body(old_course, await make_room(), ids), headers=admin.headers
    )

    assert archived_room.json() == problem(
        "archived", "Archived", 409, "The room is archived.", field="room_id"
    )
    assert archived_venue.json() == problem(
        "archived", "Archived", 409, "The venue is archived.", field="room_id"
    )
    assert archived_course.json() == problem(
        "archived",
        "Archived",
        409,
        "The course is archived: unarchive it first.",
        field="course_id",
    )


async def test_only_admins_create_groups(staff: StaffFactory, client: httpx.AsyncClient) -> None:
    course, room, ids = await group_setup(staff)
    for role in (Role.FACILITATOR, Role.SUPERVISOR):
        who = await staff.signed_in(role)
        response = await client.post(
            GROUPS, json=group_body(course, room, ids), headers=who.headers
        )
        assert response.status_code == 403


async def _created(client: httpx.AsyncClient, admin: Any, staff: StaffFactory) -> dict[str, Any]:
    course, room, ids = await group_setup(staff)
    response = await client.post(
        GROUPS, json=group_body(course, room, ids, capacity=10), headers=admin.headers
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_edit_group_needs_if_match_and_refuses_stale(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    group = await _created(client, admin, staff)
    url = f"{GROUPS}/{group['id']}"

    missing = await client.patch(url, json={"name": "Tuesday"}, headers=admin.headers)
    edited = await client.patch(
        url, json={"name": "Tuesday"}, headers={**admin.headers, "If-Match": '"v1"'}
    )
    stale = await client.patch(
        url, json={"name": "Wednesday"}, headers={**admin.headers, "If-Match": '"v1"'}
    )

    assert missing.status_code == 428
    assert edited.status_code == 200, edited.text
    assert (edited.json()["name"], edited.json()["version"]) == ("Tuesday", 2)
    assert edited.headers["etag"] == '"v2"'
    assert stale.status_code == 412


async def test_edit_capacity_below_places_held_is_409(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    group = await group_with(staff, capacity=10)
    for _ in range(3):
        await make_enrolment(group, status="opted_in")

    response = await client.patch(
        f"{GROUPS}/{group.id}", json={"capacity": 2}, headers={**admin.headers, "If-Match": '"v1"'}
    )

    assert response.json() == problem(
        "capacity-below-places-held",
        "Capacity below the places already held",
        409,
        "3 places are held: capacity cannot go below that.",
        field="capacity",
        places_held=3,
    )


async def test_edit_status_moves_forward_only(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    group = await group_with(staff, status="scheduled")
    url = f"{GROUPS}/{group.id}"

    running = await client.patch(
        url, json={"status": "running"}, headers={**admin.headers, "If-Match": '"v1"'}
    )
    back = await client.patch(
        url, json={"status": "scheduled"}, headers={**admin.headers, "If-Match": '"v2"'}
    )
    cancel = await client.patch(
        url, json={"status": "cancelled"}, headers={**admin.headers, "If-Match": '"v2"'}
    )

    assert running.json()["status"] == "running"
    assert back.json() == problem(
        "group-status-not-allowed",
        "This group status change is not allowed",
        409,
        "A group cannot move from running to scheduled by an edit.",
        from_status="running",
        to_status="scheduled",
    )
    assert cancel.status_code == 400


async def test_edit_facilitators_of_a_draft_group_replaces_them(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    group = await group_with(staff)
    new_ids = await facilitators(staff, 3)

    response = await client.patch(
        f"{GROUPS}/{group.id}",
        json={"facilitator_ids": new_ids},
        headers={**admin.headers, "If-Match": '"v1"'},
    )
    detail = await client.get(f"{GROUPS}/{group.id}", headers=admin.headers)

    assert response.status_code == 200, response.text
    assert response.json()["version"] == 2
    assert sorted(f["id"] for f in detail.json()["facilitators"]) == sorted(new_ids)


async def test_edit_facilitators_of_a_scheduled_group_refuses_a_clash_and_allows_the_free(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    keep, busy, free = await facilitators(staff, 3)
    group = await group_with(staff, status="scheduled", run_by=(keep, (await staff.create()).id))
    await make_session(group, 1, datetime(2027, 1, 11, 10, tzinfo=UTC))
    elsewhere = await group_with(staff, status="scheduled", run_by=(busy, keep), name="Other")
    other_session = await make_session(
        elsewhere, 1, datetime(2027, 1, 11, 11, tzinfo=UTC), book_room=False
    )
    url = f"{GROUPS}/{group.id}"

    clash = await client.patch(
        url, json={"facilitator_ids": [keep, busy]}, headers={**admin.headers, "If-Match": '"v1"'}
    )
    changed = await client.patch(
        url, json={"facilitator_ids": [keep, free]}, headers={**admin.headers, "If-Match": '"v1"'}
    )

    assert clash.json() == problem(
        "facilitator-clash",
        "A facilitator is busy at that time",
        409,
        "A new co-facilitator already runs another group's session at one of this "
        "group's session times.",
        field="facilitator_ids",
        clashes=[
            {
                "staff_id": busy,
                "group_id": str(elsewhere.id),
                "group_name": "Other",
                "session_id": str(other_session.id),
                "starts_at": "2027-01-11T11:00:00+00:00",
                "ends_at": "2027-01-11T12:30:00+00:00",
            }
        ],
    )
    assert changed.status_code == 200, changed.text
    detail = (await client.get(url, headers=admin.headers)).json()
    assert sorted(f["id"] for f in detail["facilitators"]) == sorted([keep, free])


async def test_list_groups_filters_pages_and_limits_facilitators_to_their_own(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    mine = await staff.signed_in(Role.FACILITATOR)
    other = (await staff.create(Role.FACILITATOR)).id
    course = await make_course()
    groups = [
        await group_with(
            staff,
            run_by=(mine.user.id, other) if n % 2 == 0 else (),
            course=course if n < 3 else None,
            first_session_date=date(2027, 1, 4) + timedelta(days=7 * n),
        )
        for n in range(5)
    ]

    everything = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 2}
        if cursor:
            params["cursor"] = cursor
        page = (await client.get(GROUPS, params=params, headers=admin.headers)).json()
        everything += [g["id"] for g in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    by_course = await client.get(
        GROUPS, params={"course_id": str(course.id)}, headers=admin.headers
    )
    from_date = await client.get(
        GROUPS, params={"starting_from": "2027-01-18"}, headers=admin.headers
    )
    own = await client.get(GROUPS, headers=mine.headers)

    assert everything == [str(g.id) for g in groups]
    assert [g["id"] for g in by_course.json()["items"]] == [str(g.id) for g in groups[:3]]
    assert [g["id"] for g in from_date.json()["items"]] == [str(g.id) for g in groups[2:]]
    assert [g["id"] for g in own.json()["items"]] == [str(groups[n].id) for n in (0, 2, 4)]


async def test_group_detail_shows_facilitators_sessions_counts_and_places(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    group = await group_with(staff, capacity=4)
    await make_session(group, 1, datetime(2027, 1, 11, 10, tzinfo=UTC))
    now = datetime.now(UTC)
    await make_enrolment(group, status="active")
    await make_enrolment(group, status="invited", invitation_expires_at=now + timedelta(days=3))
    await make_enrolment(group, status="invited", invitation_expires_at=now - timedelta(days=1))
    await make_enrolment(group, status="waitlisted", waitlisted_at=now)
    await make_enrolment(group, status="declined")

    body = (await client.get(f"{GROUPS}/{group.id}", headers=admin.headers)).json()

    assert len(body["facilitators"]) == 2
    assert [(s["number"], s["title"], s["status"]) for s in body["sessions"]] == [
        (1, "Session 1", "scheduled")
    ]
    assert {k: v for k, v in body["enrolment_counts"].items() if v} == {
        "active": 1,
        "invited": 1,
        "expired": 1,
        "waitlisted": 1,
        "declined": 1,
    }
    assert (body["places_held"], body["places_free"], body["waiting_list_length"]) == (2, 2, 1)


async def _detail_queries(
    staff: StaffFactory,
    client: httpx.AsyncClient,
    monkeypatch: pytest.MonkeyPatch,
    admin: Any,
    sessions: int,
    patients: int,
) -> int:
    group = await group_with(staff, capacity=30, room=await make_room(capacity=30))
    for number in range(1, sessions + 1):
        await make_session(
            group, number, datetime(2027, 1, 4, 10, tzinfo=UTC) + timedelta(weeks=number)
        )
    for _ in range(patients):
        await make_enrolment(group, await make_patient(), status="opted_in")
    with count_queries(monkeypatch) as queries:
        response = await client.get(f"{GROUPS}/{group.id}", headers=admin.headers)
    assert response.status_code == 200
    assert len(response.json()["sessions"]) == sessions
    return queries.count


async def test_group_detail_query_count_does_not_grow_with_sessions_or_patients(
    staff: StaffFactory, client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    admin = await staff.signed_in(Role.ADMIN)

    small = await _detail_queries(staff, client, monkeypatch, admin, 1, 1)
    large = await _detail_queries(staff, client, monkeypatch, admin, 8, 40)

    assert small == large


async def test_group_detail_for_another_facilitators_group_is_403(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    mine = await staff.signed_in(Role.FACILITATOR)
    supervisor = await staff.signed_in(Role.SUPERVISOR)
    group = await group_with(staff)

    theirs = await client.get(f"{GROUPS}/{group.id}", headers=mine.headers)
    supervised = await client.get(f"{GROUPS}/{group.id}", headers=supervisor.headers)
    missing = await client.get(f"{GROUPS}/{group.venue}", headers=supervisor.headers)

    assert theirs.json() == problem(
        "forbidden", "Not allowed", 403, "You do not facilitate this group."
    )
    assert supervised.status_code == 200
    assert missing.status_code == 404
