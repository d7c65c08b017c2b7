"""The audit log: writes are recorded with who, what and the request id; reading is filtered."""

import asyncpg
import httpx
import pytest

from api.core.actor import Role
from api.identity.tables import AuditEntry
from tests.factories import StaffFactory


async def test_each_write_is_audited_with_actor_entity_and_request_id(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    created = await client.post(
        "/api/v1/staff",
        json={"email": "audited@test.example", "full_name": "Audited", "roles": ["facilitator"]},
        headers={**admin.headers, "X-Request-ID": "req-create-0001"},
    )
    user_id = created.json()["id"]

    log = await client.get(
        "/api/v1/audit",
        params={"entity": "staff_user", "entity_id": user_id},
        headers=admin.headers,
    )

    entries = log.json()["items"]
    assert log.status_code == 200
    assert [(e["action"], e["actor_id"], e["actor_kind"], e["request_id"]) for e in entries] == [
        ("staff_user.create", str(admin.user.id), "staff", "req-create-0001")
    ]


async def test_audit_filters_by_user_and_pages_newest_first(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    supervisor = await staff.signed_in(Role.SUPERVISOR)
    admin = await staff.signed_in(Role.ADMIN)
    for number in range(3):
        await client.post(
            "/api/v1/staff",
            json={"email": f"p{number}@test.example", "full_name": "P", "roles": ["facilitator"]},
            headers=admin.headers,
        )

    first = await client.get(
        "/api/v1/audit",
        params={"actor_id": str(admin.user.id), "limit": "2"},
        headers=supervisor.headers,
    )
    second = await client.get(
        "/api/v1/audit",
        params={"actor_id": str(admin.user.id), "cursor": first.json()["next_cursor"]},
        headers=supervisor.headers,
    )

    actions = [e["action"] for e in first.json()["items"] + second.json()["items"]]
    assert actions == ["staff_user.create"] * 3 + ["auth.login"]
    assert second.json()["next_cursor"] is None
    ids = [e["id"] for e in first.json()["items"] + second.json()["items"]]
    assert ids == sorted(ids, reverse=True)


async def test_audit_is_not_for_facilitators_and_cannot_be_changed(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    facilitator = await staff.signed_in(Role.FACILITATOR)
    admin = await staff.signed_in(Role.ADMIN)

    read = await client.get("/api/v1/audit", headers=facilitator.headers)
    delete = await client.delete("/api/v1/audit", headers=admin.headers)
    post = await client.post("/api/v1/audit", json={}, headers=admin.headers)

    assert read.status_code == 403
    assert delete.status_code == 405
    assert post.status_code == 405


async def test_audit_with_forged_cursor_is_400_naming_cursor(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    admin = await staff.signed_in(Role.ADMIN)

    response = await client.get(
        "/api/v1/audit", params={"cursor": "WyJ4Il0="}, headers=admin.headers
    )

    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"field": "cursor", "reason": "is not a cursor this API gave"}
    ]


@pytest.mark.postgres_only
async def test_audit_rows_cannot_be_updated_or_deleted_in_postgresql(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    await staff.signed_in(Role.ADMIN)  # creating and signing in write audit entries

    with pytest.raises(asyncpg.RaiseError, match="append-only"):
        await AuditEntry.update({AuditEntry.action: "edited"}).where(AuditEntry.id > 0)
    with pytest.raises(asyncpg.RaiseError, match="append-only"):
        await AuditEntry.delete().where(AuditEntry.id > 0)

    actions = sorted(row["action"] for row in await AuditEntry.select(AuditEntry.action))
    assert actions == ["auth.login", "staff_user.create"]
