"""Calendar feeds fetched by their secret URL, parsed back with icalendar: local times
across the clock changes, stable UIDs, SEQUENCE and STATUS, what each feed shows and never
shows, the window, the query count, the 404s and the access log.
"""

import io
import json
import logging
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from api.core.actor import Actor, Role
from api.core.logging import configure_logging
from api.core.settings import Settings, get_settings
from api.identity.tables import StaffUser
from api.web.app import create_app
from groups import session_services
from groups.schemas.sessions import CancelRequest, SessionMove
from groups.tables import Course, Group, GroupSession
from scheduling.tables import Room, RoomBooking, Venue
from tests.api.test_calendar_feeds import (
    FEED_NOW,
    NO_FEED,
    PROBLEM_JSON,
    events,
    fetch,
    make_feed,
    parse,
)
from tests.factories import SignedIn, StaffFactory
from tests.group_factories import (
    make_course,
    make_enrolment,
    make_group,
    make_patient,
    make_session,
)
from tests.query_count import count_queries
from tests.scheduling_factories import make_room, make_venue

LONDON = ZoneInfo("Europe/London")
ACCESS = "Key safe by the side door, code 4711"
CLINICAL_COURSE = "Beating Depression Together"
# Mondays at 18:00 local either side of the clocks going forward (Sunday 28 March 2027)
# and back (Sunday 31 October 2027).
MONDAYS = [date(2027, 3, 22), date(2027, 3, 29), date(2027, 10, 25), date(2027, 11, 1)]


def local(day: date, at: time = time(18, 0)) -> datetime:
    """The UTC instant of a wall-clock time in London."""
    return datetime.combine(day, at, tzinfo=LONDON).astimezone(UTC)


async def _venue() -> Venue:
    return await make_venue(
        name="Tavistock Library",
        address_line_1="Plymouth Road",
        town="Tavistock",
        postcode="PL19 8AB",
        access_instructions=ACCESS,
    )


async def _group_with_sessions(
    facilitator: SignedIn | None = None, *, days: list[date] = MONDAYS, **fields: Any
) -> tuple[Group, list[GroupSession]]:
    """A group of a clinically named course at the library, one session on each day."""
    found = await Course.select(Course.id).where(Course.name == CLINICAL_COURSE).first()
    course = (
        Course(id=found["id"], _exists_in_db=True)
        if found
        else await make_course(name=CLINICAL_COURSE, problems=["depression"])
    )
    room = await make_room(await _venue(), name="Drake Room")
    group = await make_group(
        course=course,
        room=room,
        facilitators=(facilitator.user.id,) if facilitator else (),
        name="Tavistock Tuesday Group",
        **fields,
    )
    sessions = [
        await make_session(group, number, local(day), title=f"Understanding low mood {number}")
        for number, day in enumerate(days, start=1)
    ]
    return group, sessions


# -- the answer ---------------------------------------------------------------------------


async def test_facilitator_feed_reads_18_00_local_across_both_clock_changes(
    staff: StaffFactory, client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    facilitator = await staff.signed_in(Role.FACILITATOR)
    _, sessions = await _group_with_sessions(facilitator)
    feed = await make_feed(client, facilitator, "facilitator", facilitator.user.id)

    response = await fetch(client, monkeypatch, feed["url_path"])

    calendar = parse(response)
    assert response.headers["cache-control"] == "private, max-age=300"
    assert response.headers["etag"].startswith('"')
    (timezone,) = calendar.walk("VTIMEZONE")
    assert str(timezone["TZID"]) == "Europe/London"
    found = events(calendar)
    assert list(found) == [f"session-{session.id}@stepwise" for session in sessions]
    starts = [event.decoded("DTSTART") for event in found.values()]
    ends = [event.decoded("DTEND") for event in found.values()]
    assert [start.tzinfo.key for start in starts] == ["Europe/London"] * 4
    assert [(start.date(), start.time()) for start in starts] == [
        (day, time(18, 0)) for day in MONDAYS
    ]
    assert [end.time() for end in ends] == [time(19, 30)] * 4
    assert [start.astimezone(UTC).hour for start in starts] == [18, 17, 17, 18]
    assert [event["DTSTART"].params["TZID"] for event in found.values()] == ["Europe/London"] * 4


async def test_facilitator_feed_carries_staff_details_and_only_their_groups(
    staff: StaffFactory, client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    facilitator = await staff.signed_in(Role.FACILITATOR)
    other = await staff.create(Role.FACILITATOR)
    _, sessions = await _group_with_sessions(facilitator, days=MONDAYS[:1])
    others_group = await make_group(facilitators=(other.id,))
    await make_session(others_group, 1, local(MONDAYS[0], time(10, 0)))
    feed = await make_feed(client, facilitator, "facilitator", facilitator.user.id)

    calendar = parse(await fetch(client, monkeypatch, feed["url_path"]))

    (event,) = calendar.walk("VEVENT")
    assert str(event["UID"]) == f"session-{sessions[0].id}@stepwise"
    assert str(event["SUMMARY"]) == "Tavistock Tuesday Group: session 1"
    assert str(event["LOCATION"]) == "Tavistock Library, Plymouth Road, Tavistock, PL19 8AB"
    assert str(event["DESCRIPTION"]) == (
        f"Course: {CLINICAL_COURSE}\n"
        "Group: Tavistock Tuesday Group\n"
        "Session 1: Understanding low mood 1\n"
        "Room: Drake Room\n"
        f"Access: {ACCESS}"
    )
    assert (str(event["STATUS"]), int(event["SEQUENCE"])) == ("CONFIRMED", 0)
    assert str(calendar["X-WR-CALNAME"]) == "Stepwise: my group sessions"


async def test_uids_and_body_stable_across_fetches_and_if_none_match_answers_304(
    staff: StaffFactory, client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    facilitator = await staff.signed_in(Role.FACILITATOR)
    await _group_with_sessions(facilitator)
    feed = await make_feed(client, facilitator, "facilitator", facilitator.user.id)

    first = await fetch(client, monkeypatch, feed["url_path"])
    second = await fetch(client, monkeypatch, feed["url_path"], at=FEED_NOW + timedelta(hours=1))
    unchanged = await fetch(
        client, monkeypatch, feed["url_path"], **{"If-None-Match": first.headers["etag"]}
    )
    listed = f'"x", W/{first.headers["etag"]}'
    among_others = await fetch(client, monkeypatch, feed["url_path"], **{"If-None-Match": listed})
    star = await fetch(client, monkeypatch, feed["url_path"], **{"If-None-Match": "*"})
    stale = await fetch(client, monkeypatch, feed["url_path"], **{"If-None-Match": '"stale"'})

    assert list(events(parse(first))) == list(events(parse(second)))
    assert first.content == second.content
    assert first.headers["etag"] == second.headers["etag"]
    assert (unchanged.status_code, unchanged.content) == (304, b"")
    assert unchanged.headers["etag"] == first.headers["etag"]
    assert unchanged.headers["cache-control"] == "private, max-age=300"
    assert (among_others.status_code, star.status_code) == (304, 304)
    assert (stale.status_code, stale.content) == (200, first.content)


async def test_a_changed_session_raises_sequence_and_a_cancelled_one_stays_as_cancelled(
    staff: StaffFactory, client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    facilitator = await staff.signed_in(Role.FACILITATOR)
    _, sessions = await _group_with_sessions(facilitator)
    feed = await make_feed(client, facilitator, "facilitator", facilitator.user.id)
    before = await fetch(client, monkeypatch, feed["url_path"])
    moved, cancelled = sessions[1], sessions[2]
    later = datetime(2026, 12, 1, tzinfo=UTC)
    await GroupSession.update(
        {
            GroupSession.starts_at: local(MONDAYS[1], time(19, 0)),
            GroupSession.ends_at: local(MONDAYS[1], time(20, 30)),
            GroupSession.sequence: 1,
            GroupSession.updated_at: later,
        }
    ).where(GroupSession.id == moved.id)
    await GroupSession.update(
        {GroupSession.status: "cancelled", GroupSession.sequence: 1, GroupSession.updated_at: later}
    ).where(GroupSession.id == cancelled.id)

    after = await fetch(client, monkeypatch, feed["url_path"])

    assert after.headers["etag"] != before.headers["etag"]
    found = events(parse(after))
    assert list(found) == list(events(parse(before)))
    summary = {
        uid: (int(event["SEQUENCE"]), str(event["STATUS"]), event.decoded("DTSTART").time())
        for uid, event in found.items()
    }
    assert list(summary.values()) == [
        (0, "CONFIRMED", time(18, 0)),
        (1, "CONFIRMED", time(19, 0)),
        (1, "CANCELLED", time(18, 0)),
        (0, "CONFIRMED", time(18, 0)),
    ]
    cancelled_event = found[f"session-{cancelled.id}@stepwise"]
    assert str(cancelled_event["SUMMARY"]) == "Cancelled: Tavistock Tuesday Group: session 3"
    assert cancelled_event.decoded("DTSTAMP") == later


async def test_moves_and_cancels_through_the_session_calendar_show_in_staff_and_venue_feeds(
    staff: StaffFactory, client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    facilitator = await staff.signed_in(Role.FACILITATOR)
    group, sessions = await _group_with_sessions(facilitator)
    mine = await make_feed(client, facilitator, "facilitator", facilitator.user.id)
    venue = await make_feed(client, admin, "venue", group.venue)
    before = events(parse(await fetch(client, monkeypatch, venue["url_path"])))
    by = Actor.system()

    await session_services.move_session(
        sessions[0].id,  # the 29th is Easter Monday: the library is shut
        SessionMove(starts_at=datetime(2027, 3, 22, 19, 0)),  # noqa: DTZ001 - wall clock
        expected_version=1,
        by=by,
        now=FEED_NOW,
    )
    await session_services.cancel_session(
        sessions[2].id,
        CancelRequest(reason="Venue flooded"),
        expected_version=1,
        by=by,
        now=FEED_NOW,
    )

    staff_view = events(parse(await fetch(client, monkeypatch, mine["url_path"])))
    venue_view = events(parse(await fetch(client, monkeypatch, venue["url_path"])))
    assert [
        (int(event["SEQUENCE"]), str(event["STATUS"]), event.decoded("DTSTART").time())
        for event in staff_view.values()
    ] == [
        (1, "CONFIRMED", time(19, 0)),
        (0, "CONFIRMED", time(18, 0)),
        (1, "CANCELLED", time(18, 0)),
        (0, "CONFIRMED", time(18, 0)),
    ]
    assert list(venue_view) == list(before)  # the same bookings, moved or cancelled in place
    assert [
        (int(event["SEQUENCE"]), str(event["STATUS"]), event.decoded("DTSTART").time())
        for event in venue_view.values()
    ] == [
        (1, "CONFIRMED", time(19, 0)),
        (0, "CONFIRMED", time(18, 0)),
        (1, "CANCELLED", time(18, 0)),
        (0, "CONFIRMED", time(18, 0)),
    ]


async def test_sessions_of_a_cancelled_group_are_cancelled(
    staff: StaffFactory, client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    facilitator = await staff.signed_in(Role.FACILITATOR)
    await _group_with_sessions(facilitator, status="cancelled")
    feed = await make_feed(client, facilitator, "facilitator", facilitator.user.id)

    found = events(parse(await fetch(client, monkeypatch, feed["url_path"])))

    assert [str(event["STATUS"]) for event in found.values()] == ["CANCELLED"] * 4


async def test_feed_shows_sixty_days_back_to_four_hundred_ahead(
    staff: StaffFactory, client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    facilitator = await staff.signed_in(Role.FACILITATOR)
    group = await make_group(facilitators=(facilitator.user.id,))
    today = FEED_NOW.date()
    offsets = [-70, -59, 0, 399, 405]
    sessions = {
        offset: await make_session(group, number, local(today + timedelta(days=offset)))
        for number, offset in enumerate(offsets, start=1)
    }
    feed = await make_feed(client, facilitator, "facilitator", facilitator.user.id)

    found = events(parse(await fetch(client, monkeypatch, feed["url_path"])))

    assert list(found) == [f"session-{sessions[offset].id}@stepwise" for offset in (-59, 0, 399)]


# -- who the feed is for --------------------------------------------------------------------


async def test_patient_feed_is_neutral_and_never_names_course_problem_or_access(
    staff: StaffFactory, client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    group, sessions = await _group_with_sessions()
    patient = await make_patient()
    await make_enrolment(group, patient)
    feed = await make_feed(client, admin, "patient", patient.id)

    response = await fetch(client, monkeypatch, feed["url_path"])

    found = events(parse(response))
    assert list(found) == [f"session-{session.id}@stepwise" for session in sessions]
    assert [str(event["SUMMARY"]) for event in found.values()] == [
        f"Group session {number}" for number in range(1, 5)
    ]
    assert {str(event["LOCATION"]) for event in found.values()} == {
        "Tavistock Library, Plymouth Road, Tavistock, PL19 8AB"
    }
    assert all("DESCRIPTION" not in event for event in found.values())
    text = response.text.lower()
    for secret in (CLINICAL_COURSE, "depression", "low mood", "Tuesday Group", ACCESS, "4711"):
        assert secret.lower() not in text
    for personal in (patient.given_name, patient.family_name, patient.mobile_phone):
        assert personal.lower() not in text


async def test_patient_feed_names_the_course_where_the_service_opts_in(
    staff: StaffFactory, client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    group, _ = await _group_with_sessions(days=MONDAYS[:1])
    patient = await make_patient()
    await make_enrolment(group, patient)
    feed = await make_feed(client, admin, "patient", patient.id)
    monkeypatch.setattr(get_settings().groups, "show_course_name_to_patients", True)

    response = await fetch(client, monkeypatch, feed["url_path"])

    (event,) = parse(response).walk("VEVENT")
    assert str(event["SUMMARY"]) == f"{CLINICAL_COURSE}: session 1"
    assert ACCESS not in response.text


@pytest.mark.parametrize(
    ("status", "expires_in_days", "shown"),
    [
        ("active", None, True),
        ("opted_in", None, True),
        ("completed", None, True),
        ("invited", 3, True),
        ("invited", -1, False),  # expired, whether or not a job has moved it on
        ("waitlisted", None, False),
        ("declined", None, False),
        ("dropped_out", None, False),
    ],
)
async def test_patient_feed_shows_groups_where_they_hold_a_place_or_finished(
    staff: StaffFactory,
    client: httpx.AsyncClient,
    monkeypatch: pytest.MonkeyPatch,
    status: str,
    expires_in_days: int | None,
    shown: bool,
) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    group, sessions = await _group_with_sessions(days=MONDAYS[:1])
    patient = await make_patient()
    expires = None if expires_in_days is None else FEED_NOW + timedelta(days=expires_in_days)
    await make_enrolment(group, patient, status=status, invitation_expires_at=expires)
    feed = await make_feed(client, admin, "patient", patient.id)

    found = events(parse(await fetch(client, monkeypatch, feed["url_path"])))

    assert list(found) == ([f"session-{sessions[0].id}@stepwise"] if shown else [])


async def test_venue_feed_shows_its_rooms_bookings_with_status_and_sequence(
    staff: StaffFactory, client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    venue = await _venue()
    drake, tamar = await make_room(venue, name="Drake Room"), await make_room(venue, name="Tamar")
    elsewhere = await make_room()

    async def booking(room: Room, day: date, status: str, version: int = 1) -> RoomBooking:
        row = RoomBooking(
            room=room.id,
            starts_at=local(day, time(9, 30)),
            ends_at=local(day, time(11, 0)),
            purpose=f"{status} meeting",
            status=status,
            version=version,
        )
        await row.save()
        return row

    confirmed = await booking(drake, MONDAYS[0], "confirmed", version=3)
    provisional = await booking(tamar, MONDAYS[1], "provisional")
    cancelled = await booking(drake, MONDAYS[2], "cancelled", version=2)
    await booking(elsewhere, MONDAYS[0], "confirmed")
    feed = await make_feed(client, admin, "venue", venue.id)

    calendar = parse(await fetch(client, monkeypatch, feed["url_path"]))

    assert str(calendar["X-WR-CALNAME"]) == "Stepwise: Tavistock Library"
    assert {
        uid: (
            str(event["SUMMARY"]),
            str(event["STATUS"]),
            int(event["SEQUENCE"]),
            event.decoded("DTSTART").time(),
        )
        for uid, event in events(calendar).items()
    } == {
        f"booking-{confirmed.id}@stepwise": (
            "Drake Room: confirmed meeting",
            "CONFIRMED",
            2,
            time(9, 30),
        ),
        f"booking-{provisional.id}@stepwise": (
            "Tamar: provisional meeting",
            "TENTATIVE",
            0,
            time(9, 30),
        ),
        f"booking-{cancelled.id}@stepwise": (
            "Cancelled: Drake Room: cancelled meeting",
            "CANCELLED",
            1,
            time(9, 30),
        ),
    }
    assert {str(event["LOCATION"]) for event in calendar.walk("VEVENT")} == {
        "Tavistock Library, Plymouth Road, Tavistock, PL19 8AB"
    }


# -- refusals -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/feeds/" + "A" * 43 + ".ics",  # well formed, never issued
        "/feeds/" + "A" * 43,  # no .ics
        "/feeds/short.ics",
        "/feeds/" + "A" * 44 + ".ics",
        "/feeds/" + "A" * 42 + "!.ics",
        "/feeds/" + "A" * 5000 + ".ics",
        "/feeds/%00.ics",
    ],
)
async def test_unknown_or_malformed_token_is_the_same_404(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch, path: str
) -> None:
    response = await fetch(client, monkeypatch, path)

    assert (response.status_code, response.headers["content-type"], response.json()) == (
        404,
        PROBLEM_JSON,
        NO_FEED,
    )


async def test_a_live_token_with_anything_after_it_is_the_same_404(
    staff: StaffFactory, client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    facilitator = await staff.signed_in(Role.FACILITATOR)
    feed = await make_feed(client, facilitator, "facilitator", facilitator.user.id)
    live = feed["url_path"]
    swapped = "/feeds/" + live.removeprefix("/feeds/").removesuffix(".ics").swapcase() + ".ics"

    for path in (live + "%0A", live + "x", live.removesuffix(".ics"), swapped):
        response = await fetch(client, monkeypatch, path)
        assert (path, response.status_code, response.json()) == (path, 404, NO_FEED)


async def test_feed_of_a_deactivated_facilitator_is_gone(
    staff: StaffFactory, client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    facilitator = await staff.signed_in(Role.FACILITATOR)
    await _group_with_sessions(facilitator)
    feed = await make_feed(client, facilitator, "facilitator", facilitator.user.id)
    await StaffUser.update({StaffUser.is_active: False}).where(StaffUser.id == facilitator.user.id)

    response = await fetch(client, monkeypatch, feed["url_path"])

    assert (response.status_code, response.json()) == (404, NO_FEED)


async def test_a_staff_token_does_not_open_a_feed_and_a_feed_needs_none(
    staff: StaffFactory, client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    facilitator = await staff.signed_in(Role.FACILITATOR)
    feed = await make_feed(client, facilitator, "facilitator", facilitator.user.id)

    with_token = await fetch(
        client, monkeypatch, "/feeds/" + "B" * 43 + ".ics", **facilitator.headers
    )
    without = await fetch(client, monkeypatch, feed["url_path"])

    assert (with_token.status_code, with_token.json()) == (404, NO_FEED)
    assert without.status_code == 200


# -- cost -------------------------------------------------------------------------------------


async def test_feed_costs_three_queries_however_many_sessions(
    staff: StaffFactory, client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    small = await staff.signed_in(Role.FACILITATOR)
    large = await staff.signed_in(Role.FACILITATOR)
    await _group_with_sessions(small, days=MONDAYS[:1])
    for _ in range(3):
        await _group_with_sessions(large)
    one_feed = await make_feed(client, small, "facilitator", small.user.id)
    twelve_feed = await make_feed(client, large, "facilitator", large.user.id)

    with count_queries(monkeypatch) as for_one:
        one = await fetch(client, monkeypatch, one_feed["url_path"])
    with count_queries(monkeypatch) as for_twelve:
        twelve = await fetch(client, monkeypatch, twelve_feed["url_path"])

    assert (len(events(parse(one))), len(events(parse(twelve)))) == (1, 12)
    assert for_one.count == for_twelve.count == 3  # the feed, its owner, the sessions


async def test_patient_feed_costs_two_queries(
    staff: StaffFactory, client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    patient = await make_patient()
    for _ in range(3):
        group, _ = await _group_with_sessions()
        await make_enrolment(group, patient)
    feed = await make_feed(client, admin, "patient", patient.id)

    with count_queries(monkeypatch) as queries:
        response = await fetch(client, monkeypatch, feed["url_path"])

    assert len(events(parse(response))) == 12
    assert queries.count == 2  # the feed, then the sessions with their enrolments as a subquery


async def test_a_large_venue_feed_is_whole_and_a_second_fetch_is_the_same_document(
    staff: StaffFactory, client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    venue = await _venue()
    rooms = [await make_room(venue, name=f"Room {n}") for n in range(3)]
    first = local(FEED_NOW.date(), time(9, 0))
    await RoomBooking.insert(
        *(
            RoomBooking(
                room=rooms[n % 3].id,
                starts_at=first + timedelta(hours=n),
                ends_at=first + timedelta(hours=n, minutes=30),
                purpose="Drop-in",
                status="confirmed",
            )
            for n in range(300)
        )
    )
    feed = await make_feed(client, admin, "venue", venue.id)

    with count_queries(monkeypatch) as queries:
        response = await fetch(client, monkeypatch, feed["url_path"])
    again = await fetch(client, monkeypatch, feed["url_path"])

    assert len(events(parse(response))) == 300
    assert queries.count == 3  # the feed, the venue, its bookings
    assert (again.content, again.headers["etag"]) == (response.content, response.headers["etag"])


# -- the access log -------------------------------------------------------------------------


async def test_access_log_names_the_route_template_never_the_token(
    staff: StaffFactory, client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    facilitator = await staff.signed_in(Role.FACILITATOR)
    feed = await make_feed(client, facilitator, "facilitator", facilitator.user.id)
    token = feed["url_path"].removeprefix("/feeds/").removesuffix(".ics")
    monkeypatch.setenv("STEPWISE_ACCESS_LOG", "true")
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    try:
        app = create_app(Settings())
        configure_logging(level="INFO", json_lines=True)
        (handler,) = root.handlers
        assert isinstance(handler, logging.StreamHandler)
        stream = io.StringIO()
        handler.setStream(stream)
        transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50002))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            found = await fetch(http, monkeypatch, feed["url_path"])
            missing = await fetch(http, monkeypatch, "/feeds/" + "C" * 43 + ".ics")
    finally:
        root.handlers[:], level = saved
        root.setLevel(level)

    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    service = [line for line in lines if not line["logger"].startswith(("httpx", "httpcore"))]
    access = [line for line in service if line["logger"] == "stepwise.access"]
    assert (found.status_code, missing.status_code) == (200, 404)
    assert [(line["message"], line["route"]) for line in access] == [
        ("GET /feeds/{filename} 200", "/feeds/{filename}"),
        ("GET /feeds/{filename} 404", "/feeds/{filename}"),
    ]
    service_text = json.dumps(service)
    assert token not in service_text
    assert "C" * 43 not in service_text


# -- the public route's own access check ----------------------------------------------------


async def feed_route_admits_only_a_live_token(
    client: httpx.AsyncClient, path: str, staff: StaffFactory
) -> None:
    """For tests/api/test_routes_guarded.py's PUBLIC_ROUTE_CHECKS: no sign-in needed, but
    only an issued, unrevoked token opens a feed; everything else is the same 404."""
    admin = await staff.signed_in(Role.ADMIN)
    feed = await make_feed(client, admin, "venue", (await make_venue()).id)
    live = path.replace("{filename}", feed["url_path"].removeprefix("/feeds/"))
    never_issued = path.replace("{filename}", "D" * 43 + ".ics")

    opened = await client.get(live)
    refused = await client.get(never_issued)
    revoke = await client.delete(f"/api/v1/calendar-feeds/{feed['id']}", headers=admin.headers)
    revoked = await client.get(live)

    assert (opened.status_code, opened.headers["content-type"]) == (
        200,
        "text/calendar; charset=utf-8",
    )
    assert revoke.status_code == 204
    for response in (refused, revoked):
        assert (response.status_code, response.json()) == (404, NO_FEED)


async def test_feed_route_admits_only_a_live_token(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    await feed_route_admits_only_a_live_token(client, "/feeds/{filename}", staff)
