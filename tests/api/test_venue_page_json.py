"""The venue page as the database writes it is byte for byte the page pydantic writes.

``GET /api/v1/venues`` answers JSON that the database renders (api.core.json_rows), with
a query compiled once per shape of filters; clients rely on the old form: same keys in the
same order, same string escapes, same instants, same cursors. These tests compare the body
with pydantic's rendering of the same rows (``list_venues``), on awkward values and every
filter, on both engines.
"""

from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from api.core.actor import Actor, Role
from api.core.database import engine
from api.core.prepared import Param
from api.core.schemas import Page
from scheduling import venues
from scheduling.schemas.venues import VenueKind, VenueRead
from scheduling.tables import Venue
from tests.factories import SignedIn, StaffFactory

_PAGE = Page[VenueRead].__pydantic_serializer__
VENUES = "/api/v1/venues"

AWKWARD_TEXTS = [
    'Quote " and back\\slash',
    "Tab\tnew\nline\rcarriage\x08\x0c and \x01\x1f\x7f",
    "Émilie Ø'Brien — ☕ 😀 \u2028\u2029 \ufeff",
    "</script><script>alert(1)</script> & ' /",
    "  spaces kept inside  ",
    "100% _wild_ \\ cards",
]

_ONE_LINE = str.maketrans(dict.fromkeys("\t\n\r\x08\x0c\x01\x1f\x7f", "?"))


async def _pydantic_body(who: SignedIn, **filters: Any) -> bytes:
    """The page as the service reads it, written by pydantic (the body's former form)."""
    actor = Actor(user_id=who.user.id, roles=frozenset(who.user.roles))
    return _PAGE.to_json(await venues.list_venues(by=actor, **filters))


def _venue(name: str, **values: Any) -> Venue:
    fields: dict[str, Any] = {
        "name": name,
        "kind": VenueKind.LIBRARY.value,
        "address_line_1": "1 High Street",
        "town": "Tavistock",
        "postcode": "PL19 0AE",
        "postcode_district": "PL19",
        "created_at": datetime(2026, 3, 29, 1, 0, 0, tzinfo=UTC),  # clocks change that night
        "updated_at": datetime(2026, 10, 25, 1, 59, 59, 1, tzinfo=UTC),
        **values,
    }
    return Venue(**fields)


async def _seed_awkward() -> None:
    rows = []
    for number, text in enumerate(AWKWARD_TEXTS):
        rows.append(
            _venue(
                # A name is one line (the API refuses others, and so would a cursor naming
                # it); the other text fields carry the control characters.
                text.translate(_ONE_LINE),
                kind=list(VenueKind)[number % len(VenueKind)].value,
                address_line_2=text,
                town="Okehampton" if number % 2 else "Tavistock",
                postcode_district="EX20" if number % 2 else "PL19",
                phone=text,
                email=text,
                access_instructions=text,
                step_free_access=number % 2 == 0,
                accessible_toilet=number % 3 == 0,
                hearing_loop=number % 4 == 0,
                parking=number % 5 == 0,
                public_transport_notes=text,
                opens_on_bank_holidays=number % 2 == 1,
                notes=text,
                version=10**number,
            )
        )
    rows.append(_venue("Archived hall", is_archived=True))
    rows.append(_venue("Same name"))
    rows.append(_venue("Same name"))  # the id breaks the tie, in the cursor too
    await Venue.insert(*rows)


async def test_venue_page_body_is_what_pydantic_writes_for_awkward_values_and_filters(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    reader = await staff.signed_in(Role.SUPERVISOR)
    await _seed_awkward()
    cases: list[tuple[dict[str, str], dict[str, Any], int]] = [
        ({}, {}, 8),
        ({"include_archived": "true"}, {"include_archived": True}, 9),
        ({"town": " Okehampton "}, {"town": " Okehampton "}, 3),
        ({"postcode_district": "ex20"}, {"postcode_district": "ex20"}, 3),
        ({"kind": "library"}, {"kind": VenueKind.LIBRARY}, 3),
        ({"q": "same"}, {"q": "same"}, 2),
        ({"q": "100% _"}, {"q": "100% _"}, 1),
        ({"q": "100%%"}, {"q": "100%%"}, 0),
        (
            {"step_free_access": "true", "parking": "false"},
            {"facilities": {"step_free_access": True, "parking": False}},
            2,
        ),
        (
            {"hearing_loop": "true", "accessible_toilet": "true", "include_archived": "true"},
            {
                "facilities": {"hearing_loop": True, "accessible_toilet": True},
                "include_archived": True,
            },
            1,
        ),
    ]
    for params, filters, count in cases:
        response = await client.get(VENUES, params=params, headers=reader.headers)

        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == "application/json"
        assert "etag" not in response.headers
        assert response.content == await _pydantic_body(reader, **filters), params
        assert len(response.json()["items"]) == count, params


async def test_venue_pages_and_cursors_are_what_pydantic_writes(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    reader = await staff.signed_in(Role.FACILITATOR)
    await _seed_awkward()

    for params in ({}, {"town": "Tavistock"}, {"include_archived": "true"}):
        cursor: str | None = None
        seen = 0
        while True:
            query = {**params, "limit": "2", **({"cursor": cursor} if cursor else {})}
            response = await client.get(VENUES, params=query, headers=reader.headers)
            filters: dict[str, Any] = {
                "town": params.get("town"),
                "include_archived": "include_archived" in params,
            }
            assert response.content == await _pydantic_body(
                reader, limit=2, cursor=cursor, **filters
            )
            seen += len(response.json()["items"])
            cursor = response.json()["next_cursor"]
            if cursor is None:
                break

        assert seen == {0: 8, 1: 5, 2: 9}[len(params) and (1 if "town" in params else 2)]


async def test_empty_page_is_what_pydantic_writes(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    reader = await staff.signed_in(Role.ADMIN)

    response = await client.get(VENUES, headers=reader.headers)

    assert response.status_code == 200
    assert response.content == b'{"items":[],"next_cursor":null}'


async def test_bad_filters_are_the_same_problems_as_before(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    reader = await staff.signed_in(Role.ADMIN)

    for params, field in (
        ({"town": "a\nb"}, "town"),
        ({"postcode_district": "nowhere"}, "postcode_district"),
        ({"q": "a\x01"}, "q"),
        ({"cursor": "not-a-cursor"}, "cursor"),
    ):
        response = await client.get(VENUES, params=params, headers=reader.headers)

        assert response.status_code == 400, params
        assert response.headers["content-type"] == "application/problem+json"
        assert [error["field"] for error in response.json()["errors"]] == [field]


_TEXT = st.text(
    alphabet=st.characters(exclude_categories=["Cs"], exclude_characters="\x00"),
    min_size=1,
    max_size=40,
)
# Naive bounds are what hypothesis asks for; the values it draws are UTC.
_INSTANTS = st.datetimes(
    min_value=datetime(1970, 1, 1),  # noqa: DTZ001
    max_value=datetime(2200, 1, 1),  # noqa: DTZ001
    timezones=st.just(UTC),
)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    name=_TEXT,
    notes=_TEXT,
    created=_INSTANTS,
    updated=_INSTANTS,
    version=st.integers(1, 2**31 - 1),
    flags=st.lists(st.booleans(), min_size=5, max_size=5),
)
async def test_any_stored_values_render_as_pydantic_writes_them(
    staff: StaffFactory,
    client: httpx.AsyncClient,
    name: str,
    notes: str,
    created: datetime,
    updated: datetime,
    version: int,
    flags: list[bool],
) -> None:
    # One database for every example: the reader is made once, the venues each time.
    reader = staff.made[-1] if staff.made else await staff.signed_in(Role.SUPERVISOR)
    await Venue.delete(force=True)
    await Venue.insert(
        _venue(
            name,
            notes=notes,
            access_instructions=notes,
            created_at=created,
            updated_at=updated,
            version=version,
            step_free_access=flags[0],
            accessible_toilet=flags[1],
            hearing_loop=flags[2],
            parking=flags[3],
            opens_on_bank_holidays=flags[4],
        ),
        _venue(notes),
    )

    response = await client.get(VENUES, params={"limit": "1"}, headers=reader.headers)

    assert response.content == await _pydantic_body(reader, limit=1)


@pytest.mark.sqlite_only  # PostgreSQL chooses its plan from statistics; this pins SQLite's
async def test_default_page_is_one_ordered_index_range_not_a_sort_of_every_venue(
    database: None,
) -> None:
    """SQLite keeps no statistics: without the (is_archived, name, id) index it chose the
    is_archived index and sorted every live venue, rendering each one's JSON first."""
    shape = (False, *(False,) * (4 + 4), False, 50)
    query = venues._list_json_query(
        tuple(Param(index) for index in range(10)),
        shape=shape,
        include_archived=False,
        limit=50,
        postgres=False,
    )
    sql, args = query.querystrings[0].compile_string(engine_type="sqlite")
    plan = await engine()._run_sql("EXPLAIN QUERY PLAN " + sql, list(args))
    steps = [row["detail"] for row in plan]
    assert not any("TEMP B-TREE" in step for step in steps), steps
    assert any("venue_by_archived_name_id" in step for step in steps), steps
