"""The go/no-go list: groups under their minimum as the date nears, and who waits elsewhere."""

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from api.core.actor import Role
from api.identity.tables import AuditEntry
from groups.tables import Course, Group
from tests.api.test_groups_helpers import GROUPS, group_with
from tests.factories import StaffFactory
from tests.group_factories import make_course, make_enrolment, make_patient
from tests.query_count import count_queries

GO_NO_GO = f"{GROUPS}/go-no-go"


def _today() -> date:
    return datetime.now(ZoneInfo("Europe/London")).date()


async def _group(
    staff: StaffFactory, course: Course, *, go_in: int, opted: int, minimum: int = 6, **fields: Any
) -> Group:
    today = _today()
    group = await group_with(
        staff,
        course=course,
        min_participants=minimum,
        go_no_go_date=today + timedelta(days=go_in),
        first_session_date=today + timedelta(days=go_in + 14),
        **fields,
    )
    for n in range(opted):
        await make_enrolment(group, status="active" if n % 2 else "opted_in")
    return group


async def test_go_no_go_lists_short_groups_in_horizon_with_needed_and_waiting_elsewhere(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    course = await make_course(name="Stress Control")
    other_course = await make_course()
    short = await _group(staff, course, go_in=5, opted=2)
    await make_enrolment(short, status="invited")  # invited is not opted in
    overdue = await _group(staff, course, go_in=-3, opted=0, status="scheduled")
    await _group(staff, course, go_in=5, opted=6)  # at its minimum
    await _group(staff, course, go_in=30, opted=0)  # beyond the 21-day horizon
    await _group(staff, course, go_in=5, opted=0, status="cancelled")
    full = await _group(staff, course, go_in=40, opted=6, minimum=6)
    waiter = await make_patient(given_name="Wendy", family_name="Waite")
    waiting = await make_enrolment(
        full, waiter, status="waitlisted", waitlisted_at=datetime.now(ZoneInfo("UTC"))
    )
    elsewhere = await _group(staff, other_course, go_in=2, opted=1)

    response = await client.get(GO_NO_GO, headers=admin.headers)

    assert response.status_code == 200, response.text
    items = response.json()["items"]
    assert [i["group_id"] for i in items] == [str(overdue.id), str(elsewhere.id), str(short.id)]
    first = items[2]
    assert {
        k: first[k] for k in ("days_to_go_no_go", "opted_in", "needed", "min_participants")
    } == {
        "days_to_go_no_go": 5,
        "opted_in": 2,
        "needed": 4,
        "min_participants": 6,
    }
    assert first["waiting_elsewhere"] == [
        {
            "enrolment_id": str(waiting.id),
            "group_id": str(full.id),
            "patient_id": str(waiter.id),
            "given_name": "Wendy",
            "family_name": "Waite",
            "waitlisted_at": first["waiting_elsewhere"][0]["waitlisted_at"],
        }
    ]
    assert items[0]["days_to_go_no_go"] == -3
    assert items[1]["waiting_elsewhere"] == []
    reads = await AuditEntry.select(AuditEntry.entity_id).where(AuditEntry.action == "patient.read")
    assert [r["entity_id"] for r in reads] == [str(waiter.id)]


async def test_go_no_go_is_for_admins_and_supervisors(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    facilitator = await staff.signed_in(Role.FACILITATOR)
    supervisor = await staff.signed_in(Role.SUPERVISOR)

    assert (await client.get(GO_NO_GO, headers=facilitator.headers)).status_code == 403
    assert (await client.get(GO_NO_GO, headers=supervisor.headers)).status_code == 200


async def _count(
    staff: StaffFactory,
    client: httpx.AsyncClient,
    monkeypatch: pytest.MonkeyPatch,
    admin: Any,
    groups: int,
) -> int:
    course = await make_course()
    made = [await _group(staff, course, go_in=n, opted=1) for n in range(groups)]
    for group in made:
        await make_enrolment(
            group, status="waitlisted", waitlisted_at=datetime.now(ZoneInfo("UTC"))
        )
    with count_queries(monkeypatch) as queries:
        response = await client.get(GO_NO_GO, params={"limit": 200}, headers=admin.headers)
    assert response.status_code == 200
    return queries.count


async def test_go_no_go_query_count_does_not_grow_with_groups(
    staff: StaffFactory, client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    two = await _count(staff, client, monkeypatch, admin, 2)
    twelve = await _count(staff, client, monkeypatch, admin, 12)
    assert two == twelve


async def test_go_no_go_pages_by_cursor(staff: StaffFactory, client: httpx.AsyncClient) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    course = await make_course()
    made = [await _group(staff, course, go_in=n, opted=0) for n in range(5)]

    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = (await client.get(GO_NO_GO, params=params, headers=admin.headers)).json()
        assert len(page["items"]) in (1, 2)
        seen += [i["group_id"] for i in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break

    assert seen == [str(g.id) for g in made]
