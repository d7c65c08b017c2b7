"""Availability search through HTTP: filters, reasons, ranking, pages, query count, input."""

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import httpx
import pytest

from api.core.actor import Role
from api.core.schemas import encode_cursor
from scheduling.tables import OpeningHours, Room, RoomBooking, Venue
from tests.factories import SignedIn, StaffFactory
from tests.query_count import count_queries
from tests.scheduling_factories import make_closure, make_room, make_venue

PROBLEMS = "https://stepwise.example/problems/"
URL = "/api/v1/availability"
# Mondays in February 2027: no bank holidays, GMT (local time is UTC).
SEARCH: dict[str, Any] = {
    "capacity": 12,
    "from_date": "2027-02-01",
    "start_time": "10:00",
    "end_time": "11:30",
    "weeks": 3,
}


async def search(client: httpx.AsyncClient, who: SignedIn, **params: Any) -> httpx.Response:
    return await client.get(URL, params={**SEARCH, **params}, headers=who.headers)


def room_ids(response: httpx.Response) -> list[str]:
    assert response.status_code == 200, response.text
    return [item["room"]["id"] for item in response.json()["items"]]


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


async def book(
    room: Room, starts_at: datetime, minutes: int = 60, status: str = "confirmed"
) -> RoomBooking:
    booking = RoomBooking(
        room=room.id,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(minutes=minutes),
        purpose="Stress Control",
        status=status,
    )
    await booking.save()
    return booking


@pytest.fixture
async def admin(staff: StaffFactory) -> SignedIn:
    return await staff.signed_in(Role.ADMIN)


def free_week(day: str, starts: str = "10:00:00", ends: str = "11:30:00") -> dict[str, Any]:
    return {
        "date": day,
        "starts_at": f"{day}T{starts}Z",
        "ends_at": f"{day}T{ends}Z",
        "local_starts_at": f"{day}T{starts}Z",
        "local_ends_at": f"{day}T{ends}Z",
        "free": True,
        "reasons": [],
    }


async def test_availability_answers_room_venue_and_every_week(
    admin: SignedIn, client: httpx.AsyncClient
) -> None:
    venue = await make_venue(
        name="Tavistock Library",
        access_instructions="Door code 4321, key with reception",
        step_free_access=True,
        hearing_loop=True,
        public_transport_notes="Bus 118 stops outside",
    )
    room = await make_room(venue, name="Garden Room", capacity=14, equipment=["projector"])
    clash = await book(room, utc(2027, 2, 8, 11, 0))

    response = await search(client, admin)

    assert response.status_code == 200
    assert response.json() == {
        "items": [
            {
                "room": {
                    "id": str(room.id),
                    "name": "Garden Room",
                    "capacity": 14,
                    "equipment": ["projector"],
                },
                "venue": {
                    "id": str(venue.id),
                    "name": "Tavistock Library",
                    "town": "Tavistock",
                    "postcode": "PL19 0AE",
                    "step_free_access": True,
                    "accessible_toilet": False,
                    "hearing_loop": True,
                    "parking": False,
                    "public_transport_notes": "Bus 118 stops outside",
                },
                "free_weeks": 2,
                "weeks": [
                    free_week("2027-02-01"),
                    {
                        **free_week("2027-02-08"),
                        "free": False,
                        "reasons": [
                            {
                                "kind": "booking",
                                "booking_id": str(clash.id),
                                "starts_at": "2027-02-08T11:00:00Z",
                                "ends_at": "2027-02-08T12:00:00Z",
                                "status": "confirmed",
                            }
                        ],
                    },
                    free_week("2027-02-15"),
                ],
            }
        ],
        "next_cursor": None,
    }


@pytest.mark.parametrize(
    ("capacity", "expected"), [(11, [11, 12, 13]), (12, [12, 13]), (13, [13]), (14, [])]
)
async def test_availability_capacity_is_a_minimum_smallest_first(
    admin: SignedIn, client: httpx.AsyncClient, capacity: int, expected: list[int]
) -> None:
    venue = await make_venue()
    for seats in (13, 11, 12):
        await make_room(venue, capacity=seats)

    response = await search(client, admin, capacity=capacity)

    assert [item["room"]["capacity"] for item in response.json()["items"]] == expected


@pytest.mark.parametrize(
    "flag", ["step_free_access", "accessible_toilet", "hearing_loop", "parking"]
)
async def test_availability_accessibility_flag_excludes_venues_without_it(
    admin: SignedIn, client: httpx.AsyncClient, flag: str
) -> None:
    with_it = await make_room(await make_venue(name="A", **{flag: True}))
    without = await make_room(await make_venue(name="B", **{flag: False}))

    required = await search(client, admin, **{flag: "true"})
    not_required = await search(client, admin, **{flag: "false"})

    assert room_ids(required) == [str(with_it.id)]
    assert room_ids(not_required) == [str(with_it.id), str(without.id)]


async def test_availability_all_flags_together_need_a_venue_with_all(
    admin: SignedIn, client: httpx.AsyncClient
) -> None:
    flags = {"step_free_access": True, "accessible_toilet": True, "hearing_loop": True}
    everything = await make_room(await make_venue(name="A", parking=True, **flags))
    await make_room(await make_venue(name="B", parking=False, **flags))

    response = await search(client, admin, parking=True, **flags)

    assert room_ids(response) == [str(everything.id)]


async def test_availability_town_is_case_insensitive_and_exact(
    admin: SignedIn, client: httpx.AsyncClient
) -> None:
    tavistock = await make_room(await make_venue(name="A", town="Tavistock"))
    await make_room(await make_venue(name="B", town="Okehampton"))
    await make_room(await make_venue(name="C", town="Tavistock Road"))

    response = await search(client, admin, town="  TAVISTOCK ")

    assert room_ids(response) == [str(tavistock.id)]


async def test_availability_postcode_district_is_normalised(
    admin: SignedIn, client: httpx.AsyncClient
) -> None:
    plymouth = await make_room(await make_venue(name="A", postcode_district="PL19"))
    await make_room(await make_venue(name="B", postcode="EX20 1AA", postcode_district="EX20"))
    await make_room(await make_venue(name="C", postcode="PL1 1AA", postcode_district="PL1"))

    response = await search(client, admin, postcode_district="pl 19")

    assert room_ids(response) == [str(plymouth.id)]


async def test_availability_leaves_out_archived_venues_and_rooms(
    admin: SignedIn, client: httpx.AsyncClient
) -> None:
    venue = await make_venue(name="Open")
    kept = await make_room(venue)
    await make_room(venue, is_archived=True)
    await make_room(await make_venue(name="Shut", is_archived=True))

    response = await search(client, admin)

    assert room_ids(response) == [str(kept.id)]


async def test_availability_cancelled_bookings_do_not_block_provisional_ones_do(
    admin: SignedIn, client: httpx.AsyncClient
) -> None:
    room = await make_room()
    await book(room, utc(2027, 2, 1, 10, 0), status="cancelled")
    provisional = await book(room, utc(2027, 2, 8, 10, 0), status="provisional")

    response = await search(client, admin)

    weeks = response.json()["items"][0]["weeks"]
    assert [week["free"] for week in weeks] == [True, False, True]
    assert [r["booking_id"] for r in weeks[1]["reasons"]] == [str(provisional.id)]


async def test_availability_booking_ending_as_slot_starts_does_not_block(
    admin: SignedIn, client: httpx.AsyncClient
) -> None:
    room = await make_room()
    await book(room, utc(2027, 2, 1, 9, 0), minutes=60)  # 09:00-10:00
    await book(room, utc(2027, 2, 1, 11, 30), minutes=60)  # 11:30-12:30
    long_one = await book(room, utc(2027, 2, 8, 0, 0), minutes=12 * 60)  # 00:00-12:00

    response = await search(client, admin)

    weeks = response.json()["items"][0]["weeks"]
    assert [week["free"] for week in weeks] == [True, False, True]
    assert weeks[1]["reasons"][0]["booking_id"] == str(long_one.id)


async def test_availability_ranks_free_weeks_then_smallest_room(
    admin: SignedIn, client: httpx.AsyncClient
) -> None:
    venue = await make_venue()
    busy_small = await make_room(venue, name="Busy", capacity=12)
    hall = await make_room(venue, name="Hall", capacity=60)
    small = await make_room(venue, name="Small", capacity=14)
    await book(busy_small, utc(2027, 2, 15, 10, 0))

    response = await search(client, admin)

    assert room_ids(response) == [str(small.id), str(hall.id), str(busy_small.id)]
    assert [item["free_weeks"] for item in response.json()["items"]] == [3, 3, 2]


async def test_availability_pages_have_no_gaps_or_repeats(
    admin: SignedIn, client: httpx.AsyncClient
) -> None:
    venues = [await make_venue(name=name) for name in ("Alpha", "Beta")]
    rooms = []
    for number in range(7):
        rooms.append(
            await make_room(venues[number % 2], name=f"R{number}", capacity=12 + number % 3)
        )
    for room in rooms[:3]:  # a week's clash for three of them, across both pages' order
        await book(room, utc(2027, 2, 8, 10, 0))
    whole = room_ids(await search(client, admin))

    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        params = {"limit": 3} | ({"cursor": cursor} if cursor else {})
        response = await search(client, admin, **params)
        seen.extend(room_ids(response))
        pages += 1
        cursor = response.json()["next_cursor"]
        if cursor is None:
            break

    assert pages == 3
    assert seen == whole
    assert sorted(seen) == sorted(str(room.id) for room in rooms)


async def test_availability_bank_holidays_block_venues_that_shut_on_them(
    admin: SignedIn, client: httpx.AsyncClient
) -> None:
    shuts = await make_room(await make_venue(name="Abbey Library"))
    opens = await make_room(await make_venue(name="Hospital", opens_on_bank_holidays=True))

    # Fridays: 18 December 2026, Christmas Day, New Year's Day.
    response = await search(client, admin, from_date="2026-12-18")

    items = response.json()["items"]
    assert room_ids(response) == [str(opens.id), str(shuts.id)]
    assert [item["free_weeks"] for item in items] == [3, 1]
    assert [week["reasons"] for week in items[1]["weeks"]] == [
        [],
        [{"kind": "bank_holiday", "name": "Christmas Day"}],
        [{"kind": "bank_holiday", "name": "New Year's Day"}],
    ]


async def test_availability_closure_over_christmas_names_dates_and_reason(
    admin: SignedIn, client: httpx.AsyncClient
) -> None:
    venue = await make_venue(name="Abbey Centre", opens_on_bank_holidays=True)
    closed = await make_room(venue)
    never_shut = await make_room(await make_venue(name="Zed Centre", opens_on_bank_holidays=True))
    await make_closure(venue, date(2026, 12, 19), date(2027, 1, 3), "Christmas holidays")
    await make_closure(venue, date(2027, 2, 1), date(2027, 2, 5), "Later works")

    response = await search(client, admin, from_date="2026-12-14", weeks=4)

    closure = {
        "kind": "closure",
        "start_date": "2026-12-19",
        "end_date": "2027-01-03",
        "reason": "Christmas holidays",
    }
    assert room_ids(response) == [str(never_shut.id), str(closed.id)]
    weeks = response.json()["items"][1]["weeks"]
    assert [week["reasons"] for week in weeks] == [[], [closure], [closure], []]
    assert response.json()["items"][1]["free_weeks"] == 2


async def test_availability_outside_opening_hours_names_that_days_hours(
    admin: SignedIn, client: httpx.AsyncClient
) -> None:
    afternoons = await make_room(await make_venue(name="A", open_from=time(13, 0)))
    not_mondays = await make_room(await make_venue(name="B", weekdays=(1, 2, 3, 4)))
    open_then = await make_room(await make_venue(name="C"))

    response = await search(client, admin)

    assert room_ids(response) == [str(open_then.id), str(afternoons.id), str(not_mondays.id)]
    by_room = {item["room"]["id"]: item for item in response.json()["items"]}
    afternoon_reason = {
        "kind": "outside_opening_hours",
        "weekday": 0,
        "opening_hours": [{"opens_at": "13:00", "closes_at": "21:00"}],
    }
    assert by_room[str(afternoons.id)]["free_weeks"] == 0
    assert [w["reasons"] for w in by_room[str(afternoons.id)]["weeks"]] == [[afternoon_reason]] * 3
    assert by_room[str(not_mondays.id)]["weeks"][0]["reasons"] == [
        {"kind": "outside_opening_hours", "weekday": 0, "opening_hours": []}
    ]


@pytest.mark.parametrize(
    ("ranges", "free"),
    [
        ((("09:00", "12:00"), ("12:00", "17:00")), True),  # touching: one range 09:00-17:00
        ((("09:00", "12:00"), ("12:00", "12:30")), False),  # shut again inside the slot
        ((("09:00", "12:00"), ("13:00", "17:00")), False),  # a lunch gap
        ((("08:00", "10:00"), ("10:00", "12:00"), ("12:00", "18:00")), True),
        ((("11:00", "13:00"),), True),  # exactly the slot
    ],
)
async def test_availability_touching_opening_ranges_count_as_one(
    admin: SignedIn,
    client: httpx.AsyncClient,
    ranges: tuple[tuple[str, str], ...],
    free: bool,
) -> None:
    split = await make_venue(name="Zed", open_from=None)
    await OpeningHours.insert(
        *(
            OpeningHours(
                venue=split.id,
                weekday=0,
                opens_at=time.fromisoformat(opens),
                closes_at=time.fromisoformat(closes),
            )
            for opens, closes in ranges
        )
    )
    split_room = await make_room(split)
    never_open = await make_room(await make_venue(name="Abbey", open_from=None))

    response = await search(client, admin, start_time="11:00", end_time="13:00")

    expected = [split_room.id, never_open.id] if free else [never_open.id, split_room.id]
    assert room_ids(response) == [str(room_id) for room_id in expected]
    split_item = response.json()["items"][expected.index(split_room.id)]
    assert split_item["free_weeks"] == (3 if free else 0)


async def test_availability_across_march_change_keeps_local_time(
    admin: SignedIn, client: httpx.AsyncClient
) -> None:
    await make_room()

    response = await search(client, admin, from_date="2027-03-21")

    weeks = response.json()["items"][0]["weeks"]
    assert [(w["starts_at"], w["local_starts_at"]) for w in weeks] == [
        ("2027-03-21T10:00:00Z", "2027-03-21T10:00:00Z"),
        ("2027-03-28T09:00:00Z", "2027-03-28T10:00:00+01:00"),
        ("2027-04-04T09:00:00Z", "2027-04-04T10:00:00+01:00"),
    ]


async def test_availability_nonexistent_local_time_is_a_blocked_week(
    admin: SignedIn, client: httpx.AsyncClient
) -> None:
    await make_room(await make_venue(open_from=time(0, 0), open_until=time(23, 59)))

    response = await search(
        client, admin, from_date="2027-03-21", start_time="01:30", end_time="02:30", weeks=2
    )

    item = response.json()["items"][0]
    assert item["free_weeks"] == 1
    assert item["weeks"][1] == {
        "date": "2027-03-28",
        "starts_at": None,
        "ends_at": None,
        "local_starts_at": None,
        "local_ends_at": None,
        "free": False,
        "reasons": [
            {
                "kind": "invalid_local_time",
                "detail": "2027-03-28 01:30 does not exist in Europe/London "
                "(the clocks go forward)",
            }
        ],
    }


async def _many_rooms_with_bookings(count: int) -> None:
    venues = [await make_venue(name=f"V{n}") for n in range(3)]
    await make_closure(venues[0], date(2027, 2, 8), date(2027, 2, 8), "Training day")
    rooms = [
        Room(venue=venues[n % 3].id, name=f"R{n}", capacity=12 + n % 5, equipment=[])
        for n in range(count)
    ]
    await Room.insert(*rooms)
    bookings = [
        RoomBooking(
            room=room.id,
            starts_at=utc(2027, 1, 25, 9, 0) + timedelta(days=day, hours=n % 3),
            ends_at=utc(2027, 1, 25, 10, 0) + timedelta(days=day, hours=n % 3),
            purpose="Course",
            status="confirmed",
        )
        for n, room in enumerate(rooms)
        for day in range(0, 28, 2)
    ]
    await RoomBooking.insert(*bookings)


async def test_availability_runs_a_fixed_number_of_queries(
    admin: SignedIn, client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    await make_room(await make_venue(name="Only"))
    with count_queries(monkeypatch) as one_room:
        alone = await search(client, admin)
    await _many_rooms_with_bookings(30)
    with count_queries(monkeypatch) as many_rooms:
        crowded = await search(client, admin, limit=50)

    assert len(room_ids(alone)) == 1
    assert len(room_ids(crowded)) == 31
    assert any(not w["free"] for item in crowded.json()["items"] for w in item["weeks"])
    assert many_rooms.count == one_room.count
    # Beside the sign-in check (its cost is the auth layer's): the ranked page, its
    # bookings, opening hours and closures.
    search_statements = [s for s in one_room.statements if '"staff_' not in s]
    assert len(search_statements) == 4


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"end_time": "09:00"}, "end_time"),
        ({"end_time": "10:00"}, "end_time"),
        ({"weeks": 0}, "weeks"),
        ({"weeks": 53}, "weeks"),
        ({"postcode_district": "XYZ"}, "postcode_district"),
        ({"postcode_district": "PL19 1"}, "postcode_district"),
        ({"start_time": "10am"}, "start_time"),
        ({"start_time": "9:00"}, "start_time"),
        ({"start_time": "24:00"}, "start_time"),
        ({"start_time": "10:00:00"}, "start_time"),
        ({"capacity": 0}, "capacity"),
        ({"capacity": 501}, "capacity"),
        ({"capacity": "twelve"}, "capacity"),
        ({"weekday": 2}, "weekday"),
        ({"weekday": 7}, "weekday"),
        ({"from_date": "2027-02-30"}, "from_date"),
        ({"from_date": "1999-12-31"}, "from_date"),
        ({"limit": 51}, "limit"),
        ({"limit": 0}, "limit"),
        ({"cursor": "not-a-cursor"}, "cursor"),
        ({"town": ""}, "town"),
    ],
)
async def test_availability_bad_input_is_400_naming_the_field(
    admin: SignedIn, client: httpx.AsyncClient, params: dict[str, Any], field: str
) -> None:
    await make_room()

    response = await search(client, admin, **params)

    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["type"] == PROBLEMS + "validation-error"
    assert [error["field"] for error in body["errors"]] == [field]


async def test_availability_without_a_required_field_is_400_naming_it(
    admin: SignedIn, client: httpx.AsyncClient
) -> None:
    params = {key: value for key, value in SEARCH.items() if key != "weeks"}

    response = await client.get(URL, params=params, headers=admin.headers)

    assert response.status_code == 400
    assert [error["field"] for error in response.json()["errors"]] == ["weeks"]


async def test_availability_matching_weekday_is_accepted(
    admin: SignedIn, client: httpx.AsyncClient
) -> None:
    room = await make_room()

    response = await search(client, admin, weekday=0)

    assert room_ids(response) == [str(room.id)]


async def test_availability_cursor_for_another_shape_is_400(
    admin: SignedIn, client: httpx.AsyncClient
) -> None:
    response = await search(client, admin, cursor=encode_cursor(0, 12, "A", "B", "not-a-uuid"))

    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"field": "cursor", "reason": "is not a cursor this API gave"}
    ]


@pytest.mark.parametrize("role", [Role.FACILITATOR, Role.SUPERVISOR])
async def test_availability_facilitators_and_supervisors_can_search(
    staff: StaffFactory, client: httpx.AsyncClient, role: Role
) -> None:
    reader = await staff.signed_in(role)
    room = await make_room()

    response = await search(client, reader)

    assert response.status_code == 200
    assert room_ids(response) == [str(room.id)]


async def test_availability_without_token_is_401(client: httpx.AsyncClient) -> None:
    response = await client.get(URL, params=SEARCH)

    assert response.status_code == 401
    assert response.json()["type"] == PROBLEMS + "not-authenticated"


async def test_availability_with_nothing_matching_is_an_empty_page(
    admin: SignedIn, client: httpx.AsyncClient
) -> None:
    await make_room(capacity=8)

    response = await search(client, admin)

    assert response.json() == {"items": [], "next_cursor": None}


async def test_availability_venue_table_has_no_access_instructions_in_answer(
    admin: SignedIn, client: httpx.AsyncClient
) -> None:
    await make_room(await make_venue(access_instructions="Key safe 9876"))

    response = await search(client, admin)

    assert "9876" not in response.text
    assert set(response.json()["items"][0]["venue"]) == {
        "id",
        "name",
        "town",
        "postcode",
        "step_free_access",
        "accessible_toilet",
        "hearing_loop",
        "parking",
        "public_transport_notes",
    }
    assert Venue.access_instructions._meta.name == "access_instructions"
