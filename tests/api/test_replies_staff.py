"""Staff reading patients' replies: who sees which, unread first, marking read, audited."""

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from api.core.actor import Role
from api.identity.tables import AuditEntry
from scheduling.tables import InboundMessage
from tests.api.test_replies import (
    AUTH,
    CALLBACK,
    TOKEN,
    Scene,
    _set_token,
    scene,
    send_reminder,
    text,
)
from tests.booking_requests import PROBLEM, problem
from tests.factories import SignedIn, StaffFactory
from tests.group_factories import make_enrolment, make_patient

REPLIES = "/api/v1/replies"
NO_REPLY = problem("not-found", "Not found", 404, "No reply with this id.")


@pytest.fixture(autouse=True)
def callback_token() -> Iterator[str]:
    old = _set_token(TOKEN)
    try:
        yield TOKEN
    finally:
        _set_token(old)


class World:
    """Two facilitators' groups, each with a YES; an unmatched and an ambiguous text."""

    mine: Scene
    theirs: Scene
    me: SignedIn
    ids: dict[str, str]


async def world(client: httpx.AsyncClient, staff: StaffFactory) -> World:
    made = World()
    made.me = await staff.signed_in(Role.FACILITATOR)
    made.mine = await scene(staff, mobile="07700900001", facilitator_id=made.me.user.id)
    made.theirs = await scene(staff, mobile="07700900002")
    partner = await make_patient(mobile_phone="07700900002")

    await send_reminder(
        made.theirs.group,
        made.theirs.session,
        await make_enrolment(made.theirs.group, partner),
        partner,
    )
    made.ids = {}
    for label, message, number in (
        ("mine", "yes", "447700900001"),
        ("shared", "no", "447700900002"),
        ("unknown", "who is this?", "447700900999"),
    ):
        response = await client.post(CALLBACK, json=text(message, number=number), headers=AUTH)
        assert response.status_code == 204
        row = (
            await InboundMessage.select(InboundMessage.id)
            .where(InboundMessage.from_number == "+" + number)
            .first()
        )
        assert row is not None
        made.ids[label] = str(row["id"])
    return made


def _ids(response: httpx.Response) -> list[str]:
    assert response.status_code == 200, response.text
    return sorted(item["id"] for item in response.json()["items"])


async def test_facilitators_see_their_groups_replies_and_admins_the_unplaced_ones(
    client: httpx.AsyncClient, staff: StaffFactory
) -> None:
    made = await world(client, staff)
    admin = await staff.signed_in(Role.ADMIN)
    supervisor = await staff.signed_in(Role.SUPERVISOR)
    stranger = await staff.signed_in(Role.FACILITATOR)

    as_me = await client.get(REPLIES, headers=made.me.headers)
    as_admin = await client.get(REPLIES, headers=admin.headers)
    as_supervisor = await client.get(REPLIES, headers=supervisor.headers)
    as_stranger = await client.get(REPLIES, headers=stranger.headers)

    assert _ids(as_me) == [made.ids["mine"]]
    assert _ids(as_admin) == sorted([made.ids["shared"], made.ids["unknown"]])
    assert _ids(as_supervisor) == sorted(made.ids.values())
    assert _ids(as_stranger) == []
    [item] = as_me.json()["items"]
    assert {key: item[key] for key in item if key not in ("id", "received_at")} == {
        "from_number": "+447700900001",
        "body": "yes",
        "outcome": "confirmed",
        "patient_id": str(made.mine.patient.id),
        "session_id": str(made.mine.session.id),
        "group_id": str(made.mine.group.id),
        "attendance_recorded": False,
        "read_at": None,
        "read_by": None,
    }
    reads = await AuditEntry.select(AuditEntry.entity_id).where(
        (AuditEntry.action == "patient.read") & (AuditEntry.actor == made.me.user.id)
    )
    assert reads == [{"entity_id": str(made.mine.patient.id)}]


async def test_marking_read_keeps_the_first_reader_and_drops_it_from_unread(
    client: httpx.AsyncClient, staff: StaffFactory
) -> None:
    made = await world(client, staff)
    other = await staff.signed_in(Role.SUPERVISOR)
    reply = made.ids["mine"]

    first = await client.post(f"{REPLIES}/{reply}/read", headers=made.me.headers)
    again = await client.post(f"{REPLIES}/{reply}/read", headers=other.headers)
    unread = await client.get(f"{REPLIES}?unread=true", headers=other.headers)
    read = await client.get(f"{REPLIES}?unread=false", headers=other.headers)

    assert first.status_code == 200, first.text
    assert first.json()["read_by"] == str(made.me.user.id)
    assert first.json()["read_at"] is not None
    assert again.json() == first.json()
    assert _ids(unread) == sorted([made.ids["shared"], made.ids["unknown"]])
    assert _ids(read) == [reply]
    marks = await AuditEntry.select(AuditEntry.actor).where(
        AuditEntry.action == "inbound_message.read"
    )
    assert marks == [{"actor": made.me.user.id}]


@pytest.mark.parametrize(
    ("who", "which"),
    [
        ("stranger", "mine"),  # another facilitator's group
        ("me", "unknown"),  # facilitators never see unplaced replies
        ("admin", "mine"),  # admins never see matched (clinical) ones
        ("me", "never-stored"),
    ],
)
async def test_marking_a_reply_one_may_not_see_is_404(
    client: httpx.AsyncClient, staff: StaffFactory, who: str, which: str
) -> None:
    made = await world(client, staff)
    callers = {
        "me": made.me,
        "stranger": await staff.signed_in(Role.FACILITATOR),
        "admin": await staff.signed_in(Role.ADMIN),
    }
    reply = made.ids.get(which, "00000000-0000-4000-8000-000000000000")

    response = await client.post(f"{REPLIES}/{reply}/read", headers=callers[who].headers)

    assert (response.status_code, response.headers["content-type"]) == (404, PROBLEM)
    assert response.json() == NO_REPLY
    rows = await InboundMessage.select(InboundMessage.read_at).where(
        InboundMessage.read_at.is_not_null()
    )
    assert rows == []


async def test_replies_page_newest_first_by_cursor(
    client: httpx.AsyncClient, staff: StaffFactory
) -> None:
    made = await world(client, staff)
    supervisor = await staff.signed_in(Role.SUPERVISOR)
    seen: list[str] = []
    url = f"{REPLIES}?limit=2"
    pages: list[dict[str, Any]] = []
    while True:
        response = await client.get(url, headers=supervisor.headers)
        assert response.status_code == 200, response.text
        page = response.json()
        pages.append(page)
        seen.extend(item["id"] for item in page["items"])
        if page["next_cursor"] is None:
            break
        url = f"{REPLIES}?limit=2&cursor={page['next_cursor']}"

    assert [len(page["items"]) for page in pages] == [2, 1]
    assert sorted(seen) == sorted(made.ids.values())
    received = [item["received_at"] for page in pages for item in page["items"]]
    assert received == sorted(received, reverse=True)


async def test_a_forged_cursor_is_400(client: httpx.AsyncClient, staff: StaffFactory) -> None:
    supervisor = await staff.signed_in(Role.SUPERVISOR)

    response = await client.get(f"{REPLIES}?cursor=not-ours", headers=supervisor.headers)

    assert (response.status_code, response.headers["content-type"]) == (400, PROBLEM)
    assert [error["field"] for error in response.json()["errors"]] == ["cursor"]
