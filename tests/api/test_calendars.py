"""A room's bookings and a venue's calendar over local dates: inclusive ranges in the
service's time zone, order, pages, filters, and a fixed number of queries."""

from datetime import UTC, date, datetime, time
from typing import Any

import httpx
import pytest

from api.core.actor import Role
from scheduling.tables import OpeningHours, Room, RoomBooking
from tests.booking_requests import BOOKINGS, book, invalid, problem
from tests.factories import SignedIn, StaffFactory
from tests.query_count import count_queries
from tests.scheduling_factories import make_closure, make_room, make_venue

UNKNOWN = "00000000-0000-4000-8000-000000000000"
# Cursors this API never gives: a start at 0001-01-01T00:00+01:00 (before UTC's year 1) and
# one without an offset.
_YEAR_1_CURSOR = (
    "WyIwMDAxLTAxLTAxVDAwOjAwOjAwKzAxOjAwIiwgIjAwMDAwMDAwLTAwMDAtNDAwMC04MDAwLTAwMDAwMDAwMDAwMCJd"
)
_NAIVE_CURSOR = (
    "WyIyMDI2LTExLTI1VDEwOjAwOjAwIiwgIjAwMDAwMDAwLTAwMDAtNDAwMC04MDAwLTAwMDAwMDAwMDAwMCJd"
)


def _room_url(room: Room | str) -> str:
    return f"/api/v1/rooms/{room if isinstance(room, str) else room.id}/bookings"


async def _list(
    client: httpx.AsyncClient, who: SignedIn, room: Room | str, **params: str
) -> httpx.Response:
    return await client.get(_room_url(room), params=params, headers=who.headers)


async def _made(client: httpx.AsyncClient, who: SignedIn, room: Room, start: str, end: str) -> Any:
    response = await book(client, who, room, start, end)
    assert response.status_code == 201, response.text
    return response.json()


async def _all_day_room() -> Room:
    return await make_room(await make_venue(open_from=time(0, 0), open_until=time(23, 59)))


# -- a room's bookings ----------------------------------------------------------------------------


async def test_room_bookings_cover_local_dates_inclusive_in_british_summer_time(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    room = await _all_day_room()
    late = await _made(client, admin, room, "2026-06-09T23:00", "2026-06-09T23:59")
    midnight = await _made(client, admin, room, "2026-06-10T00:00", "2026-06-10T00:30")
    next_day = await _made(client, admin, room, "2026-06-11T00:00", "2026-06-11T01:00")

    one_day = await _list(client, admin, room, **{"from": "2026-06-10", "to": "2026-06-10"})
    three_days = await _list(client, admin, room, **{"from": "2026-06-09", "to": "2026-06-11"})

    assert one_day.status_code == 200
    assert one_day.json() == {"items": [midnight], "next_cursor": None}
    assert midnight["starts_at"] == "2026-06-09T23:00:00Z"
    assert midnight["local_starts_at"] == "2026-06-10T00:00:00+01:00"
    assert three_days.json() == {"items": [late, midnight, next_day], "next_cursor": None}


async def test_room_bookings_page_by_start_then_id_and_hide_cancelled_unless_asked(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    room = await make_room()
    first = await _made(client, admin, room, "2026-11-25T10:00", "2026-11-25T11:00")
    cancelled = await client.post(
        f"{BOOKINGS}/{first['id']}/cancel", headers={**admin.headers, "If-Match": '"v1"'}
    )
    rebooked = await _made(client, admin, room, "2026-11-25T10:00", "2026-11-25T11:00")
    later = await _made(client, admin, room, "2026-11-26T09:00", "2026-11-26T10:00")
    days = {"from": "2026-11-25", "to": "2026-11-26"}

    held = await _list(client, admin, room, **days)
    pages, cursor = [], None
    while True:
        extra = {"cursor": cursor} if cursor else {}
        page = await _list(
            client, admin, room, **days, include_cancelled="true", limit="1", **extra
        )
        pages.append([b["id"] for b in page.json()["items"]])
        cursor = page.json()["next_cursor"]
        if cursor is None:
            break
    only_cancelled = await _list(client, admin, room, **days, status="cancelled")

    assert [b["id"] for b in held.json()["items"]] == [rebooked["id"], later["id"]]
    tied = sorted([first["id"], rebooked["id"]])
    assert pages == [[tied[0]], [tied[1]], [later["id"]]]
    assert only_cancelled.json() == {"items": [cancelled.json()], "next_cursor": None}


@pytest.mark.parametrize(
    ("params", "field", "reason"),
    [
        ({"from": "2026-11-26", "to": "2026-11-25"}, "to", "must be on or after from"),
        ({"from": "2026-01-01", "to": "2026-04-04"}, "to", "the range may cover at most 93 days"),
        ({"from": "2026-11-25", "to": "2026-11-25", "cursor": "WyJ4Il0="}, "cursor", None),
        ({"from": "2026-11-25", "to": "2026-11-25", "cursor": "WyJ4IiwgInkiXQ=="}, "cursor", None),
        ({"from": "2026-11-25", "to": "2026-11-25", "cursor": _YEAR_1_CURSOR}, "cursor", None),
        ({"from": "2026-11-25", "to": "2026-11-25", "cursor": _NAIVE_CURSOR}, "cursor", None),
        ({"from": "2026-13-01", "to": "2026-11-25"}, "from", "must be a date, YYYY-MM-DD"),
        ({"from": "20261125", "to": "2026-11-25"}, "from", "must be a date, YYYY-MM-DD"),
        ({"to": "2026-11-25"}, "from", "is required (a date, YYYY-MM-DD)"),
        ({"from": "2026-11-25"}, "to", "is required (a date, YYYY-MM-DD)"),
        ({"from": "2026-11-25", "to": "2026-11-25", "limit": "201"}, "limit", None),
    ],
    ids=[
        "backwards",
        "94-days",
        "cursor-shape",
        "cursor-values",
        "cursor-year-1",
        "cursor-naive",
        "bad-date",
        "basic-format",
        "no-from",
        "no-to",
        "limit",
    ],
)
async def test_room_bookings_with_invalid_query_is_400_naming_it(
    staff: StaffFactory,
    client: httpx.AsyncClient,
    params: dict[str, str],
    field: str,
    reason: str | None,
) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    room = await make_room()

    response = await _list(client, admin, room, **params)

    assert response.status_code == 400
    assert [e["field"] for e in response.json()["errors"]] == [field]
    if reason is not None:
        assert response.json() == invalid((field, reason))


async def test_room_bookings_over_exactly_93_days_is_200_and_unknown_room_404(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    facilitator = await staff.signed_in(Role.FACILITATOR)
    room = await make_room()

    longest = await _list(client, facilitator, room, **{"from": "2026-01-01", "to": "2026-04-03"})
    unknown = await _list(
        client, facilitator, UNKNOWN, **{"from": "2026-01-01", "to": "2026-01-01"}
    )

    assert longest.json() == {"items": [], "next_cursor": None}
    assert unknown.status_code == 404
    assert unknown.json() == problem("not-found", "Not found", 404, "No room with this id.")


# -- a venue's calendar ---------------------------------------------------------------------------


async def test_venue_calendar_answers_rooms_hours_closures_holidays_and_bookings(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    supervisor = await staff.signed_in(Role.SUPERVISOR)
    venue = await make_venue(
        name="Tavistock Library", open_from=time(9), open_until=time(17), weekdays=range(5)
    )
    room_b = await make_room(venue, name="Room B", capacity=8)
    room_a = await make_room(venue, name="Room A", capacity=20)
    early = await make_closure(venue, date(2026, 12, 1), date(2026, 12, 14), "Roof repairs")
    christmas = await make_closure(venue, date(2026, 12, 24), date(2027, 1, 2), "Christmas")
    await make_closure(venue, date(2026, 11, 1), date(2026, 11, 2), "Elections")
    a1 = await _made(client, admin, room_a, "2026-12-15T10:00", "2026-12-15T11:30")
    b1 = await _made(client, admin, room_b, "2026-12-15T10:00", "2026-12-15T11:00")
    a2 = await _made(client, admin, room_a, "2026-12-16T14:00", "2026-12-16T15:00")
    await client.post(
        f"{BOOKINGS}/{a2['id']}/cancel", headers={**admin.headers, "If-Match": '"v1"'}
    )
    await _made(client, admin, room_a, "2026-11-30T10:00", "2026-11-30T11:00")  # before
    await _made(
        client, admin, await make_room(), "2026-12-15T10:00", "2026-12-15T11:00"
    )  # elsewhere

    response = await client.get(
        f"/api/v1/venues/{venue.id}/calendar",
        params={"from": "2026-12-14", "to": "2026-12-31"},
        headers=supervisor.headers,
    )

    def shown(b: dict[str, Any]) -> dict[str, Any]:
        keys = ("id", "room_id", "starts_at", "ends_at", "local_starts_at", "local_ends_at")
        keys += ("purpose", "status", "subject_kind", "subject_id", "version")
        return {key: b[key] for key in keys}

    assert response.status_code == 200
    assert response.json() == {
        "venue": {
            "id": str(venue.id),
            "name": "Tavistock Library",
            "town": "Tavistock",
            "is_archived": False,
            "opens_on_bank_holidays": False,
        },
        "from_date": "2026-12-14",
        "to_date": "2026-12-31",
        "time_zone": "Europe/London",
        "rooms": [
            {"id": str(room_a.id), "name": "Room A", "capacity": 20, "is_archived": False},
            {"id": str(room_b.id), "name": "Room B", "capacity": 8, "is_archived": False},
        ],
        "opening_hours": [
            {"weekday": day, "opens_at": "09:00:00", "closes_at": "17:00:00"} for day in range(5)
        ],
        "closures": [
            {"id": str(c.id), "start_date": s, "end_date": e, "reason": r}
            for c, s, e, r in (
                (early, "2026-12-01", "2026-12-14", "Roof repairs"),
                (christmas, "2026-12-24", "2027-01-02", "Christmas"),
            )
        ],
        "bank_holidays": [
            {"date": "2026-12-25", "name": "Christmas Day"},
            {"date": "2026-12-26", "name": "Boxing Day"},
            {"date": "2026-12-28", "name": "Boxing Day (observed)"},
        ],
        "bookings": [shown(b) for b in sorted([a1, b1], key=lambda b: b["id"])],
        "next_cursor": None,
    }


async def test_venue_calendar_costs_the_same_queries_for_one_booking_or_forty(
    staff: StaffFactory, client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    small, large = await make_venue(), await make_venue()
    await _made(client, admin, await make_room(small), "2026-11-25T10:00", "2026-11-25T11:00")
    rooms = [await make_room(large) for _ in range(4)]
    for day in range(1, 11):
        for room in rooms:
            await _made(client, admin, room, f"2026-11-{day:02d}T10:00", f"2026-11-{day:02d}T11:00")
    params = {"from": "2026-11-01", "to": "2026-11-30"}

    with count_queries(monkeypatch) as for_one:
        one = await client.get(
            f"/api/v1/venues/{small.id}/calendar", params=params, headers=admin.headers
        )
    with count_queries(monkeypatch) as for_forty:
        forty = await client.get(
            f"/api/v1/venues/{large.id}/calendar", params=params, headers=admin.headers
        )

    assert (len(one.json()["bookings"]), len(forty.json()["bookings"])) == (1, 40)
    assert for_one.count == for_forty.count
    assert for_forty.count == 2  # sign-in check, then the calendar's one statement


async def test_venue_calendar_pages_bookings_and_keeps_the_rest(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    venue = await make_venue()
    room = await make_room(venue)
    made = [
        await _made(client, admin, room, f"2026-11-{day}T10:00", f"2026-11-{day}T11:00")
        for day in (24, 25, 26)
    ]
    url = f"/api/v1/venues/{venue.id}/calendar"
    params = {"from": "2026-11-24", "to": "2026-11-26", "limit": "2"}

    first = await client.get(url, params=params, headers=admin.headers)
    rest = await client.get(
        url, params={**params, "cursor": first.json()["next_cursor"]}, headers=admin.headers
    )

    assert [b["id"] for b in first.json()["bookings"]] == [made[0]["id"], made[1]["id"]]
    assert [b["id"] for b in rest.json()["bookings"]] == [made[2]["id"]]
    assert rest.json()["next_cursor"] is None
    assert rest.json()["rooms"] == first.json()["rooms"]


async def test_venue_calendar_for_unknown_venue_is_404_and_for_roomless_venue_is_empty(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    facilitator = await staff.signed_in(Role.FACILITATOR)
    empty = await make_venue(open_from=None)
    params = {"from": "2026-11-01", "to": "2026-11-30"}

    unknown = await client.get(
        f"/api/v1/venues/{UNKNOWN}/calendar", params=params, headers=facilitator.headers
    )
    roomless = await client.get(
        f"/api/v1/venues/{empty.id}/calendar", params=params, headers=facilitator.headers
    )

    assert unknown.status_code == 404
    assert unknown.json() == problem("not-found", "Not found", 404, "No venue with this id.")
    body = roomless.json()
    assert (body["rooms"], body["bookings"], body["opening_hours"]) == ([], [], [])


async def test_venue_calendar_keeps_its_orders_and_awkward_text_with_rows_written_out_of_order(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    """The database builds each list as JSON in one statement: the order the API promises
    (rooms by name, hours by weekday and time, closures and bookings by start) must hold
    whatever order the rows were written in, and text must come back exactly."""
    reader = await staff.signed_in(Role.FACILITATOR)
    venue = await make_venue(open_from=None, name='The "Old" Library — Ø\\')
    names = [f"Room {letter}" for letter in "QWERTYUIOP"]
    rooms = [await make_room(venue, name=name) for name in names]
    for weekday, opens in ((4, 13), (0, 9), (4, 9), (2, 18), (0, 14)):
        await OpeningHours(
            venue=venue.id, weekday=weekday, opens_at=time(opens), closes_at=time(opens + 3)
        ).save()
    for day in (20, 3, 11):
        await make_closure(venue, date(2026, 12, day), date(2026, 12, day + 1), f"Shut {day} \t\"'")
    shuffled_days = [17, 2, 29, 8, 23, 14, 5, 26, 11, 20]
    made = []
    for index, day in enumerate(shuffled_days * 3):
        booking = RoomBooking(
            room=rooms[index % len(rooms)].id,
            starts_at=datetime(2026, 12, day, 9 + index // 10, tzinfo=UTC),
            ends_at=datetime(2026, 12, day, 10 + index // 10, tzinfo=UTC),
            purpose=f'Course {index} «\u2028» \\ "',
            status="confirmed",
        )
        await booking.save()
        made.append(booking)

    response = await client.get(
        f"/api/v1/venues/{venue.id}/calendar",
        params={"from": "2026-12-01", "to": "2026-12-31"},
        headers=reader.headers,
    )

    assert response.status_code == 200
    body = response.json()
    assert body["venue"]["name"] == 'The "Old" Library — Ø\\'
    assert [room["name"] for room in body["rooms"]] == sorted(names)
    assert [(h["weekday"], h["opens_at"]) for h in body["opening_hours"]] == [
        (0, "09:00:00"),
        (0, "14:00:00"),
        (2, "18:00:00"),
        (4, "09:00:00"),
        (4, "13:00:00"),
    ]
    assert [c["reason"] for c in body["closures"]] == [f"Shut {d} \t\"'" for d in (3, 11, 20)]
    expected = sorted(made, key=lambda b: (b.starts_at, str(b.id)))
    assert [b["id"] for b in body["bookings"]] == [str(b.id) for b in expected]
    assert [b["purpose"] for b in body["bookings"]] == [b.purpose for b in expected]
    assert body["bookings"][0]["local_starts_at"] == "2026-12-02T09:00:00Z"
