"""Room bookings through HTTP: wall-clock input across the clock changes, every venue rule,
overlaps (half-open), moves that re-check the rules, cancelling, If-Match and roles."""

from datetime import date, time

import httpx
import pytest

from api.core.actor import Role
from scheduling.tables import OpeningHours, Room
from tests.booking_requests import BOOKINGS, PROBLEM, PROBLEMS, book, clash, invalid, problem
from tests.factories import StaffFactory
from tests.scheduling_factories import make_closure, make_room, make_venue

WEDNESDAY = "2026-11-25"


# -- creating: what is stored and shown ---------------------------------------------------------


async def test_book_room_with_wall_clock_times_is_201_with_utc_and_local_times(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    room = await make_room()

    response = await book(
        client,
        admin,
        room,
        "2027-03-28T10:00",
        "2027-03-28T11:30",
        subject_kind="group_session",
        subject_id="g-17/s-1",
    )

    body = response.json()
    assert response.status_code == 201
    assert response.headers["ETag"] == '"v1"'
    assert body == {
        "id": body["id"],
        "room_id": str(room.id),
        "starts_at": "2027-03-28T09:00:00Z",
        "ends_at": "2027-03-28T10:30:00Z",
        "local_starts_at": "2027-03-28T10:00:00+01:00",
        "local_ends_at": "2027-03-28T11:30:00+01:00",
        "time_zone": "Europe/London",
        "purpose": "Stress Control",
        "status": "provisional",
        "booked_by_id": str(admin.user.id),
        "subject_kind": "group_session",
        "subject_id": "g-17/s-1",
        "version": 1,
        "created_at": body["created_at"],
        "updated_at": body["created_at"],
    }
    assert (await client.get(f"{BOOKINGS}/{body['id']}", headers=admin.headers)).json() == body


async def test_book_room_on_october_change_day_after_the_change_is_stored_in_gmt(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    room = await make_room()

    response = await book(client, admin, room, "2026-10-25T10:00", "2026-10-25T11:00")

    assert response.status_code == 201
    assert (response.json()["starts_at"], response.json()["local_starts_at"]) == (
        "2026-10-25T10:00:00Z",
        "2026-10-25T10:00:00Z",
    )


async def test_book_room_with_utc_offset_keeps_that_instant(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    room = await make_room()

    response = await book(
        client, admin, room, "2026-06-10T10:00:00+02:00", "2026-06-10T09:30:00Z", status="confirmed"
    )

    body = response.json()
    assert response.status_code == 201
    assert (body["starts_at"], body["ends_at"], body["status"]) == (
        "2026-06-10T08:00:00Z",
        "2026-06-10T09:30:00Z",
        "confirmed",
    )
    assert (body["local_starts_at"], body["local_ends_at"]) == (
        "2026-06-10T09:00:00+01:00",
        "2026-06-10T10:30:00+01:00",
    )


@pytest.mark.parametrize(
    ("weeks", "utc_hours"),
    [
        (["2027-03-21", "2027-03-28", "2027-04-04"], ["10:00", "09:00", "09:00"]),
        (["2026-10-18", "2026-10-25", "2026-11-01"], ["09:00", "10:00", "10:00"]),
    ],
    ids=["spring-forward", "fall-back"],
)
async def test_weekly_booking_keeps_its_wall_clock_time_across_the_clock_change(
    staff: StaffFactory, client: httpx.AsyncClient, weeks: list[str], utc_hours: list[str]
) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    room = await make_room()

    made = [
        (await book(client, admin, room, f"{day}T10:00", f"{day}T11:30")).json() for day in weeks
    ]

    assert [b["starts_at"] for b in made] == [
        f"{day}T{hour}:00Z" for day, hour in zip(weeks, utc_hours, strict=True)
    ]
    assert [b["local_starts_at"][11:16] for b in made] == ["10:00"] * 3
    assert [b["local_ends_at"][11:16] for b in made] == ["11:30"] * 3


@pytest.mark.parametrize(
    ("field", "starts_at", "ends_at", "reason"),
    [
        (
            "starts_at",
            "2027-03-28T01:30",
            "2027-03-28T03:00",
            "2027-03-28 01:30 does not exist in Europe/London (the clocks go forward)",
        ),
        (
            "ends_at",
            "2027-03-28T00:30",
            "2027-03-28T01:00",
            "2027-03-28 01:00 does not exist in Europe/London (the clocks go forward)",
        ),
        (
            "starts_at",
            "2026-10-25T01:30",
            "2026-10-25T03:00",
            "2026-10-25 01:30 happens twice in Europe/London (the clocks go back): "
            "give the time with its UTC offset",
        ),
    ],
    ids=["nonexistent-start", "nonexistent-end", "ambiguous-start"],
)
async def test_book_room_at_wall_clock_time_that_does_not_exist_or_repeats_is_400(
    staff: StaffFactory,
    client: httpx.AsyncClient,
    field: str,
    starts_at: str,
    ends_at: str,
    reason: str,
) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    room = await make_room(await make_venue(open_from=time(0, 0), open_until=time(23, 59)))

    response = await book(client, admin, room, starts_at, ends_at)

    assert response.status_code == 400
    assert response.headers["content-type"] == PROBLEM
    assert response.json() == {
        **invalid((field, reason)),
        "type": PROBLEMS + "invalid-local-time",
        "title": "That local time does not exist or is ambiguous",
    }


async def test_book_room_in_the_repeated_hour_with_an_offset_is_accepted(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    room = await make_room(await make_venue(open_from=time(0, 0), open_until=time(23, 59)))

    response = await book(
        client, admin, room, "2026-10-25T01:30:00+00:00", "2026-10-25T02:30:00+00:00"
    )

    assert response.status_code == 201
    assert response.json()["local_starts_at"] == "2026-10-25T01:30:00Z"


@pytest.mark.parametrize(
    ("starts_at", "ends_at", "errors"),
    [
        (f"{WEDNESDAY}T10:00", f"{WEDNESDAY}T10:00", [("ends_at", "must be after starts_at")]),
        (f"{WEDNESDAY}T11:00", f"{WEDNESDAY}T10:00", [("ends_at", "must be after starts_at")]),
        (
            f"{WEDNESDAY}T20:00",
            "2026-11-26T08:30",
            [
                ("ends_at", "must be on the same local date as starts_at"),
                ("ends_at", "must be at most 12 hours after starts_at"),
            ],
        ),
        (
            f"{WEDNESDAY}T08:00",
            f"{WEDNESDAY}T20:01",
            [("ends_at", "must be at most 12 hours after starts_at")],
        ),
        (
            f"{WEDNESDAY}T10:00:30",
            f"{WEDNESDAY}T11:00",
            [("starts_at", "must be a whole minute (no seconds)")],
        ),
        (
            "0001-01-01T00:30:00+01:00",
            f"{WEDNESDAY}T11:00",
            [("starts_at", "must be in the years 2000 to 2100")],
        ),
        (
            f"{WEDNESDAY}T10:00",
            "9999-12-31T23:30:00-05:00",
            [("ends_at", "must be in the years 2000 to 2100")],
        ),
    ],
    ids=["empty", "backwards", "overnight", "over-12-hours", "seconds", "year-1", "year-9999"],
)
async def test_book_room_with_malformed_slot_is_400_naming_the_field(
    staff: StaffFactory,
    client: httpx.AsyncClient,
    starts_at: str,
    ends_at: str,
    errors: list[tuple[str, str]],
) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    room = await make_room()

    response = await book(client, admin, room, starts_at, ends_at)

    assert response.status_code == 400
    assert response.json() == invalid(*errors)


async def test_book_room_for_exactly_12_hours_is_201(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    room = await make_room()

    response = await book(client, admin, room, f"{WEDNESDAY}T08:00", f"{WEDNESDAY}T20:00")

    assert response.status_code == 201


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"subject_kind": "group_session"}, "subject_id"),
        ({"subject_id": "g-1"}, "subject_kind"),
    ],
)
async def test_book_room_with_half_a_subject_is_400(
    staff: StaffFactory, client: httpx.AsyncClient, fields: dict[str, str], field: str
) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    room = await make_room()

    response = await book(client, admin, room, f"{WEDNESDAY}T10:00", f"{WEDNESDAY}T11:00", **fields)

    assert response.status_code == 400
    assert response.json() == invalid((field, "give subject_kind and subject_id both"))


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"status": "cancelled"}, "status"),
        ({"purpose": ""}, "purpose"),
        ({"starts_at": "not a time"}, "starts_at"),
        ({"room_id": "not-a-uuid"}, "room_id"),
        ({"colour": "red"}, "colour"),
    ],
)
async def test_book_room_with_invalid_field_is_400_naming_it(
    staff: StaffFactory, client: httpx.AsyncClient, fields: dict[str, str], field: str
) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    room = await make_room()

    response = await book(client, admin, room, f"{WEDNESDAY}T10:00", f"{WEDNESDAY}T11:00", **fields)

    assert response.status_code == 400
    assert response.headers["content-type"] == PROBLEM
    assert [e["field"] for e in response.json()["errors"]] == [field]


# -- the venue's rules ----------------------------------------------------------------------------


async def _library() -> Room:
    venue = await make_venue(
        name="Tavistock Library", open_from=time(9, 0), open_until=time(17, 0), weekdays=range(5)
    )
    return await make_room(venue)


@pytest.mark.parametrize(
    ("start", "end", "status"),
    [
        ("09:00", "17:00", 201),
        ("08:59", "10:00", 409),
        ("16:00", "17:01", 409),
        ("18:00", "19:30", 409),
    ],
)
async def test_book_room_at_the_edges_of_opening_hours(
    staff: StaffFactory, client: httpx.AsyncClient, start: str, end: str, status: int
) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    room = await _library()

    response = await book(client, admin, room, f"{WEDNESDAY}T{start}", f"{WEDNESDAY}T{end}")

    assert response.status_code == status
    if status == 409:
        assert response.json() == problem(
            "outside-opening-hours",
            "The venue is not open then",
            409,
            f"Tavistock Library opens 09:00-17:00 on Wednesdays; the booking is {start}-{end}.",
            date=WEDNESDAY,
            opening_hours=[{"opens_at": "09:00", "closes_at": "17:00"}],
        )


async def test_book_room_on_a_day_the_venue_does_not_open_says_so(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    room = await _library()

    response = await book(client, admin, room, "2026-11-29T10:00", "2026-11-29T11:00")

    assert response.status_code == 409
    assert response.json() == problem(
        "outside-opening-hours",
        "The venue is not open then",
        409,
        "Tavistock Library is not open on Sundays; the booking is 10:00-11:00.",
        date="2026-11-29",
        opening_hours=[],
    )


async def _split_day_room(*ranges: tuple[time, time]) -> Room:
    venue = await make_venue(name="Callington Community Centre", open_from=None)
    await OpeningHours.insert(
        *(OpeningHours(venue=venue.id, weekday=2, opens_at=a, closes_at=b) for a, b in ranges)
    )
    return await make_room(venue)


async def test_book_room_across_touching_opening_ranges_is_201(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    room = await _split_day_room((time(12), time(17)), (time(9), time(12)))

    response = await book(client, admin, room, f"{WEDNESDAY}T11:00", f"{WEDNESDAY}T13:00")

    assert response.status_code == 201


async def test_book_room_across_a_lunch_closure_is_409_listing_both_ranges(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    room = await _split_day_room((time(13), time(17)), (time(9), time(12)))

    response = await book(client, admin, room, f"{WEDNESDAY}T11:30", f"{WEDNESDAY}T13:30")

    assert response.status_code == 409
    assert response.json()["detail"] == (
        "Callington Community Centre opens 09:00-12:00 and 13:00-17:00 on Wednesdays; "
        "the booking is 11:30-13:30."
    )
    assert response.json()["opening_hours"] == [
        {"opens_at": "09:00", "closes_at": "12:00"},
        {"opens_at": "13:00", "closes_at": "17:00"},
    ]


@pytest.mark.parametrize(
    ("day", "status"),
    [("2026-12-20", 201), ("2026-12-21", 409), ("2027-01-03", 409), ("2027-01-04", 201)],
)
async def test_book_room_at_the_edges_of_a_closure(
    staff: StaffFactory, client: httpx.AsyncClient, day: str, status: int
) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    venue = await make_venue(name="Launceston Library", opens_on_bank_holidays=True)
    await make_closure(venue, date(2026, 12, 21), date(2027, 1, 3), "Christmas holidays")
    room = await make_room(venue)

    response = await book(client, admin, room, f"{day}T10:00", f"{day}T11:00")

    assert response.status_code == status
    if status == 409:
        assert response.json() == problem(
            "venue-closed",
            "The venue is closed on that date",
            409,
            "Launceston Library is closed from 2026-12-21 to 2027-01-03 (Christmas holidays); "
            f"the booking is on {day}.",
            date=day,
            closure_start_date="2026-12-21",
            closure_end_date="2027-01-03",
            reason="Christmas holidays",
        )


@pytest.mark.parametrize(
    ("day", "holiday"),
    [
        ("2026-12-25", "Christmas Day"),
        ("2026-12-28", "Boxing Day (observed)"),
        ("2027-05-03", "May Day"),
    ],
)
async def test_book_room_on_a_bank_holiday_is_409_naming_it(
    staff: StaffFactory, client: httpx.AsyncClient, day: str, holiday: str
) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    room = await make_room(await make_venue(name="Tavistock Library"))

    response = await book(client, admin, room, f"{day}T10:00", f"{day}T11:00")

    assert response.status_code == 409
    assert response.json() == problem(
        "bank-holiday",
        "The venue is closed on bank holidays",
        409,
        f"{day} is {holiday}, a bank holiday in England, "
        "and Tavistock Library does not open on bank holidays.",
        date=day,
        holiday=holiday,
    )


async def test_book_room_on_a_bank_holiday_where_the_venue_opens_is_201(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    room = await make_room(await make_venue(opens_on_bank_holidays=True))
    ordinary = await make_room()

    opens = await book(client, admin, room, "2027-05-03T10:00", "2027-05-03T11:00")
    day_after = await book(client, admin, ordinary, "2026-12-29T10:00", "2026-12-29T11:00")

    assert (opens.status_code, day_after.status_code) == (201, 201)


async def test_book_room_archived_or_in_archived_venue_is_409(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    archived_room = await make_room(name="Old Hall", is_archived=True)
    shut = await make_venue(name="Old Surgery", is_archived=True)
    room_in_shut = await make_room(shut)

    room = await book(client, admin, archived_room, f"{WEDNESDAY}T10:00", f"{WEDNESDAY}T11:00")
    venue = await book(client, admin, room_in_shut, f"{WEDNESDAY}T10:00", f"{WEDNESDAY}T11:00")

    archived = ("archived", "Archived: no new bookings", 409)
    assert room.json() == problem(*archived, "Old Hall is archived and takes no new bookings.")
    assert venue.json() == problem(*archived, "Old Surgery is archived and takes no new bookings.")


async def test_book_unknown_room_is_404_naming_room_id(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    admin = await staff.signed_in(Role.ADMIN)

    response = await book(
        client,
        admin,
        "00000000-0000-4000-8000-000000000000",
        f"{WEDNESDAY}T10:00",
        f"{WEDNESDAY}T11:00",
    )

    assert response.status_code == 404
    assert response.json() == problem(
        "not-found", "Not found", 404, "No room with this id.", field="room_id"
    )


# -- overlaps ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "end", "status"),
    [
        ("09:00", "10:00", 201),
        ("11:00", "12:00", 201),
        ("09:59", "10:01", 409),
        ("10:59", "11:30", 409),
        ("10:15", "10:45", 409),
        ("09:00", "12:00", 409),
        ("10:00", "11:00", 409),
    ],
    ids=["back-to-back-before", "back-to-back-after", "start", "end", "inside", "around", "same"],
)
async def test_book_room_next_to_or_over_a_booking(
    staff: StaffFactory, client: httpx.AsyncClient, start: str, end: str, status: int
) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    room = await make_room()
    held = (await book(client, admin, room, f"{WEDNESDAY}T10:00", f"{WEDNESDAY}T11:00")).json()

    response = await book(client, admin, room, f"{WEDNESDAY}T{start}", f"{WEDNESDAY}T{end}")

    assert response.status_code == status
    if status == 409:
        assert response.json() == clash(held, "10:00-11:00", WEDNESDAY)


async def test_book_another_room_at_the_same_time_is_201(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    venue = await make_venue()
    room, other = await make_room(venue), await make_room(venue)
    await book(client, admin, room, f"{WEDNESDAY}T10:00", f"{WEDNESDAY}T11:00")

    response = await book(client, admin, other, f"{WEDNESDAY}T10:00", f"{WEDNESDAY}T11:00")

    assert response.status_code == 201
