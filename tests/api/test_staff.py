"""Staff accounts through HTTP: create, one-time passwords, edits with If-Match, lists."""

import asyncio

import httpx

from api.core.actor import Role
from tests.factories import StaffFactory

PROBLEMS = "https://stepwise.example/problems/"


async def test_create_staff_gives_one_time_password_that_must_be_changed(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    admin = await staff.signed_in(Role.ADMIN)

    created = await client.post(
        "/api/v1/staff",
        json={
            "email": "New.Person@Test.Example",
            "full_name": "New Person",
            "roles": ["facilitator"],
        },
        headers=admin.headers,
    )
    otp = created.json()["one_time_password"]
    login = await staff.login("new.person@test.example", otp)
    token = {"Authorization": f"Bearer {login.json()['access_token']}"}
    blocked = await client.get("/api/v1/audit", headers=token)
    me = await client.get("/api/v1/auth/me", headers=token)
    changed = await client.post(
        "/api/v1/auth/password",
        json={"current_password": otp, "new_password": "a-fresh-passphrase-42"},
        headers=token,
    )
    me_after = await client.get("/api/v1/auth/me", headers=token)

    assert created.status_code == 201
    assert created.json()["email"] == "new.person@test.example"
    assert created.json()["must_change_password"] is True
    assert len(otp) >= 16
    assert login.json()["password_change_required"] is True
    assert blocked.status_code == 403
    assert blocked.json()["type"] == PROBLEMS + "password-change-required"
    assert me.status_code == 200
    assert changed.status_code == 204
    assert me_after.json()["must_change_password"] is False


async def test_create_staff_with_existing_email_is_409_naming_the_field(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    await staff.create(email="taken@test.example")

    response = await client.post(
        "/api/v1/staff",
        json={"email": "TAKEN@test.example", "full_name": "Dup", "roles": ["supervisor"]},
        headers=admin.headers,
    )

    assert response.status_code == 409
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json() == {
        "type": PROBLEMS + "conflict",
        "title": "Conflict with the current state",
        "status": 409,
        "detail": "A staff account with this email already exists.",
        "field": "email",
    }


async def test_create_staff_with_no_roles_or_unknown_role_is_400(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    admin = await staff.signed_in(Role.ADMIN)

    no_roles = await client.post(
        "/api/v1/staff",
        json={"email": "a@test.example", "full_name": "A", "roles": []},
        headers=admin.headers,
    )
    unknown = await client.post(
        "/api/v1/staff",
        json={"email": "a@test.example", "full_name": "A", "roles": ["superuser"]},
        headers=admin.headers,
    )

    assert no_roles.status_code == 400
    assert [e["field"] for e in no_roles.json()["errors"]] == ["roles"]
    assert unknown.status_code == 400
    assert unknown.json()["errors"][0]["field"].startswith("roles")


async def test_edit_without_if_match_is_428_and_with_stale_etag_is_412(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    other = await staff.create()
    url = f"/api/v1/staff/{other.id}"
    etag = (await client.get(url, headers=admin.headers)).headers["ETag"]

    missing = await client.patch(url, json={"full_name": "X"}, headers=admin.headers)
    first = await client.patch(
        url, json={"full_name": "First Edit"}, headers={**admin.headers, "If-Match": etag}
    )
    stale = await client.patch(
        url, json={"full_name": "Second Edit"}, headers={**admin.headers, "If-Match": etag}
    )
    current = await client.get(url, headers=admin.headers)

    assert missing.status_code == 428
    assert missing.json()["type"] == PROBLEMS + "precondition-required"
    assert first.status_code == 200
    assert first.headers["ETag"] == '"v2"'
    assert stale.status_code == 412
    assert stale.json()["type"] == PROBLEMS + "stale-version"
    assert stale.json()["current_version"] == 2
    assert current.json()["full_name"] == "First Edit"


async def test_two_admins_editing_at_once_never_both_win(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    other = await staff.create()
    url = f"/api/v1/staff/{other.id}"
    etag = (await client.get(url, headers=admin.headers)).headers["ETag"]

    responses = await asyncio.gather(
        *(
            client.patch(
                url, json={"full_name": f"Editor {n}"}, headers={**admin.headers, "If-Match": etag}
            )
            for n in range(5)
        )
    )

    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200, 412, 412, 412, 412]
    winner = next(r for r in responses if r.status_code == 200).json()["full_name"]
    assert (await client.get(url, headers=admin.headers)).json()["full_name"] == winner


async def test_admin_cannot_remove_own_admin_role_or_deactivate_self(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    url = f"/api/v1/staff/{admin.user.id}"
    etag = (await client.get(url, headers=admin.headers)).headers["ETag"]

    demote = await client.patch(
        url, json={"roles": ["supervisor"]}, headers={**admin.headers, "If-Match": etag}
    )
    deactivate = await client.post(f"{url}/deactivate", headers={**admin.headers, "If-Match": etag})

    assert demote.status_code == 409
    assert deactivate.status_code == 409


async def test_password_reset_ends_sessions_and_forces_a_change(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    facilitator = await staff.signed_in(Role.FACILITATOR)

    reset = await client.post(
        f"/api/v1/staff/{facilitator.user.id}/password-reset", headers=admin.headers
    )
    old_token = await client.get("/api/v1/auth/me", headers=facilitator.headers)
    old_password = await staff.login(facilitator.user.email)
    new_login = await staff.login(facilitator.user.email, reset.json()["one_time_password"])

    assert reset.status_code == 200
    assert old_token.status_code == 401
    assert old_password.status_code == 401
    assert new_login.json()["password_change_required"] is True


async def test_change_password_refuses_weak_or_wrong_current_and_names_the_field(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    user = await staff.signed_in(Role.SUPERVISOR)

    wrong = await client.post(
        "/api/v1/auth/password",
        json={"current_password": "not-it-at-all", "new_password": "another-good-one-77"},
        headers=user.headers,
    )
    weak = await client.post(
        "/api/v1/auth/password",
        json={"current_password": user.password, "new_password": "password123"},
        headers=user.headers,
    )

    assert wrong.status_code == 400
    assert wrong.json()["errors"] == [
        {"field": "current_password", "reason": "is not your current password"}
    ]
    assert weak.status_code == 400
    assert {e["field"] for e in weak.json()["errors"]} == {"new_password"}
    assert "is a commonly used password" in [e["reason"] for e in weak.json()["errors"]]


async def test_list_staff_pages_in_email_order_without_gaps_or_repeats(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    admin = await staff.signed_in(Role.ADMIN, email="aaa-admin@test.example")
    for number in range(7):
        await staff.create(email=f"person{number:02}@test.example")

    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        params = {"limit": "3", **({"cursor": cursor} if cursor else {})}
        page = (await client.get("/api/v1/staff", params=params, headers=admin.headers)).json()
        seen.extend(item["email"] for item in page["items"])
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break

    assert pages == 3
    assert seen == ["aaa-admin@test.example"] + [f"person{n:02}@test.example" for n in range(7)]


async def test_list_staff_filters_by_role_and_hides_inactive_by_default(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    admin = await staff.signed_in(Role.ADMIN, email="admin@test.example")
    await staff.create(Role.SUPERVISOR, email="sup@test.example")
    facilitator = await staff.create(Role.FACILITATOR, email="fac@test.example")
    etag = (await client.get(f"/api/v1/staff/{facilitator.id}", headers=admin.headers)).headers[
        "ETag"
    ]
    await client.post(
        f"/api/v1/staff/{facilitator.id}/deactivate", headers={**admin.headers, "If-Match": etag}
    )

    supervisors = await client.get(
        "/api/v1/staff", params={"role": "supervisor"}, headers=admin.headers
    )
    active = await client.get("/api/v1/staff", headers=admin.headers)
    everyone = await client.get(
        "/api/v1/staff", params={"include_inactive": "true"}, headers=admin.headers
    )

    assert [u["email"] for u in supervisors.json()["items"]] == ["sup@test.example"]
    assert [u["email"] for u in active.json()["items"]] == [
        "admin@test.example",
        "sup@test.example",
    ]
    assert [u["email"] for u in everyone.json()["items"]] == [
        "admin@test.example",
        "fac@test.example",
        "sup@test.example",
    ]


async def test_non_admin_reading_another_account_is_403(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    supervisor = await staff.signed_in(Role.SUPERVISOR)
    other = await staff.create()

    response = await client.get(f"/api/v1/staff/{other.id}", headers=supervisor.headers)

    assert response.status_code == 403
