"""Venues through HTTP: create, read, list with filters and pages, edit with If-Match, archive."""

import asyncio
from typing import Any

import httpx
import pytest

from api.core.actor import Role
from api.core.schemas import encode_cursor
from tests.factories import SignedIn, StaffFactory

PROBLEMS = "https://stepwise.example/problems/"
PROBLEM_JSON = "application/problem+json"
VENUES = "/api/v1/venues"


def venue_body(**fields: Any) -> dict[str, Any]:
    """A valid POST /venues body; override only what the test is about."""
    return {
        "name": "Tavistock Library",
        "kind": "library",
        "address_line_1": "Kilworthy Park",
        "town": "Tavistock",
        "postcode": "PL19 0AE",
        **fields,
    }


async def create_venue(client: httpx.AsyncClient, admin: SignedIn, **fields: Any) -> dict[str, Any]:
    response = await client.post(VENUES, json=venue_body(**fields), headers=admin.headers)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def audit_actions(client: httpx.AsyncClient, admin: SignedIn, venue_id: str) -> list[str]:
    response = await client.get(
        "/api/v1/audit", params={"entity": "venue", "entity_id": venue_id}, headers=admin.headers
    )
    assert response.status_code == 200
    return [entry["action"] for entry in reversed(response.json()["items"])]


async def list_names(client: httpx.AsyncClient, who: SignedIn, **params: Any) -> list[str]:
    response = await client.get(VENUES, params=params, headers=who.headers)
    assert response.status_code == 200, response.text
    return [venue["name"] for venue in response.json()["items"]]


async def test_create_venue_normalises_postcode_and_answers_every_field(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    admin = await staff.signed_in(Role.ADMIN)

    created = await client.post(
        VENUES,
        json=venue_body(
            name="  Okehampton Community Centre ",
            kind="community_centre",
            address_line_2="North Street",
            town="Okehampton",
            postcode=" ex201aa ",
            phone="01837 52  0000",
            email="Bookings@Okehampton.Example",
            access_instructions="Key safe 4821 by the side door",
            step_free_access=True,
            accessible_toilet=True,
            hearing_loop=False,
            parking=True,
            public_transport_notes="Bus 6 stops outside",
            opens_on_bank_holidays=True,
            notes="Hall B is cold in winter",
        ),
        headers=admin.headers,
    )
    body = created.json()
    read = await client.get(f"{VENUES}/{body['id']}", headers=admin.headers)

    assert created.status_code == 201
    assert created.headers["ETag"] == '"v1"'
    assert body == {
        "id": body["id"],
        "name": "Okehampton Community Centre",
        "kind": "community_centre",
        "address_line_1": "Kilworthy Park",
        "address_line_2": "North Street",
        "town": "Okehampton",
        "postcode": "EX20 1AA",
        "postcode_district": "EX20",
        "phone": "01837 52 0000",
        "email": "bookings@okehampton.example",
        "access_instructions": "Key safe 4821 by the side door",
        "step_free_access": True,
        "accessible_toilet": True,
        "hearing_loop": False,
        "parking": True,
        "public_transport_notes": "Bus 6 stops outside",
        "opens_on_bank_holidays": True,
        "notes": "Hall B is cold in winter",
        "is_archived": False,
        "version": 1,
        "created_at": body["created_at"],
        "updated_at": body["created_at"],
    }
    assert read.status_code == 200
    assert read.headers["ETag"] == '"v1"'
    assert read.json() == body


@pytest.mark.parametrize(
    ("postcode", "reason"),
    [
        ("SW1A 1A", "Value error, 'SW1A 1A' is not a UK postcode"),
        ("QQ1 1AA", "Value error, 'QQ1 1AA' is not a UK postcode"),
        ("EC1A 1BC", "Value error, 'EC1A 1BC' is not a UK postcode"),
        ("12345", "Value error, '12345' is not a UK postcode"),
    ],
)
async def test_create_venue_with_invalid_postcode_is_400_naming_postcode(
    staff: StaffFactory, client: httpx.AsyncClient, postcode: str, reason: str
) -> None:
    admin = await staff.signed_in(Role.ADMIN)

    response = await client.post(VENUES, json=venue_body(postcode=postcode), headers=admin.headers)

    assert response.status_code == 400
    assert response.headers["content-type"] == PROBLEM_JSON
    assert response.json() == {
        "type": PROBLEMS + "validation-error",
        "title": "The request is not valid",
        "status": 400,
        "detail": f"postcode: {reason}",
        "errors": [{"field": "postcode", "reason": reason}],
    }


async def test_create_venue_with_bad_kind_phone_email_or_unknown_field_names_each(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    admin = await staff.signed_in(Role.ADMIN)

    bad = await client.post(
        VENUES,
        json=venue_body(kind="castle", phone="123", email="not-an-address"),
        headers=admin.headers,
    )
    letters = await client.post(
        VENUES, json=venue_body(phone="01822 CALL ME"), headers=admin.headers
    )
    unknown = await client.post(VENUES, json=venue_body(door_code="1234"), headers=admin.headers)
    missing = await client.post(VENUES, json={"name": "Only a name"}, headers=admin.headers)

    assert bad.status_code == 400
    assert [e["field"] for e in bad.json()["errors"]] == ["kind", "phone", "email"]
    assert [e["field"] for e in letters.json()["errors"]] == ["phone"]
    assert unknown.status_code == 400
    assert [e["field"] for e in unknown.json()["errors"]] == ["door_code"]
    assert sorted(e["field"] for e in missing.json()["errors"]) == [
        "address_line_1",
        "kind",
        "postcode",
        "town",
    ]


@pytest.mark.parametrize(
    ("field", "value", "reason"),
    [
        ("name", "Hall\u001b[2J", "Value error, must be one line, without control characters"),
        ("town", "Tavi\nstock", "Value error, must be one line, without control characters"),
        ("email", "a\t@b.example", "Value error, must be one line, without control characters"),
        ("address_line_1", "1\u0000", "Value error, must not contain NUL characters"),
        ("notes", "bell\u0007", "Value error, must not contain control characters"),
        ("name", "", "String should have at least 1 character"),
        ("name", "x" * 201, "String should have at most 200 characters"),
    ],
)
async def test_create_venue_with_control_characters_or_bad_length_is_400_naming_the_field(
    staff: StaffFactory, client: httpx.AsyncClient, field: str, value: str, reason: str
) -> None:
    admin = await staff.signed_in(Role.ADMIN)

    response = await client.post(VENUES, json=venue_body(**{field: value}), headers=admin.headers)

    assert response.status_code == 400
    assert response.json()["errors"] == [{"field": field, "reason": reason}]


async def test_create_venue_keeps_line_breaks_in_notes_and_access_instructions(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    admin = await staff.signed_in(Role.ADMIN)

    venue = await create_venue(
        client, admin, notes="Line one\nLine two", access_instructions="Code 1234\r\nKey at desk"
    )

    assert (venue["notes"], venue["access_instructions"]) == (
        "Line one\nLine two",
        "Code 1234\r\nKey at desk",
    )


async def test_list_venues_pages_have_no_gaps_or_repeats(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    # Repeated names: the id breaks the tie, so a page boundary inside a run loses nothing.
    names = ["Bravo", "Alpha", "Bravo", "Charlie", "Bravo", "Alpha", "Delta"]
    created = [await create_venue(client, admin, name=name) for name in names]
    expected = [v["id"] for v in sorted(created, key=lambda v: (v["name"], v["id"]))]

    seen: list[str] = []
    cursor: str | None = None
    pages = 0
    while True:
        params: dict[str, Any] = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = (await client.get(VENUES, params=params, headers=admin.headers)).json()
        seen.extend(v["id"] for v in page["items"])
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break

    assert seen == expected
    assert pages == 4


async def test_list_venues_page_size_bounds(staff: StaffFactory, client: httpx.AsyncClient) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    await create_venue(client, admin)

    too_small = await client.get(VENUES, params={"limit": 0}, headers=admin.headers)
    largest = await client.get(VENUES, params={"limit": 200}, headers=admin.headers)
    too_large = await client.get(VENUES, params={"limit": 201}, headers=admin.headers)
    forged = await client.get(VENUES, params={"cursor": "bm90LWEtY3Vyc29y"}, headers=admin.headers)

    assert too_small.status_code == 400
    assert largest.status_code == 200
    assert too_large.status_code == 400
    assert forged.status_code == 400
    assert forged.json()["errors"] == [
        {"field": "cursor", "reason": "is not a cursor this API gave"}
    ]


@pytest.mark.parametrize(
    "key",
    [
        ("Hall\u0000", "6f1c1f4e-5d55-4d2b-9a53-0c4f6a1c0b7e"),
        ("Hall\ud800", "6f1c1f4e-5d55-4d2b-9a53-0c4f6a1c0b7e"),
        ("Hall", "not-a-uuid"),
        ("Hall",),
    ],
)
async def test_list_venues_with_forged_cursor_is_400(
    staff: StaffFactory, client: httpx.AsyncClient, key: tuple[str, ...]
) -> None:
    admin = await staff.signed_in(Role.ADMIN)

    response = await client.get(
        VENUES, params={"cursor": encode_cursor(*key)}, headers=admin.headers
    )

    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"field": "cursor", "reason": "is not a cursor this API gave"}
    ]


async def test_list_venues_filters_by_town_district_kind_facilities_and_name_prefix(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    await create_venue(client, admin, name="Tavistock Library", postcode="PL19 0AE")
    await create_venue(
        client,
        admin,
        name="Tavistock Surgery",
        kind="gp_surgery",
        postcode="PL19 8DQ",
        step_free_access=True,
        parking=True,
    )
    await create_venue(
        client,
        admin,
        name="Okehampton Hospital",
        kind="community_hospital",
        town="Okehampton",
        postcode="EX20 1PN",
        step_free_access=True,
        hearing_loop=True,
        accessible_toilet=True,
    )
    await create_venue(
        client, admin, name="100% Hall_1", kind="other", town="Crediton", postcode="EX17 2AB"
    )

    assert await list_names(client, admin, town="Tavistock") == [
        "Tavistock Library",
        "Tavistock Surgery",
    ]
    assert await list_names(client, admin, postcode_district="ex20") == ["Okehampton Hospital"]
    assert await list_names(client, admin, kind="gp_surgery") == ["Tavistock Surgery"]
    assert await list_names(client, admin, step_free_access="true") == [
        "Okehampton Hospital",
        "Tavistock Surgery",
    ]
    assert await list_names(client, admin, step_free_access="true", parking="true") == [
        "Tavistock Surgery"
    ]
    assert await list_names(client, admin, hearing_loop="false") == [
        "100% Hall_1",
        "Tavistock Library",
        "Tavistock Surgery",
    ]
    assert await list_names(client, admin, accessible_toilet="true") == ["Okehampton Hospital"]
    assert await list_names(client, admin, q="tavistock s") == ["Tavistock Surgery"]
    assert await list_names(client, admin, q="TAV") == ["Tavistock Library", "Tavistock Surgery"]
    # The user's % and _ are literal characters, not wildcards.
    assert await list_names(client, admin, q="100%") == ["100% Hall_1"]
    assert await list_names(client, admin, q="%") == []
    assert await list_names(client, admin, q="100% Hall_") == ["100% Hall_1"]
    assert await list_names(client, admin, q="100% Hall1") == []


async def test_list_venues_with_invalid_filter_is_400_naming_it(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    admin = await staff.signed_in(Role.ADMIN)

    district = await client.get(VENUES, params={"postcode_district": "9X"}, headers=admin.headers)
    kind = await client.get(VENUES, params={"kind": "castle"}, headers=admin.headers)

    assert district.status_code == 400
    assert district.json()["errors"] == [
        {"field": "postcode_district", "reason": "is not a UK postcode district"}
    ]
    assert kind.status_code == 400
    assert [e["field"] for e in kind.json()["errors"]] == ["kind"]


async def test_edit_venue_without_if_match_is_428_and_with_stale_etag_is_412(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    venue = await create_venue(client, admin)
    url = f"{VENUES}/{venue['id']}"

    missing = await client.patch(url, json={"name": "X"}, headers=admin.headers)
    first = await client.patch(
        url,
        json={"postcode": "ex201aa", "phone": "", "hearing_loop": True},
        headers={**admin.headers, "If-Match": '"v1"'},
    )
    stale = await client.patch(
        url, json={"name": "Second"}, headers={**admin.headers, "If-Match": '"v1"'}
    )
    garbage = await client.patch(
        url, json={"name": "Third"}, headers={**admin.headers, "If-Match": "whatever"}
    )
    bad_postcode = await client.patch(
        url, json={"postcode": "nope"}, headers={**admin.headers, "If-Match": '"v2"'}
    )
    current = await client.get(url, headers=admin.headers)

    assert missing.status_code == 428
    assert missing.json()["type"] == PROBLEMS + "precondition-required"
    assert first.status_code == 200
    assert first.headers["ETag"] == '"v2"'
    assert {k: first.json()[k] for k in ("postcode", "postcode_district", "hearing_loop")} == {
        "postcode": "EX20 1AA",
        "postcode_district": "EX20",
        "hearing_loop": True,
    }
    assert stale.status_code == 412
    assert stale.json() == {
        "type": PROBLEMS + "stale-version",
        "title": "The record changed since you read it",
        "status": 412,
        "detail": "Someone changed this record since you read it: reload and try again.",
        "current_version": 2,
    }
    assert garbage.status_code == 412
    assert [e["field"] for e in bad_postcode.json()["errors"]] == ["postcode"]
    assert current.json() == {**first.json()}
    assert await audit_actions(client, admin, venue["id"]) == ["venue.create", "venue.update"]


async def test_two_admins_editing_a_venue_at_once_never_both_win(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    venue = await create_venue(client, admin)
    url = f"{VENUES}/{venue['id']}"

    responses = await asyncio.gather(
        *(
            client.patch(
                url, json={"notes": f"Editor {n}"}, headers={**admin.headers, "If-Match": '"v1"'}
            )
            for n in range(5)
        )
    )

    assert sorted(r.status_code for r in responses) == [200, 412, 412, 412, 412]
    winner = next(r for r in responses if r.status_code == 200).json()
    assert (await client.get(url, headers=admin.headers)).json() == winner
    assert winner["version"] == 2
    assert await audit_actions(client, admin, venue["id"]) == ["venue.create", "venue.update"]


async def test_archive_hides_venue_from_default_list_but_keeps_row_and_history(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    kept = await create_venue(client, admin, name="Kept")
    gone = await create_venue(client, admin, name="Gone")
    url = f"{VENUES}/{gone['id']}"

    no_etag = await client.post(f"{url}/archive", headers=admin.headers)
    archived = await client.post(f"{url}/archive", headers={**admin.headers, "If-Match": '"v1"'})
    default_list = await list_names(client, admin)
    full_list = await list_names(client, admin, include_archived="true")
    still_there = await client.get(url, headers=admin.headers)
    unarchived = await client.post(
        f"{url}/unarchive", headers={**admin.headers, "If-Match": '"v2"'}
    )

    assert no_etag.status_code == 428
    assert archived.status_code == 200
    assert archived.json()["is_archived"] is True
    assert archived.headers["ETag"] == '"v2"'
    assert default_list == ["Kept"]
    assert full_list == ["Gone", "Kept"]
    assert still_there.json() == archived.json()
    assert unarchived.json()["is_archived"] is False
    assert await list_names(client, admin) == ["Gone", "Kept"]
    assert await audit_actions(client, admin, gone["id"]) == [
        "venue.create",
        "venue.archive",
        "venue.unarchive",
    ]
    assert await audit_actions(client, admin, kept["id"]) == ["venue.create"]


@pytest.mark.parametrize("role", [Role.FACILITATOR, Role.SUPERVISOR])
async def test_facilitator_and_supervisor_read_venues_but_every_write_is_403(
    staff: StaffFactory, client: httpx.AsyncClient, role: Role
) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    reader = await staff.signed_in(role)
    venue = await create_venue(client, admin)
    url = f"{VENUES}/{venue['id']}"
    etag = {"If-Match": '"v1"'}

    listed = await client.get(VENUES, headers=reader.headers)
    read = await client.get(url, headers=reader.headers)
    writes = [
        await client.post(VENUES, json=venue_body(), headers=reader.headers),
        await client.patch(url, json={"name": "X"}, headers={**reader.headers, **etag}),
        await client.post(f"{url}/archive", headers={**reader.headers, **etag}),
        await client.post(f"{url}/unarchive", headers={**reader.headers, **etag}),
    ]

    assert listed.status_code == 200
    assert [v["id"] for v in listed.json()["items"]] == [venue["id"]]
    assert read.json() == venue
    assert [w.status_code for w in writes] == [403] * 4
    assert {w.json()["type"] for w in writes} == {PROBLEMS + "forbidden"}
    assert await audit_actions(client, admin, venue["id"]) == ["venue.create"]


async def test_unknown_venue_is_404_problem(staff: StaffFactory, client: httpx.AsyncClient) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    url = f"{VENUES}/6f1c1f4e-5d55-4d2b-9a53-0c4f6a1c0b7e"
    etag = {"If-Match": '"v1"'}

    responses = [
        await client.get(url, headers=admin.headers),
        await client.patch(url, json={"name": "X"}, headers={**admin.headers, **etag}),
        await client.post(f"{url}/archive", headers={**admin.headers, **etag}),
        await client.post(f"{url}/unarchive", headers={**admin.headers, **etag}),
    ]
    malformed = await client.get(f"{VENUES}/not-a-uuid", headers=admin.headers)

    assert [r.status_code for r in responses] == [404] * 4
    assert responses[0].headers["content-type"] == PROBLEM_JSON
    assert responses[0].json() == {
        "type": PROBLEMS + "not-found",
        "title": "Not found",
        "status": 404,
        "detail": "No venue with this id.",
    }
    assert {r.json()["type"] for r in responses} == {PROBLEMS + "not-found"}
    assert malformed.status_code == 404


async def test_signed_out_venue_list_is_401(client: httpx.AsyncClient) -> None:
    response = await client.get(VENUES)

    assert response.status_code == 401
    assert response.json()["type"] == PROBLEMS + "not-authenticated"
