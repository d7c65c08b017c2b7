"""The staff page as PostgreSQL writes it is byte for byte the page pydantic writes.

``GET /api/v1/staff`` answers JSON that the database renders (api.core.json_rows) on
PostgreSQL; clients rely on the old form: same keys in the same order, same string
escapes, same instants. These tests compare the body with pydantic's rendering of the
same rows, on awkward values, on both engines.
"""

from datetime import UTC, datetime
from typing import Any

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from api.core.actor import Actor, Role
from api.core.schemas import Page
from api.identity import accounts
from api.identity.schemas import StaffUserRead
from api.identity.tables import StaffUser
from tests.factories import SignedIn, StaffFactory

_PAGE = Page[StaffUserRead].__pydantic_serializer__

AWKWARD_NAMES = [
    'Quote " and back\\slash',
    "Tab\tnew\nline\rcarriage\x08\x0c and \x01\x1f\x7f",
    "Émilie Ø'Brien — ☕ 😀 \u2028\u2029 \ufeff",
    "</script><script>alert(1)</script> & ' /",
    "  spaces kept inside  ",
]


async def _pydantic_body(admin: SignedIn, **filters: Any) -> bytes:
    """The page as the service reads it, written by pydantic (the body's former form)."""
    actor = Actor(user_id=admin.user.id, roles=frozenset(admin.user.roles))
    return _PAGE.to_json(await accounts.list_staff_users(by=actor, **filters))


async def _set(user_id: object, **values: object) -> None:
    await StaffUser.update({getattr(StaffUser, k): v for k, v in values.items()}).where(
        StaffUser.id == user_id
    )


async def test_staff_page_body_is_what_pydantic_writes_for_awkward_values(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    admin = await staff.signed_in(Role.ADMIN, email="aaa-admin@test.example")
    whole_second = datetime(2026, 3, 29, 1, 0, 0, tzinfo=UTC)  # clocks change that night
    one_microsecond = datetime(2026, 10, 25, 1, 59, 59, 1, tzinfo=UTC)
    for number, name in enumerate(AWKWARD_NAMES):
        user = await staff.create(
            Role.FACILITATOR, Role.SUPERVISOR, email=f'o"k\\{number}@test.example'
        )
        await _set(
            user.id,
            full_name=name,
            created_at=whole_second,
            updated_at=one_microsecond,
            version=10**number,
        )
    other = await staff.create(Role.SUPERVISOR, email="zz-inactive@test.example")
    await _set(other.id, is_active=False, must_change_password=True)
    # Written without an offset (SQLite keeps it so; pydantic then writes none either).
    naive = await staff.create(Role.SUPERVISOR, email="naive@test.example")
    await _set(naive.id, created_at=datetime(2026, 1, 2, 3, 4, 5))  # noqa: DTZ001

    cases: list[tuple[dict[str, str], dict[str, Any]]] = [
        ({}, {}),
        ({"include_inactive": "true"}, {"include_inactive": True}),
        ({"role": "supervisor"}, {"role": Role.SUPERVISOR}),
    ]
    for params, filters in cases:
        response = await client.get("/api/v1/staff", params=params, headers=admin.headers)

        assert response.status_code == 200
        assert response.headers["content-type"] == "application/json"
        assert response.content == await _pydantic_body(admin, **filters)
        assert len(response.json()["items"]) == {0: 7, 1: 8, 2: 6}[cases.index((params, filters))]


async def test_staff_pages_and_cursors_are_what_pydantic_writes(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    admin = await staff.signed_in(Role.ADMIN, email="aaa-admin@test.example")
    for number in range(5):
        await staff.create(email=f"person{number}@test.example")

    cursor: str | None = None
    pages = 0
    while True:
        params = {"limit": "2", **({"cursor": cursor} if cursor else {})}
        response = await client.get("/api/v1/staff", params=params, headers=admin.headers)
        expected = await _pydantic_body(admin, limit=2, cursor=cursor)
        assert response.content == expected
        pages += 1
        cursor = response.json()["next_cursor"]
        if cursor is None:
            break

    assert pages == 3


async def test_empty_page_is_what_pydantic_writes(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    admin = await staff.signed_in(Role.ADMIN)

    response = await client.get(
        "/api/v1/staff", params={"role": "supervisor"}, headers=admin.headers
    )

    assert response.status_code == 200
    assert response.content == b'{"items":[],"next_cursor":null}'


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
@given(name=_TEXT, created=_INSTANTS, updated=_INSTANTS, version=st.integers(1, 2**31 - 1))
async def test_any_stored_values_render_as_pydantic_writes_them(
    staff: StaffFactory,
    client: httpx.AsyncClient,
    name: str,
    created: datetime,
    updated: datetime,
    version: int,
) -> None:
    # One database for every example: the admin is made once, the others each time.
    admin = staff.made[-1] if staff.made else await staff.signed_in(Role.ADMIN)
    await StaffUser.delete().where(StaffUser.id != admin.user.id)
    user = await staff.create(email="x@test.example")
    await _set(user.id, full_name=name, created_at=created, updated_at=updated, version=version)

    response = await client.get("/api/v1/staff", headers=admin.headers)

    assert response.content == await _pydantic_body(admin)
