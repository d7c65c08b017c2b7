"""Opening hours (the week replaced at once) and closures through HTTP."""

from datetime import UTC, date, datetime
from typing import Any

import httpx
import pytest

from api.core.actor import Role
from scheduling.tables import Room, RoomBooking, Venue
from tests.factories import SignedIn, StaffFactory
from tests.scheduling_factories import make_closure, make_room, make_venue

PROBLEMS = "https://stepwise.example/problems/"
UNKNOWN = "6f1c1f4e-5d55-4d2b-9a53-0c4f6a1c0b7e"


def hours_of(venue: Venue | str) -> str:
    venue_id = venue if isinstance(venue, str) else venue.id
    return f"/api/v1/venues/{venue_id}/opening-hours"


def closures_of(venue: Venue | str) -> str:
    venue_id = venue if isinstance(venue, str) else venue.id
    return f"/api/v1/venues/{venue_id}/closures"


def entry(weekday: int, opens_at: str, closes_at: str) -> dict[str, Any]:
    return {"weekday": weekday, "opens_at": opens_at, "closes_at": closes_at}


async def venue_audit(client: httpx.AsyncClient, admin: SignedIn, venue: Venue) -> list[str]:
    response = await client.get(
        "/api/v1/audit",
        params={"entity": "venue", "entity_id": str(venue.id)},
        headers=admin.headers,
    )
    return [e["action"] for e in reversed(response.json()["items"])]


async def book(
    room: Room, starts_at: datetime, ends_at: datetime, status: str = "confirmed"
) -> str:
    booking = RoomBooking(
        room=room.id, starts_at=starts_at, ends_at=ends_at, purpose="Stress Control", status=status
    )
    await booking.save()
    return str(booking.id)


# -- opening hours ---------------------------------------------------------------------------


async def test_put_opening_hours_replaces_the_whole_week(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    venue = await make_venue()
    first_week = [
        entry(4, "13:00", "17:00"),
        entry(0, "09:00", "12:30"),
        entry(0, "12:30", "20:00"),
    ]

    first = await client.put(hours_of(venue), json={"ranges": first_week}, headers=admin.headers)
    second = await client.put(
        hours_of(venue), json={"ranges": [entry(2, "10:00", "16:00")]}, headers=admin.headers
    )
    read = await client.get(hours_of(venue), headers=admin.headers)
    cleared = await client.put(hours_of(venue), json={"ranges": []}, headers=admin.headers)

    assert first.status_code == 200
    assert first.json() == {
        "venue_id": str(venue.id),
        "ranges": [
            entry(0, "09:00", "12:30"),
            entry(0, "12:30", "20:00"),
            entry(4, "13:00", "17:00"),
        ],
    }
    assert second.json() == {"venue_id": str(venue.id), "ranges": [entry(2, "10:00", "16:00")]}
    assert read.json() == second.json()
    assert cleared.json() == {"venue_id": str(venue.id), "ranges": []}
    assert await venue_audit(client, admin, venue) == ["venue.set_opening_hours"] * 3


@pytest.mark.parametrize(
    ("ranges", "errors"),
    [
        (
            [entry(0, "09:00", "12:00"), entry(1, "17:00", "09:00")],
            [{"field": "ranges[1].closes_at", "reason": "must be after opens_at (17:00)"}],
        ),
        (
            [entry(3, "10:00", "10:00")],
            [{"field": "ranges[0].closes_at", "reason": "must be after opens_at (10:00)"}],
        ),
        (
            [entry(2, "09:00", "13:00"), entry(3, "09:00", "13:00"), entry(2, "12:59", "17:00")],
            [{"field": "ranges[2]", "reason": "overlaps entry 0 (Wednesday 09:00-13:00)"}],
        ),
        (
            [entry(6, "10:00", "16:00"), entry(6, "11:00", "12:00")],
            [{"field": "ranges[1]", "reason": "overlaps entry 0 (Sunday 10:00-16:00)"}],
        ),
        (
            [entry(1, f"{h:02d}:00", f"{h:02d}:30") for h in range(8, 13)],
            [{"field": "ranges[4].weekday", "reason": "at most 4 ranges on a Tuesday"}],
        ),
    ],
    ids=["reversed", "empty", "overlap", "inside", "too-many"],
)
async def test_put_opening_hours_refuses_bad_ranges_naming_the_entry_and_keeps_the_old_week(
    staff: StaffFactory,
    client: httpx.AsyncClient,
    ranges: list[dict[str, Any]],
    errors: list[dict[str, str]],
) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    venue = await make_venue(open_from=None)
    before = await client.put(
        hours_of(venue), json={"ranges": [entry(0, "09:00", "17:00")]}, headers=admin.headers
    )

    response = await client.put(hours_of(venue), json={"ranges": ranges}, headers=admin.headers)
    after = await client.get(hours_of(venue), headers=admin.headers)

    assert response.status_code == 400
    assert response.json() == {
        "type": PROBLEMS + "validation-error",
        "title": "The request is not valid",
        "status": 400,
        "detail": "; ".join(f"{e['field']}: {e['reason']}" for e in errors),
        "errors": errors,
    }
    assert after.json() == before.json()
    assert await venue_audit(client, admin, venue) == ["venue.set_opening_hours"]


@pytest.mark.parametrize(
    "bad",
    [
        entry(7, "09:00", "10:00"),
        entry(-1, "09:00", "10:00"),
        entry(0, "9:00", "10:00"),
        entry(0, "09:00", "24:00"),
        entry(0, "09:00:00", "10:00"),
        entry(0, "09:00+01:00", "10:00"),
        {"weekday": 0, "opens_at": "09:00"},
    ],
)
async def test_put_opening_hours_refuses_malformed_entries_as_400(
    staff: StaffFactory, client: httpx.AsyncClient, bad: dict[str, Any]
) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    venue = await make_venue()

    response = await client.put(hours_of(venue), json={"ranges": [bad]}, headers=admin.headers)

    assert response.status_code == 400
    assert response.json()["errors"][0]["field"].startswith("ranges.0.")


async def test_put_opening_hours_accepts_touching_ranges_and_the_whole_day(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    venue = await make_venue()
    week = [entry(5, "00:00", "08:00"), entry(5, "08:00", "23:59")]

    response = await client.put(hours_of(venue), json={"ranges": week}, headers=admin.headers)

    assert response.status_code == 200
    assert response.json()["ranges"] == week


# -- closures --------------------------------------------------------------------------------


async def test_create_closure_answers_it_and_lists_it(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    venue = await make_venue()

    created = await client.post(
        closures_of(venue),
        json={"start_date": "2026-12-24", "end_date": "2027-01-02", "reason": " Christmas "},
        headers=admin.headers,
    )
    listed = await client.get(closures_of(venue), headers=admin.headers)

    body = created.json()
    assert created.status_code == 201
    assert body == {
        "id": body["id"],
        "venue_id": str(venue.id),
        "start_date": "2026-12-24",
        "end_date": "2027-01-02",
        "reason": "Christmas",
        "created_at": body["created_at"],
        "overlapping_bookings": [],
        "more_overlapping_bookings": False,
    }
    assert listed.json() == {
        "items": [{k: v for k, v in body.items() if not k.endswith("overlapping_bookings")}],
        "next_cursor": None,
    }
    assert await venue_audit(client, admin, venue) == ["venue.add_closure"]


@pytest.mark.parametrize(
    ("start", "end", "status"),
    [
        ("2026-03-01", "2026-03-01", 201),  # one day
        ("2026-03-02", "2026-03-01", 400),  # ends before it starts
        ("2027-01-01", "2027-12-31", 201),  # 365 days
        ("2028-01-01", "2028-12-31", 201),  # 366 days, a leap year
        ("2027-01-01", "2028-01-01", 201),  # 366 days
        ("2027-01-01", "2028-01-02", 400),  # 367 days
        ("1999-12-31", "2000-01-01", 400),  # before the dates we take
        ("2026-02-30", "2026-03-01", 400),  # no such date
    ],
)
async def test_create_closure_dates_must_run_forwards_for_at_most_366_days(
    staff: StaffFactory, client: httpx.AsyncClient, start: str, end: str, status: int
) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    venue = await make_venue()

    response = await client.post(
        closures_of(venue),
        json={"start_date": start, "end_date": end, "reason": "Works"},
        headers=admin.headers,
    )

    assert response.status_code == status


async def test_create_closure_ending_before_it_starts_names_end_date(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    venue = await make_venue()

    reversed_dates = await client.post(
        closures_of(venue),
        json={"start_date": "2026-03-02", "end_date": "2026-03-01", "reason": "Works"},
        headers=admin.headers,
    )
    too_long = await client.post(
        closures_of(venue),
        json={"start_date": "2026-01-01", "end_date": "2027-12-31", "reason": "Works"},
        headers=admin.headers,
    )

    assert reversed_dates.json()["errors"] == [
        {"field": "end_date", "reason": "must not be before start_date"}
    ]
    assert too_long.json()["errors"] == [
        {"field": "end_date", "reason": "a closure lasts at most 366 days"}
    ]


async def test_create_closure_over_bookings_is_allowed_and_lists_those_it_overlaps(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    venue, elsewhere = await make_venue(), await make_venue()
    hall, annexe, other = (
        await make_room(venue, name="Hall"),
        await make_room(venue, name="Annexe"),
        await make_room(elsewhere),
    )
    # The closure covers 1-2 July 2026 in London (BST): 30 June 23:00 to 2 July 23:00 UTC.
    before = await book(
        hall, datetime(2026, 6, 30, 22, tzinfo=UTC), datetime(2026, 6, 30, 23, tzinfo=UTC)
    )
    late_evening = await book(
        annexe, datetime(2026, 6, 30, 22, 30, tzinfo=UTC), datetime(2026, 6, 30, 23, 30, tzinfo=UTC)
    )
    morning = await book(
        hall, datetime(2026, 7, 2, 9, tzinfo=UTC), datetime(2026, 7, 2, 11, tzinfo=UTC)
    )
    await book(
        hall, datetime(2026, 7, 1, 9, tzinfo=UTC), datetime(2026, 7, 1, 11, tzinfo=UTC), "cancelled"
    )
    await book(other, datetime(2026, 7, 1, 9, tzinfo=UTC), datetime(2026, 7, 1, 11, tzinfo=UTC))
    await book(hall, datetime(2026, 7, 2, 23, tzinfo=UTC), datetime(2026, 7, 3, 1, tzinfo=UTC))

    response = await client.post(
        closures_of(venue),
        json={"start_date": "2026-07-01", "end_date": "2026-07-02", "reason": "Boiler failed"},
        headers=admin.headers,
    )

    assert before not in {b["id"] for b in response.json()["overlapping_bookings"]}
    assert response.status_code == 201
    assert response.json()["overlapping_bookings"] == [
        {
            "id": late_evening,
            "room_id": str(annexe.id),
            "room_name": "Annexe",
            "starts_at": "2026-06-30T22:30:00Z",
            "ends_at": "2026-06-30T23:30:00Z",
            "purpose": "Stress Control",
            "status": "confirmed",
        },
        {
            "id": morning,
            "room_id": str(hall.id),
            "room_name": "Hall",
            "starts_at": "2026-07-02T09:00:00Z",
            "ends_at": "2026-07-02T11:00:00Z",
            "purpose": "Stress Control",
            "status": "confirmed",
        },
    ]
    assert response.json()["more_overlapping_bookings"] is False


async def test_list_closures_filters_by_dates_and_pages_without_gaps(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    venue, other = await make_venue(), await make_venue()
    spans = [(1, 3), (5, 5), (5, 9), (10, 20), (21, 21), (25, 28)]
    made = [await make_closure(venue, date(2026, 8, a), date(2026, 8, b)) for a, b in spans]
    await make_closure(other, date(2026, 8, 1), date(2026, 8, 31))
    in_order = sorted(made, key=lambda c: (c.start_date, str(c.id)))

    filtered = await client.get(
        closures_of(venue), params={"from": "2026-08-05", "to": "2026-08-10"}, headers=admin.headers
    )
    seen: list[str] = []
    params: dict[str, Any] = {"limit": 4}
    while True:
        page = (await client.get(closures_of(venue), params=params, headers=admin.headers)).json()
        seen.extend(c["id"] for c in page["items"])
        if page["next_cursor"] is None:
            break
        params = {"limit": 4, "cursor": page["next_cursor"]}
    backwards = await client.get(
        closures_of(venue), params={"from": "2026-08-10", "to": "2026-08-05"}, headers=admin.headers
    )

    # Those touching 5-10 August, by start date then id: spans (5, 5), (5, 9) and (10, 20).
    assert [c["id"] for c in filtered.json()["items"]] == [str(c.id) for c in in_order[1:4]]
    assert seen == [str(c.id) for c in in_order]
    assert backwards.status_code == 400
    assert backwards.json()["errors"] == [{"field": "to", "reason": "must not be before from"}]


async def test_delete_closure_is_204_then_404_and_audited(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    venue, other = await make_venue(), await make_venue()
    closure = await make_closure(venue, date(2026, 12, 24), date(2026, 12, 26))

    wrong_venue = await client.delete(f"{closures_of(other)}/{closure.id}", headers=admin.headers)
    deleted = await client.delete(f"{closures_of(venue)}/{closure.id}", headers=admin.headers)
    again = await client.delete(f"{closures_of(venue)}/{closure.id}", headers=admin.headers)
    listed = await client.get(closures_of(venue), headers=admin.headers)

    assert wrong_venue.status_code == 404
    assert deleted.status_code == 204
    assert deleted.content == b""
    assert again.status_code == 404
    assert again.json()["detail"] == "No closure with this id at this venue."
    assert listed.json() == {"items": [], "next_cursor": None}
    assert await venue_audit(client, admin, venue) == ["venue.remove_closure"]
    assert await venue_audit(client, admin, other) == []


# -- who may, and unknown venues -------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.FACILITATOR, Role.SUPERVISOR])
async def test_readers_see_hours_and_closures_but_every_write_is_403(
    staff: StaffFactory, client: httpx.AsyncClient, role: Role
) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    reader = await staff.signed_in(role)
    venue = await make_venue(open_from=None)
    closure = await make_closure(venue, date(2026, 12, 24), date(2026, 12, 26))

    reads = [
        await client.get(hours_of(venue), headers=reader.headers),
        await client.get(closures_of(venue), headers=reader.headers),
    ]
    writes = [
        await client.put(
            hours_of(venue), json={"ranges": [entry(0, "09:00", "17:00")]}, headers=reader.headers
        ),
        await client.post(
            closures_of(venue),
            json={"start_date": "2026-05-01", "end_date": "2026-05-01", "reason": "X"},
            headers=reader.headers,
        ),
        await client.delete(f"{closures_of(venue)}/{closure.id}", headers=reader.headers),
    ]

    assert [r.status_code for r in reads] == [200, 200]
    assert reads[0].json() == {"venue_id": str(venue.id), "ranges": []}
    assert [c["id"] for c in reads[1].json()["items"]] == [str(closure.id)]
    assert [w.status_code for w in writes] == [403] * 3
    assert {w.json()["type"] for w in writes} == {PROBLEMS + "forbidden"}
    assert await venue_audit(client, admin, venue) == []


async def test_unknown_venue_hours_and_closures_are_404(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    admin = await staff.signed_in(Role.ADMIN)

    responses = [
        await client.get(hours_of(UNKNOWN), headers=admin.headers),
        await client.put(hours_of(UNKNOWN), json={"ranges": []}, headers=admin.headers),
        await client.get(closures_of(UNKNOWN), headers=admin.headers),
        await client.post(
            closures_of(UNKNOWN),
            json={"start_date": "2026-05-01", "end_date": "2026-05-01", "reason": "X"},
            headers=admin.headers,
        ),
        await client.delete(f"{closures_of(UNKNOWN)}/{UNKNOWN}", headers=admin.headers),
    ]

    assert [r.status_code for r in responses] == [404] * 5
    assert {r.json()["type"] for r in responses} == {PROBLEMS + "not-found"}
