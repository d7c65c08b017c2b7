"""Races on module drafts and slugs: one wins, the rest get a clean 409, nothing half-made."""

import asyncio

import httpx

from api.core.actor import Role
from materials.tables import Module, ModuleVersion
from tests.factories import StaffFactory

MODULES = "/api/v1/modules"


async def test_five_creates_of_one_slug_make_one_module(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    body = {"slug": "managing-stress", "title": "Managing stress"}

    responses = await asyncio.gather(
        *(client.post(MODULES, json=body, headers=admin.headers) for _ in range(5))
    )

    assert sorted(r.status_code for r in responses) == [201, 409, 409, 409, 409]
    assert (await Module.count(), await ModuleVersion.count()) == (1, 1)


async def test_five_new_drafts_of_one_variant_at_once_make_one_draft(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    first = await client.post(
        MODULES, json={"slug": "sleep-hygiene", "title": "Sleep"}, headers=admin.headers
    )
    await client.post(
        f"/api/v1/module-versions/{first.json()['id']}/publish",
        headers={**admin.headers, "If-Match": '"v1"'},
    )
    url = f"{MODULES}/{first.json()['module_id']}/versions"

    responses = await asyncio.gather(
        *(client.post(url, json={"title": f"Sleep {n}"}, headers=admin.headers) for n in range(5))
    )

    assert sorted(r.status_code for r in responses) == [201, 409, 409, 409, 409]
    assert {r.json()["type"].rsplit("/", 1)[1] for r in responses if r.status_code == 409} == {
        "draft-exists"
    }
    numbers = sorted(row["number"] for row in await ModuleVersion.select(ModuleVersion.number))
    assert numbers == [1, 2]
