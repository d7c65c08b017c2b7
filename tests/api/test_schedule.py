"""Scheduling a group through HTTP: the preview (nothing written) and the all-or-nothing commit."""

import asyncio
from collections import Counter
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import httpx
import pytest

from api.core.actor import Role
from api.identity.tables import AuditEntry
from groups.tables import Group, GroupSession
from scheduling.tables import Closure, OpeningHours, RoomBooking
from tests.booking_requests import PROBLEM, book, problem
from tests.factories import SignedIn, StaffFactory
from tests.group_factories import SIX_SESSION_PLAN, make_course, make_group, make_session
from tests.query_count import count_queries
from tests.scheduling_factories import make_closure, make_room, make_venue

EXPECTED_PREVIEW_QUERIES = 10


def preview_url(group: Group) -> str:
    """The group's schedule preview."""
    return f"/api/v1/groups/{group.id}/schedule/preview"


def commit_url(group: Group) -> str:
    """The group's schedule commit."""
    return f"/api/v1/groups/{group.id}/schedule"


async def commit(
    client: httpx.AsyncClient, who: SignedIn, group: Group, version: int = 1
) -> httpx.Response:
    """POST the schedule with If-Match on the group's version."""
    return await client.post(
        commit_url(group), headers={**who.headers, "If-Match": f'"v{version}"'}
    )


def _utc(value: datetime) -> str:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def proposed(number: int, day: date, start: str, end: str, utc_start: datetime) -> dict[str, Any]:
    """One proposed 90-minute session as the preview shows it."""
    return {
        "number": number,
        "title": f"Session {number}",
        "local_date": day.isoformat(),
        "local_start": start,
        "local_end": end,
        "starts_at": _utc(utc_start),
        "ends_at": _utc(utc_start + timedelta(minutes=90)),
    }


async def _counts() -> tuple[int, int, int]:
    return (
        await GroupSession.count(),
        await RoomBooking.count(),
        await AuditEntry.count(),
    )


# -- preview -----------------------------------------------------------------------------------


async def test_preview_lists_six_weekly_sessions_and_writes_nothing(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    group = await make_group()  # Mondays 10:00 from 11 January 2027, six sessions
    before = await _counts()

    response = await client.post(preview_url(group), headers=admin.headers)

    assert response.status_code == 200, response.text
    monday = date(2027, 1, 11)
    assert response.json() == {
        "group_id": str(group.id),
        "group_version": 1,
        "time_zone": "Europe/London",
        "sessions": [
            proposed(
                n + 1,
                monday + timedelta(weeks=n),
                "10:00:00",
                "11:30:00",
                datetime.combine(monday + timedelta(weeks=n), time(10, 0), tzinfo=UTC),
            )
            for n in range(6)
        ],
        "skipped": [],
        "problems": [],
    }
    assert await _counts() == before
    assert (await Group.select(Group.status).first()) == {"status": "draft"}


async def test_preview_accepts_an_empty_json_body(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    group = await make_group()

    response = await client.post(preview_url(group), json={}, headers=admin.headers)

    assert response.status_code == 200
    assert len(response.json()["sessions"]) == 6


async def test_preview_on_mondays_at_six_keeps_local_time_across_the_march_change(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    # Clocks go forward on Sunday 28 March 2027; Monday 29 March is Easter Monday.
    group = await make_group(first_session_date=date(2027, 3, 15), start_time=time(18, 0))

    body = (await client.post(preview_url(group), headers=admin.headers)).json()

    assert [(s["local_date"], s["local_start"], s["starts_at"]) for s in body["sessions"]] == [
        ("2027-03-15", "18:00:00", "2027-03-15T18:00:00Z"),
        ("2027-03-22", "18:00:00", "2027-03-22T18:00:00Z"),
        ("2027-04-05", "18:00:00", "2027-04-05T17:00:00Z"),
        ("2027-04-12", "18:00:00", "2027-04-12T17:00:00Z"),
        ("2027-04-19", "18:00:00", "2027-04-19T17:00:00Z"),
        ("2027-04-26", "18:00:00", "2027-04-26T17:00:00Z"),
    ]
    assert body["skipped"] == [
        {"local_date": "2027-03-29", "kind": "bank_holiday", "reason": "Easter Monday"}
    ]


async def test_preview_on_mondays_at_six_keeps_local_time_across_the_october_change(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    # Clocks go back on Sunday 31 October 2027.
    group = await make_group(first_session_date=date(2027, 10, 18), start_time=time(18, 0))

    body = (await client.post(preview_url(group), headers=admin.headers)).json()

    assert [(s["local_start"], s["starts_at"]) for s in body["sessions"]] == [
        ("18:00:00", "2027-10-18T17:00:00Z"),
        ("18:00:00", "2027-10-25T17:00:00Z"),
        ("18:00:00", "2027-11-01T18:00:00Z"),
        ("18:00:00", "2027-11-08T18:00:00Z"),
        ("18:00:00", "2027-11-15T18:00:00Z"),
        ("18:00:00", "2027-11-22T18:00:00Z"),
    ]
    assert body["skipped"] == []


async def test_preview_skips_the_may_bank_holiday_and_a_closure_moving_the_rest_on(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    venue = await make_venue()
    await make_closure(venue, date(2027, 5, 17), date(2027, 5, 23), "Polling station")
    group = await make_group(room=await make_room(venue), first_session_date=date(2027, 4, 26))

    body = (await client.post(preview_url(group), headers=admin.headers)).json()

    assert [s["local_date"] for s in body["sessions"]] == [
        "2027-04-26",
        "2027-05-10",
        "2027-05-24",
        "2027-06-07",
        "2027-06-14",
        "2027-06-21",
    ]
    assert body["skipped"] == [
        {"local_date": "2027-05-03", "kind": "bank_holiday", "reason": "May Day"},
        {"local_date": "2027-05-17", "kind": "closure", "reason": "Polling station"},
        {"local_date": "2027-05-31", "kind": "bank_holiday", "reason": "Spring Bank Holiday"},
    ]
    assert body["problems"] == []


async def test_preview_when_the_venue_opens_on_bank_holidays_meets_on_them(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    venue = await make_venue(opens_on_bank_holidays=True)
    group = await make_group(room=await make_room(venue), first_session_date=date(2027, 4, 26))

    body = (await client.post(preview_url(group), headers=admin.headers)).json()

    assert body["sessions"][1]["local_date"] == "2027-05-03"
    assert body["skipped"] == []


async def test_preview_reports_every_room_hours_and_facilitator_problem(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    alice = await staff.create(Role.FACILITATOR)
    bob = await staff.create(Role.FACILITATOR)
    venue = await make_venue(open_until=time(21, 0))
    # Wednesdays the venue closes at 11:00, so a 10:00-11:30 session is outside its hours.
    await OpeningHours.update({OpeningHours.closes_at: time(11, 0)}).where(
        (OpeningHours.venue == venue.id) & (OpeningHours.weekday == 2)
    )
    room = await make_room(venue)
    held = [
        (await book(client, admin, room, f"{day}T09:00", f"{day}T10:30")).json()
        for day in ("2027-01-18", "2027-02-08")
    ]
    elsewhere = await make_group(facilitators=(alice.id,), name="Evening group")
    busy = await make_session(
        elsewhere, 1, datetime(2027, 2, 1, 11, 0, tzinfo=UTC), book_room=False
    )
    group = await make_group(room=room, facilitators=(alice.id, bob.id))
    wednesday = await make_group(room=room, first_session_date=date(2027, 1, 13))

    body = (await client.post(preview_url(group), headers=admin.headers)).json()
    hours = (await client.post(preview_url(wednesday), headers=admin.headers)).json()

    assert body["problems"] == [
        {
            "kind": "room_clash",
            "session_number": 2,
            "local_date": "2027-01-18",
            "detail": f"The room is already booked then (booking {held[0]['id']}).",
            "clashing_booking_id": held[0]["id"],
            "clashing_starts_at": "2027-01-18T09:00:00Z",
            "clashing_ends_at": "2027-01-18T10:30:00Z",
            "staff_id": None,
            "staff_name": None,
            "clashing_group_id": None,
            "clashing_group_name": None,
            "clashing_session_id": None,
        },
        {
            "kind": "facilitator_clash",
            "session_number": 4,
            "local_date": "2027-02-01",
            "detail": "Test Staff already runs a session of Evening group then "
            f"(session {busy.id}).",
            "clashing_booking_id": None,
            "clashing_starts_at": "2027-02-01T11:00:00Z",
            "clashing_ends_at": "2027-02-01T12:30:00Z",
            "staff_id": str(alice.id),
            "staff_name": "Test Staff",
            "clashing_group_id": str(elsewhere.id),
            "clashing_group_name": "Evening group",
            "clashing_session_id": str(busy.id),
        },
        {
            "kind": "room_clash",
            "session_number": 5,
            "local_date": "2027-02-08",
            "detail": f"The room is already booked then (booking {held[1]['id']}).",
            "clashing_booking_id": held[1]["id"],
            "clashing_starts_at": "2027-02-08T09:00:00Z",
            "clashing_ends_at": "2027-02-08T10:30:00Z",
            "staff_id": None,
            "staff_name": None,
            "clashing_group_id": None,
            "clashing_group_name": None,
            "clashing_session_id": None,
        },
    ]
    assert [(p["kind"], p["session_number"]) for p in hours["problems"]] == [
        ("outside_opening_hours", n) for n in range(1, 7)
    ]
    assert hours["problems"][0]["detail"] == (
        f"{venue.name} opens 08:00-11:00 on Wednesdays; session 1 is 10:00-11:30."
    )


async def test_preview_when_the_start_time_does_not_exist_is_409_naming_the_field(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    venue = await make_venue(open_from=time(0, 0), open_until=time(23, 59))
    # Sundays 01:30 from 21 March 2027: 28 March 01:30 does not exist in London.
    group = await make_group(
        room=await make_room(venue), first_session_date=date(2027, 3, 21), start_time=time(1, 30)
    )

    response = await client.post(preview_url(group), headers=admin.headers)

    assert response.status_code == 409
    assert response.headers["content-type"] == PROBLEM
    assert response.json() == problem(
        "schedule-impossible",
        "The group's sessions cannot be dated",
        409,
        "The group's sessions cannot be dated: session 2: 2027-03-28 01:30 does not exist "
        "in Europe/London (the clocks go forward).",
        field="start_time",
    )


async def test_preview_by_a_facilitator_is_403_and_of_no_group_404(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    facilitator = await staff.signed_in(Role.FACILITATOR)
    group = await make_group(facilitators=(facilitator.user.id,))

    refused = await client.post(preview_url(group), headers=facilitator.headers)
    missing = await client.post(
        "/api/v1/groups/00000000-0000-4000-8000-000000000000/schedule/preview",
        headers=admin.headers,
    )

    assert refused.status_code == 403
    assert missing.status_code == 404


# -- commit ------------------------------------------------------------------------------------


async def test_commit_books_every_session_and_schedules_the_group(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    group = await make_group()

    response = await commit(client, admin, group)

    assert response.status_code == 201, response.text
    assert response.headers["ETag"] == '"v2"'
    body = response.json()
    assert (body["group_id"], body["status"], body["version"], body["skipped"]) == (
        str(group.id),
        "scheduled",
        2,
        [],
    )
    sessions = body["sessions"]
    assert [(s["number"], s["local_date"], s["status"], s["sequence"]) for s in sessions] == [
        (n + 1, (date(2027, 1, 11) + timedelta(weeks=n)).isoformat(), "scheduled", 0)
        for n in range(6)
    ]
    bookings = await RoomBooking.select(
        RoomBooking.id,
        RoomBooking.room,
        RoomBooking.starts_at,
        RoomBooking.status,
        RoomBooking.subject_kind,
        RoomBooking.subject_id,
    ).order_by(RoomBooking.starts_at)
    assert [
        (
            str(b["id"]),
            b["room"],
            _utc(b["starts_at"]),
            b["status"],
            b["subject_kind"],
            b["subject_id"],
        )
        for b in bookings
    ] == [
        (s["booking_id"], group.room, s["starts_at"], "confirmed", "group_session", s["id"])
        for s in sessions
    ]
    assert await Group.select(Group.status, Group.version).first() == {
        "status": "scheduled",
        "version": 2,
    }
    actions = Counter(
        row["action"]
        for row in await AuditEntry.select(AuditEntry.action).where(
            AuditEntry.actor == admin.user.id
        )
    )
    assert {k: v for k, v in actions.items() if k != "auth.login"} == {
        "room_booking.create": 6,
        "group_session.create": 6,
        "group.schedule": 1,
    }


async def test_commit_with_clashes_refuses_everything_and_lists_every_date(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    alice = await staff.create(Role.FACILITATOR)
    room = await make_room()
    held = (await book(client, admin, room, "2027-01-18T10:00", "2027-01-18T11:00")).json()
    await book(client, admin, room, "2027-02-15T11:00", "2027-02-15T12:00")
    elsewhere = await make_group(facilitators=(alice.id,))
    await make_session(elsewhere, 1, datetime(2027, 2, 1, 9, 0, tzinfo=UTC), book_room=False)
    group = await make_group(room=room, facilitators=(alice.id,))
    before = await _counts()

    response = await commit(client, admin, group)

    assert response.status_code == 409
    assert response.headers["content-type"] == PROBLEM
    body = response.json()
    assert {k: body[k] for k in ("type", "title", "status", "detail")} == {
        "type": "https://stepwise.example/problems/schedule-clash",
        "title": "The sessions clash with bookings, opening hours or facilitators",
        "status": 409,
        "detail": "The schedule has 3 problem(s) on 2027-01-18, 2027-02-01, 2027-02-15: "
        "nothing was booked.",
    }
    assert [(c["kind"], c["local_date"]) for c in body["clashes"]] == [
        ("room_clash", "2027-01-18"),
        ("facilitator_clash", "2027-02-01"),
        ("room_clash", "2027-02-15"),
    ]
    assert body["clashes"][0]["clashing_booking_id"] == held["id"]
    assert await _counts() == before
    assert await Group.select(Group.status, Group.version).where(Group.id == group.id).first() == {
        "status": "draft",
        "version": 1,
    }


async def test_commit_or_preview_of_a_group_already_scheduled_is_409(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    group = await make_group()
    assert (await commit(client, admin, group)).status_code == 201

    again = await commit(client, admin, group, version=2)

    preview = await client.post(preview_url(group), headers=admin.headers)
    assert again.status_code == preview.status_code == 409
    assert preview.json() == again.json()
    assert again.json() == problem(
        "group-not-draft",
        "The group is not a draft",
        409,
        "The group is scheduled: only a draft group can be scheduled.",
        group_status="scheduled",
    )
    assert await GroupSession.count() == 6


async def test_commit_without_if_match_is_428_and_with_a_stale_one_412(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    group = await make_group()

    missing = await client.post(commit_url(group), headers=admin.headers)
    stale = await commit(client, admin, group, version=7)

    assert (missing.status_code, stale.status_code) == (428, 412)
    assert await GroupSession.count() == 0


async def test_commit_by_a_facilitator_or_supervisor_is_403(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    facilitator = await staff.signed_in(Role.FACILITATOR)
    supervisor = await staff.signed_in(Role.SUPERVISOR)
    group = await make_group(facilitators=(facilitator.user.id,))

    assert (await commit(client, facilitator, group)).status_code == 403
    assert (await commit(client, supervisor, group)).status_code == 403
    assert await GroupSession.count() == 0


async def test_two_concurrent_commits_in_one_room_and_slot_one_wins_nothing_of_the_other_remains(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    room = await make_room()
    first = await make_group(room=room)
    second = await make_group(room=room)

    responses = await asyncio.gather(commit(client, admin, first), commit(client, admin, second))

    assert sorted(r.status_code for r in responses) == [201, 409]
    winner, loser = (first, second) if responses[0].status_code == 201 else (second, first)
    lost = responses[1] if winner is first else responses[0]
    assert [c["kind"] for c in lost.json()["clashes"]] == ["room_clash"] * 6
    assert await GroupSession.count().where(GroupSession.group == loser.id) == 0
    assert await GroupSession.count().where(GroupSession.group == winner.id) == 6
    assert await RoomBooking.count() == 6
    assert (await Group.select(Group.status).where(Group.id == loser.id).first()) == {
        "status": "draft"
    }


async def test_commit_skips_a_closure_added_after_the_group_was_made(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    venue = await make_venue()
    group = await make_group(room=await make_room(venue))
    await Closure.insert(
        Closure(
            venue=venue.id,
            start_date=date(2027, 1, 25),
            end_date=date(2027, 1, 25),
            reason="Staff training",
        )
    )

    body = (await commit(client, admin, group)).json()

    assert body["skipped"] == [
        {"local_date": "2027-01-25", "kind": "closure", "reason": "Staff training"}
    ]
    assert body["sessions"][-1]["local_date"] == "2027-02-22"


@pytest.mark.parametrize("sessions", [1, 12])
async def test_preview_costs_the_same_queries_whatever_the_number_of_sessions(
    staff: StaffFactory,
    client: httpx.AsyncClient,
    monkeypatch: pytest.MonkeyPatch,
    sessions: int,
) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    alice = await staff.create(Role.FACILITATOR)
    plan = [{**SIX_SESSION_PLAN[0], "title": f"Session {n}"} for n in range(1, sessions + 1)]
    group = await make_group(course=await make_course(session_plan=plan), facilitators=(alice.id,))

    with count_queries(monkeypatch) as queries:
        response = await client.post(preview_url(group), headers=admin.headers)

    assert len(response.json()["sessions"]) == sessions
    # Sign-in check, group access, the group and its facilitators, the room, the venue,
    # its closures and hours, the room's bookings, the facilitators' sessions.
    assert queries.count == EXPECTED_PREVIEW_QUERIES


async def test_preview_uses_each_planned_length_unless_the_group_sets_its_own(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    plan = [{**SIX_SESSION_PLAN[0], "duration_minutes": 120}, *SIX_SESSION_PLAN[1:3]]
    course = await make_course(session_plan=plan)
    planned = await make_group(course=course)
    own_length = await make_group(course=course, session_minutes=60)

    by_plan = (await client.post(preview_url(planned), headers=admin.headers)).json()
    by_group = (await client.post(preview_url(own_length), headers=admin.headers)).json()

    assert [s["local_end"] for s in by_plan["sessions"]] == ["12:00:00", "11:30:00", "11:30:00"]
    assert [s["local_end"] for s in by_group["sessions"]] == ["11:00:00"] * 3


async def test_schedule_in_an_archived_room_or_venue_is_refused_naming_it(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    venue = await make_venue(name="Old Hall", is_archived=True)
    room = await make_room(venue, name="Back Room", is_archived=True)
    group = await make_group(room=room)

    preview = (await client.post(preview_url(group), headers=admin.headers)).json()
    response = await commit(client, admin, group)

    assert preview["problems"][:2] == [
        {
            "kind": "venue_archived",
            "session_number": None,
            "local_date": None,
            "detail": "Old Hall is archived and takes no bookings.",
            "clashing_booking_id": None,
            "clashing_starts_at": None,
            "clashing_ends_at": None,
            "staff_id": None,
            "staff_name": None,
            "clashing_group_id": None,
            "clashing_group_name": None,
            "clashing_session_id": None,
        },
        {
            "kind": "room_archived",
            "session_number": None,
            "local_date": None,
            "detail": "Back Room is archived and takes no bookings.",
            "clashing_booking_id": None,
            "clashing_starts_at": None,
            "clashing_ends_at": None,
            "staff_id": None,
            "staff_name": None,
            "clashing_group_id": None,
            "clashing_group_name": None,
            "clashing_session_id": None,
        },
    ]
    assert response.status_code == 409
    assert response.json()["detail"] == "The schedule has 2 problem(s): nothing was booked."
    assert await GroupSession.count() == 0
