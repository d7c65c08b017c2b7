"""Rooms through HTTP: create in a venue, read, list with filters and pages, edit, archive."""

from typing import Any

import httpx
import pytest

from api.core.actor import Role
from scheduling.tables import Venue
from tests.factories import SignedIn, StaffFactory
from tests.scheduling_factories import make_room, make_venue

PROBLEMS = "https://stepwise.example/problems/"
ROOMS = "/api/v1/rooms"
UNKNOWN = "6f1c1f4e-5d55-4d2b-9a53-0c4f6a1c0b7e"


def rooms_of(venue: Venue) -> str:
    return f"/api/v1/venues/{venue.id}/rooms"


async def create_room(
    client: httpx.AsyncClient, admin: SignedIn, venue: Venue, **fields: Any
) -> dict[str, Any]:
    body = {"name": "Meeting Room", "capacity": 16, **fields}
    response = await client.post(rooms_of(venue), json=body, headers=admin.headers)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def room_names(
    client: httpx.AsyncClient, who: SignedIn, url: str, **params: Any
) -> list[str]:
    response = await client.get(url, params=params, headers=who.headers)
    assert response.status_code == 200, response.text
    return [room["name"] for room in response.json()["items"]]


async def audit_actions(client: httpx.AsyncClient, admin: SignedIn, room_id: str) -> list[str]:
    response = await client.get(
        "/api/v1/audit", params={"entity": "room", "entity_id": room_id}, headers=admin.headers
    )
    return [entry["action"] for entry in reversed(response.json()["items"])]


async def test_create_room_answers_every_field_with_equipment_deduplicated(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    venue = await make_venue(name="Tavistock Library")

    created = await client.post(
        rooms_of(venue),
        json={
            "name": " Upstairs Room ",
            "capacity": 14,
            "equipment": ["screen", "projector", "screen", "hearing_loop"],
            "layout_notes": "Tables in a horseshoe",
        },
        headers=admin.headers,
    )
    body = created.json()
    read = await client.get(f"{ROOMS}/{body['id']}", headers=admin.headers)

    assert created.status_code == 201
    assert created.headers["ETag"] == '"v1"'
    assert body == {
        "id": body["id"],
        "venue_id": str(venue.id),
        "venue_name": "Tavistock Library",
        "venue_is_archived": False,
        "name": "Upstairs Room",
        "capacity": 14,
        "equipment": ["hearing_loop", "projector", "screen"],
        "layout_notes": "Tables in a horseshoe",
        "is_archived": False,
        "version": 1,
        "created_at": body["created_at"],
        "updated_at": body["created_at"],
    }
    assert read.headers["ETag"] == '"v1"'
    assert read.json() == body
    assert await audit_actions(client, admin, body["id"]) == ["room.create"]


@pytest.mark.parametrize(
    ("capacity", "status"), [(0, 400), (1, 201), (500, 201), (501, 400), (-3, 400), ("many", 400)]
)
async def test_create_room_capacity_must_be_1_to_500(
    staff: StaffFactory, client: httpx.AsyncClient, capacity: object, status: int
) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    venue = await make_venue()

    response = await client.post(
        rooms_of(venue), json={"name": "Hall", "capacity": capacity}, headers=admin.headers
    )

    assert response.status_code == status
    if status == 400:
        assert [e["field"] for e in response.json()["errors"]] == ["capacity"]


async def test_create_room_with_unknown_equipment_is_400_naming_it(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    venue = await make_venue()

    response = await client.post(
        rooms_of(venue),
        json={"name": "Hall", "capacity": 20, "equipment": ["projector", "tea urn"]},
        headers=admin.headers,
    )

    assert response.status_code == 400
    assert [e["field"] for e in response.json()["errors"]] == ["equipment.1"]


async def test_create_room_with_control_characters_is_400_naming_the_field(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    venue = await make_venue()

    response = await client.post(
        rooms_of(venue),
        json={"name": "Hall\u007f", "capacity": 20, "layout_notes": "ok\nfine"},
        headers=admin.headers,
    )

    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"field": "name", "reason": "Value error, must be one line, without control characters"}
    ]


async def test_archived_venue_gets_no_new_rooms_409(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    venue = await make_venue(is_archived=True)

    response = await client.post(
        rooms_of(venue), json={"name": "Hall", "capacity": 20}, headers=admin.headers
    )

    assert response.status_code == 409
    assert response.json() == {
        "type": PROBLEMS + "archived",
        "title": "Archived: no new bookings",
        "status": 409,
        "detail": "The venue is archived: unarchive it first.",
        "field": "venue_id",
    }


async def test_list_rooms_filters_by_capacity_equipment_and_venue(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    library, centre = await make_venue(), await make_venue()
    await make_room(library, name="Small", capacity=8, equipment=["flipchart"])
    await make_room(library, name="Twelve", capacity=12, equipment=["projector", "screen"])
    await make_room(centre, name="Hall", capacity=60, equipment=["kitchen", "projector", "screen"])
    await make_room(centre, name="Annexe", capacity=11, equipment=["screen"])

    assert await room_names(client, admin, ROOMS) == ["Annexe", "Hall", "Small", "Twelve"]
    assert await room_names(client, admin, ROOMS, capacity_min=12) == ["Hall", "Twelve"]
    assert await room_names(client, admin, ROOMS, capacity_min=11) == ["Annexe", "Hall", "Twelve"]
    assert await room_names(client, admin, ROOMS, equipment="screen") == [
        "Annexe",
        "Hall",
        "Twelve",
    ]
    assert await room_names(client, admin, ROOMS, equipment=["screen", "kitchen"]) == ["Hall"]
    assert await room_names(client, admin, ROOMS, equipment=["whiteboard"]) == []
    assert await room_names(client, admin, ROOMS, venue=str(library.id)) == ["Small", "Twelve"]
    assert await room_names(client, admin, rooms_of(centre), capacity_min=12) == ["Hall"]
    assert await room_names(client, admin, rooms_of(library), equipment="projector") == ["Twelve"]


async def test_list_rooms_with_bad_filters_is_400(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    admin = await staff.signed_in(Role.ADMIN)

    equipment = await client.get(ROOMS, params={"equipment": "jacuzzi"}, headers=admin.headers)
    capacity = await client.get(ROOMS, params={"capacity_min": 0}, headers=admin.headers)
    cursor = await client.get(ROOMS, params={"cursor": "%%%"}, headers=admin.headers)

    assert [r.status_code for r in (equipment, capacity, cursor)] == [400, 400, 400]


async def test_list_rooms_pages_have_no_gaps_or_repeats(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    venue = await make_venue()
    rooms = [await make_room(venue, name=name) for name in ["B", "A", "B", "B", "C", "A"]]
    expected = [str(r.id) for r in sorted(rooms, key=lambda r: (r.name, str(r.id)))]

    seen: list[str] = []
    params: dict[str, Any] = {"limit": 2}
    while True:
        page = (await client.get(rooms_of(venue), params=params, headers=admin.headers)).json()
        seen.extend(room["id"] for room in page["items"])
        if page["next_cursor"] is None:
            break
        params = {"limit": 2, "cursor": page["next_cursor"]}

    assert seen == expected


async def test_edit_room_needs_current_if_match_and_replaces_equipment(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    venue = await make_venue()
    room = await create_room(client, admin, venue, equipment=["projector", "screen"])
    url = f"{ROOMS}/{room['id']}"

    missing = await client.patch(url, json={"capacity": 10}, headers=admin.headers)
    edited = await client.patch(
        url,
        json={"capacity": 10, "equipment": ["whiteboard"]},
        headers={**admin.headers, "If-Match": '"v1"'},
    )
    stale = await client.patch(
        url, json={"name": "Late"}, headers={**admin.headers, "If-Match": '"v1"'}
    )
    too_big = await client.patch(
        url, json={"capacity": 501}, headers={**admin.headers, "If-Match": '"v2"'}
    )

    assert missing.status_code == 428
    assert edited.status_code == 200
    assert edited.headers["ETag"] == '"v2"'
    assert edited.json() == {
        **room,
        "capacity": 10,
        "equipment": ["whiteboard"],
        "version": 2,
        "updated_at": edited.json()["updated_at"],
    }
    assert stale.status_code == 412
    assert stale.json()["current_version"] == 2
    assert too_big.status_code == 400
    assert (await client.get(url, headers=admin.headers)).json() == edited.json()
    assert await audit_actions(client, admin, room["id"]) == ["room.create", "room.update"]


async def test_archive_hides_room_and_rooms_of_archived_venues_but_keeps_them(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    open_venue, shut_venue = await make_venue(), await make_venue(name="Shut")
    room = await create_room(client, admin, open_venue, name="Retired")
    await make_room(open_venue, name="Current")
    await make_room(shut_venue, name="In shut venue")
    await Venue.update({Venue.is_archived: True}).where(Venue.id == shut_venue.id)
    url = f"{ROOMS}/{room['id']}"

    archived = await client.post(f"{url}/archive", headers={**admin.headers, "If-Match": '"v1"'})
    default = await room_names(client, admin, ROOMS)
    everything = await room_names(client, admin, ROOMS, include_archived="true")
    read = await client.get(url, headers=admin.headers)
    unarchived = await client.post(
        f"{url}/unarchive", headers={**admin.headers, "If-Match": '"v2"'}
    )

    assert archived.status_code == 200
    assert archived.json()["is_archived"] is True
    assert default == ["Current"]
    assert everything == ["Current", "In shut venue", "Retired"]
    assert read.json() == archived.json()
    assert unarchived.json()["is_archived"] is False
    assert await room_names(client, admin, ROOMS) == ["Current", "Retired"]
    assert await audit_actions(client, admin, room["id"]) == [
        "room.create",
        "room.archive",
        "room.unarchive",
    ]


async def test_unarchiving_a_room_of_an_archived_venue_is_409(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    venue = await make_venue(is_archived=True)
    room = await make_room(venue, is_archived=True)

    response = await client.post(
        f"{ROOMS}/{room.id}/unarchive", headers={**admin.headers, "If-Match": '"v1"'}
    )

    assert response.status_code == 409
    assert response.json()["type"] == PROBLEMS + "archived"
    assert (await client.get(f"{ROOMS}/{room.id}", headers=admin.headers)).json()["version"] == 1


@pytest.mark.parametrize("role", [Role.FACILITATOR, Role.SUPERVISOR])
async def test_facilitator_and_supervisor_read_rooms_but_every_write_is_403(
    staff: StaffFactory, client: httpx.AsyncClient, role: Role
) -> None:
    reader = await staff.signed_in(role)
    venue = await make_venue()
    room = await make_room(venue, name="Only")
    url = f"{ROOMS}/{room.id}"
    etag = {**reader.headers, "If-Match": '"v1"'}

    reads = [
        await client.get(ROOMS, headers=reader.headers),
        await client.get(rooms_of(venue), headers=reader.headers),
        await client.get(url, headers=reader.headers),
    ]
    writes = [
        await client.post(rooms_of(venue), json={"name": "X", "capacity": 5}, headers=etag),
        await client.patch(url, json={"name": "X"}, headers=etag),
        await client.post(f"{url}/archive", headers=etag),
        await client.post(f"{url}/unarchive", headers=etag),
    ]

    assert [r.status_code for r in reads] == [200, 200, 200]
    assert reads[2].json()["name"] == "Only"
    assert [w.status_code for w in writes] == [403] * 4
    assert {w.json()["type"] for w in writes} == {PROBLEMS + "forbidden"}


async def test_unknown_room_or_venue_is_404_problem(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    url = f"{ROOMS}/{UNKNOWN}"
    etag = {**admin.headers, "If-Match": '"v1"'}
    venue_rooms = f"/api/v1/venues/{UNKNOWN}/rooms"

    responses = [
        await client.get(url, headers=admin.headers),
        await client.patch(url, json={"name": "X"}, headers=etag),
        await client.post(f"{url}/archive", headers=etag),
        await client.post(f"{url}/unarchive", headers=etag),
        await client.get(venue_rooms, headers=admin.headers),
        await client.post(venue_rooms, json={"name": "X", "capacity": 5}, headers=admin.headers),
        await client.get(ROOMS, params={"venue": UNKNOWN}, headers=admin.headers),
    ]

    assert [r.status_code for r in responses] == [404] * 7
    assert responses[0].json() == {
        "type": PROBLEMS + "not-found",
        "title": "Not found",
        "status": 404,
        "detail": "No room with this id.",
    }
    assert responses[4].json()["detail"] == "No venue with this id."
