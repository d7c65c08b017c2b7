"""Calendar feed URLs through HTTP: who may make, list and revoke which feeds; the token
shown once and stored only as its hash; every write audited.

The helpers at the top (make, fetch with the clock set, parse) serve the download tests too.
"""

import asyncio
import hashlib
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import httpx
import pytest
from icalendar import Calendar, Event

from api.core import clock
from api.core.actor import Role
from api.identity.tables import AuditEntry
from scheduling.tables import CalendarFeed
from tests.factories import SignedIn, StaffFactory
from tests.group_factories import make_enrolment, make_group, make_patient
from tests.scheduling_factories import make_venue

FEEDS = "/api/v1/calendar-feeds"
UNKNOWN = "00000000-0000-4000-8000-000000000000"
# A cursor this API never gives: a creation time without an offset.
NAIVE_CURSOR = (
    "WyIyMDI2LTExLTI1VDEwOjAwOjAwIiwgIjAwMDAwMDAwLTAwMDAtNDAwMC04MDAwLTAwMDAwMDAwMDAwMCJd"
)
PROBLEMS = "https://stepwise.example/problems/"
PROBLEM_JSON = "application/problem+json"
# The instant the feed fetches are made at: the window runs 2026-11-05 .. 2028-02-08.
FEED_NOW = datetime(2027, 1, 4, 12, 0, tzinfo=UTC)
NO_FEED = {
    "type": PROBLEMS + "not-found",
    "title": "Not found",
    "status": 404,
    "detail": "No calendar feed at this address.",
}


def problem(code: str, title: str, status: int, detail: str, **extra: Any) -> dict[str, Any]:
    """A whole problem+json body."""
    return {"type": PROBLEMS + code, "title": title, "status": status, "detail": detail, **extra}


async def make_feed(
    client: httpx.AsyncClient, who: SignedIn, kind: str, owner_id: UUID | str
) -> dict[str, Any]:
    """POST /calendar-feeds, expecting 201."""
    response = await client.post(
        FEEDS, json={"owner_kind": kind, "owner_id": str(owner_id)}, headers=who.headers
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


@contextmanager
def clock_at(monkeypatch: pytest.MonkeyPatch, instant: datetime = FEED_NOW) -> Iterator[None]:
    """The service's clock reads ``instant`` inside the block."""
    with monkeypatch.context() as patch:
        patch.setattr(clock, "now", lambda: instant)
        yield


async def fetch(
    client: httpx.AsyncClient,
    monkeypatch: pytest.MonkeyPatch,
    url_path: str,
    *,
    at: datetime = FEED_NOW,
    **headers: str,
) -> httpx.Response:
    """GET the feed (no sign-in) with the service's clock at ``at``."""
    with clock_at(monkeypatch, at):
        return await client.get(url_path, headers=headers)


def parse(response: httpx.Response) -> Calendar:
    """The 200 answer's calendar, parsed back."""
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/calendar; charset=utf-8"
    return Calendar.from_ical(response.content)


def events(calendar: Calendar) -> dict[str, Event]:
    """The calendar's events by UID."""
    return {str(event["UID"]): event for event in calendar.walk("VEVENT")}


async def audit_actions(entity: str, entity_id: object) -> list[str]:
    """The audit log's actions on one record, oldest first."""
    rows = (
        await AuditEntry.select(AuditEntry.action)
        .where(AuditEntry.entity == entity, AuditEntry.entity_id == str(entity_id))
        .order_by(AuditEntry.id)
    )
    return [row["action"] for row in rows]


FORBIDDEN = "forbidden", "Not allowed", 403
NOT_FOUND = "not-found", "Not found", 404


# -- making a feed ----------------------------------------------------------------------------


async def test_facilitator_makes_own_feed_url_shown_once_and_only_hash_kept(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    facilitator = await staff.signed_in(Role.FACILITATOR)
    before = datetime.now(UTC)

    created = await make_feed(client, facilitator, "facilitator", facilitator.user.id)

    url_path = created.pop("url_path")
    created_at = datetime.fromisoformat(created.pop("created_at"))
    match = re.fullmatch(r"/feeds/([A-Za-z0-9_-]{43})\.ics", url_path)
    assert match is not None
    token = match.group(1)
    assert before <= created_at <= datetime.now(UTC)
    assert created == {
        "id": created["id"],
        "owner_kind": "facilitator",
        "owner_id": str(facilitator.user.id),
        "created_by": str(facilitator.user.id),
        "revoked_at": None,
    }
    rows = await CalendarFeed.select().where(CalendarFeed.id == created["id"])
    assert [row["token_hash"] for row in rows] == [hashlib.sha256(token.encode()).hexdigest()]
    assert token not in str(rows)
    assert await audit_actions("calendar_feed", created["id"]) == ["calendar_feed.create"]
    listed = await client.get(FEEDS, headers=facilitator.headers)
    assert token not in listed.text
    assert "url_path" not in listed.text
    assert "token" not in listed.text


async def test_two_feeds_of_one_owner_have_different_urls(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    facilitator = await staff.signed_in(Role.FACILITATOR)

    made = await asyncio.gather(
        *(make_feed(client, facilitator, "facilitator", facilitator.user.id) for _ in range(5))
    )

    assert len({feed["url_path"] for feed in made}) == 5
    assert len({feed["id"] for feed in made}) == 5
    assert await CalendarFeed.count() == 5


async def test_facilitator_making_another_facilitators_feed_is_forbidden(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    facilitator = await staff.signed_in(Role.FACILITATOR)
    other = await staff.create(Role.FACILITATOR)

    response = await client.post(
        FEEDS,
        json={"owner_kind": "facilitator", "owner_id": str(other.id)},
        headers=facilitator.headers,
    )

    assert response.status_code == 403
    assert response.headers["content-type"] == PROBLEM_JSON
    assert response.json() == problem(
        *FORBIDDEN, "Facilitators make feeds of their own sessions only."
    )
    assert await CalendarFeed.count() == 0


async def test_admin_makes_a_facilitators_feed_but_not_for_other_staff_or_nobody(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    facilitator = await staff.create(Role.FACILITATOR)
    supervisor = await staff.create(Role.SUPERVISOR)

    made = await make_feed(client, admin, "facilitator", facilitator.id)
    not_a_facilitator = await client.post(
        FEEDS,
        json={"owner_kind": "facilitator", "owner_id": str(supervisor.id)},
        headers=admin.headers,
    )
    nobody = await client.post(
        FEEDS, json={"owner_kind": "facilitator", "owner_id": UNKNOWN}, headers=admin.headers
    )

    assert (made["owner_id"], made["created_by"]) == (str(facilitator.id), str(admin.user.id))
    expected = problem(*NOT_FOUND, "No active facilitator with this id.")
    assert (not_a_facilitator.status_code, not_a_facilitator.json()) == (404, expected)
    assert (nobody.status_code, nobody.json()) == (404, expected)
    assert await CalendarFeed.count() == 1


async def test_venue_feeds_are_made_by_admins_only(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    facilitator = await staff.signed_in(Role.FACILITATOR)
    venue = await make_venue()

    made = await make_feed(client, admin, "venue", venue.id)
    refused = await client.post(
        FEEDS, json={"owner_kind": "venue", "owner_id": str(venue.id)}, headers=facilitator.headers
    )
    unknown = await client.post(
        FEEDS, json={"owner_kind": "venue", "owner_id": UNKNOWN}, headers=admin.headers
    )

    assert made["owner_kind"] == "venue"
    assert (refused.status_code, refused.json()) == (
        403,
        problem(*FORBIDDEN, "Only admins make venue feeds."),
    )
    assert (unknown.status_code, unknown.json()) == (
        404,
        problem(*NOT_FOUND, "No venue with this id."),
    )


async def test_patient_feed_made_by_admin_or_the_patients_facilitator_is_audited_on_the_patient(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    facilitator = await staff.signed_in(Role.FACILITATOR)
    group = await make_group(facilitators=(facilitator.user.id,))
    patient = await make_patient()
    await make_enrolment(group, patient)

    by_admin = await make_feed(client, admin, "patient", patient.id)
    by_facilitator = await make_feed(client, facilitator, "patient", patient.id)

    assert (by_admin["owner_kind"], by_admin["owner_id"]) == ("patient", str(patient.id))
    assert by_facilitator["created_by"] == str(facilitator.user.id)
    assert await audit_actions("patient", patient.id) == [
        "patient.calendar_feed.create",
        "patient.calendar_feed.create",
    ]


async def test_patient_feed_by_a_facilitator_of_other_groups_is_forbidden(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    facilitator = await staff.signed_in(Role.FACILITATOR)
    runner = await staff.create(Role.FACILITATOR)
    await make_group(facilitators=(facilitator.user.id,))
    patient = await make_patient()
    await make_enrolment(await make_group(facilitators=(runner.id,)), patient)

    refused = await client.post(
        FEEDS,
        json={"owner_kind": "patient", "owner_id": str(patient.id)},
        headers=facilitator.headers,
    )
    unknown = await client.post(
        FEEDS, json={"owner_kind": "patient", "owner_id": UNKNOWN}, headers=facilitator.headers
    )

    assert (refused.status_code, refused.json()) == (
        403,
        problem(*FORBIDDEN, "You do not facilitate a group this patient is enrolled in."),
    )
    assert (unknown.status_code, unknown.json()) == (
        404,
        problem(*NOT_FOUND, "No patient with this id."),
    )
    assert await CalendarFeed.count() == 0
    assert await audit_actions("patient", patient.id) == []


async def test_supervisor_without_another_role_cannot_make_feeds(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    supervisor = await staff.signed_in(Role.SUPERVISOR)

    response = await client.post(
        FEEDS,
        json={"owner_kind": "facilitator", "owner_id": str(supervisor.user.id)},
        headers=supervisor.headers,
    )

    assert (response.status_code, response.json()) == (
        403,
        problem(*FORBIDDEN, "Your role does not allow this."),
    )


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"owner_kind": "room", "owner_id": UNKNOWN}, "owner_kind"),
        ({"owner_kind": "venue", "owner_id": "not-a-uuid"}, "owner_id"),
        ({"owner_kind": "venue"}, "owner_id"),
        ({"owner_kind": "venue", "owner_id": UNKNOWN, "token": "mine"}, "token"),
    ],
)
async def test_make_feed_with_bad_body_names_the_field(
    staff: StaffFactory, client: httpx.AsyncClient, body: dict[str, str], field: str
) -> None:
    admin = await staff.signed_in(Role.ADMIN)

    response = await client.post(FEEDS, json=body, headers=admin.headers)

    assert response.status_code == 400
    assert response.headers["content-type"] == PROBLEM_JSON
    assert [error["field"] for error in response.json()["errors"]] == [field]
    assert await CalendarFeed.count() == 0


# -- listing ----------------------------------------------------------------------------------


async def test_list_shows_feeds_made_by_or_for_the_caller_newest_first(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    facilitator = await staff.signed_in(Role.FACILITATOR)
    other = await staff.signed_in(Role.FACILITATOR)
    own = await make_feed(client, facilitator, "facilitator", facilitator.user.id)
    made_for_them = await make_feed(client, admin, "facilitator", facilitator.user.id)
    await make_feed(client, other, "facilitator", other.user.id)
    await make_feed(client, admin, "venue", (await make_venue()).id)

    mine = await client.get(FEEDS, headers=facilitator.headers)

    assert mine.status_code == 200
    assert [item["id"] for item in mine.json()["items"]] == [made_for_them["id"], own["id"]]
    assert mine.json()["next_cursor"] is None
    assert set(mine.json()["items"][0]) == {
        "id",
        "owner_kind",
        "owner_id",
        "created_by",
        "created_at",
        "revoked_at",
    }


async def test_list_pages_with_a_cursor_and_leaves_revoked_feeds_out_unless_asked(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    facilitator = await staff.signed_in(Role.FACILITATOR)
    made = [
        await make_feed(client, facilitator, "facilitator", facilitator.user.id) for _ in range(5)
    ]
    revoked = await client.delete(f"{FEEDS}/{made[2]['id']}", headers=facilitator.headers)
    assert revoked.status_code == 204

    seen: list[str] = []
    params: dict[str, Any] = {"limit": 2}
    while True:
        page = await client.get(FEEDS, params=params, headers=facilitator.headers)
        assert page.status_code == 200, page.text
        seen += [item["id"] for item in page.json()["items"]]
        if page.json()["next_cursor"] is None:
            break
        params["cursor"] = page.json()["next_cursor"]
    everything = await client.get(
        FEEDS, params={"include_revoked": "true"}, headers=facilitator.headers
    )

    newest_first = [feed["id"] for feed in reversed(made)]
    assert seen == [feed_id for feed_id in newest_first if feed_id != made[2]["id"]]
    assert [item["id"] for item in everything.json()["items"]] == newest_first
    assert [item["revoked_at"] is not None for item in everything.json()["items"]] == [
        False,
        False,
        True,
        False,
        False,
    ]


async def test_admin_lists_one_owners_feeds_and_patient_ids_shown_are_audited(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    facilitator = await staff.signed_in(Role.FACILITATOR)
    group = await make_group(facilitators=(facilitator.user.id,))
    patient = await make_patient()
    await make_enrolment(group, patient)
    by_facilitator = await make_feed(client, facilitator, "patient", patient.id)
    await make_feed(client, admin, "patient", (await make_patient()).id)

    listed = await client.get(
        FEEDS, params={"owner_kind": "patient", "owner_id": str(patient.id)}, headers=admin.headers
    )

    assert [item["id"] for item in listed.json()["items"]] == [by_facilitator["id"]]
    assert await audit_actions("patient", patient.id) == [
        "patient.calendar_feed.create",
        "patient.read",
    ]


async def test_facilitator_lists_a_patients_feeds_only_for_their_own_patients(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    facilitator = await staff.signed_in(Role.FACILITATOR)
    mine, theirs = await make_patient(), await make_patient()
    await make_enrolment(await make_group(facilitators=(facilitator.user.id,)), mine)
    await make_enrolment(await make_group(), theirs)
    feed = await make_feed(client, admin, "patient", mine.id)

    allowed = await client.get(
        FEEDS,
        params={"owner_kind": "patient", "owner_id": str(mine.id)},
        headers=facilitator.headers,
    )
    refused = await client.get(
        FEEDS,
        params={"owner_kind": "patient", "owner_id": str(theirs.id)},
        headers=facilitator.headers,
    )
    other_staff = await client.get(
        FEEDS,
        params={"owner_kind": "facilitator", "owner_id": str(admin.user.id)},
        headers=facilitator.headers,
    )

    assert [item["id"] for item in allowed.json()["items"]] == [feed["id"]]
    assert (refused.status_code, refused.json()) == (
        403,
        problem(*FORBIDDEN, "You do not facilitate a group this patient is enrolled in."),
    )
    assert other_staff.status_code == 403


@pytest.mark.parametrize(
    ("params", "field", "reason"),
    [
        ({"owner_kind": "venue"}, "owner_id", "is required with the other owner field"),
        ({"owner_id": UNKNOWN}, "owner_kind", "is required with the other owner field"),
        ({"cursor": "not-a-cursor"}, "cursor", "is not a cursor this API gave"),
        ({"cursor": NAIVE_CURSOR}, "cursor", "is not a cursor this API gave"),
    ],
)
async def test_list_with_bad_query_names_the_field(
    staff: StaffFactory,
    client: httpx.AsyncClient,
    params: dict[str, str],
    field: str,
    reason: str,
) -> None:
    admin = await staff.signed_in(Role.ADMIN)

    response = await client.get(FEEDS, params=params, headers=admin.headers)

    assert (response.status_code, response.json()) == (
        400,
        problem(
            "validation-error",
            "The request is not valid",
            400,
            f"{field}: {reason}",
            errors=[{"field": field, "reason": reason}],
        ),
    )


# -- revoking ---------------------------------------------------------------------------------


async def test_revoke_is_immediate_idempotent_and_audited_once(
    staff: StaffFactory, client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    facilitator = await staff.signed_in(Role.FACILITATOR)
    feed = await make_feed(client, facilitator, "facilitator", facilitator.user.id)
    assert (await fetch(client, monkeypatch, feed["url_path"])).status_code == 200

    first = await client.delete(f"{FEEDS}/{feed['id']}", headers=facilitator.headers)
    gone = await fetch(client, monkeypatch, feed["url_path"])
    again = await client.delete(f"{FEEDS}/{feed['id']}", headers=facilitator.headers)

    assert (first.status_code, first.content) == (204, b"")
    assert (gone.status_code, gone.headers["content-type"], gone.json()) == (
        404,
        PROBLEM_JSON,
        NO_FEED,
    )
    assert again.status_code == 204
    assert await audit_actions("calendar_feed", feed["id"]) == [
        "calendar_feed.create",
        "calendar_feed.revoke",
    ]


async def test_concurrent_revokes_all_succeed_and_are_audited_once(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    facilitator = await staff.signed_in(Role.FACILITATOR)
    feed = await make_feed(client, facilitator, "facilitator", facilitator.user.id)

    responses = await asyncio.gather(
        *(
            client.delete(f"{FEEDS}/{feed['id']}", headers=who.headers)
            for who in (admin, facilitator) * 5
        )
    )

    assert [response.status_code for response in responses] == [204] * 10
    assert await audit_actions("calendar_feed", feed["id"]) == [
        "calendar_feed.create",
        "calendar_feed.revoke",
    ]


async def test_revoke_by_owner_creator_or_admin_but_not_another_facilitator(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    facilitator = await staff.signed_in(Role.FACILITATOR)
    other = await staff.signed_in(Role.FACILITATOR)
    made_for_them = await make_feed(client, admin, "facilitator", facilitator.user.id)
    theirs = await make_feed(client, other, "facilitator", other.user.id)
    venue_feed = await make_feed(client, admin, "venue", (await make_venue()).id)

    by_owner = await client.delete(f"{FEEDS}/{made_for_them['id']}", headers=facilitator.headers)
    by_stranger = await client.delete(f"{FEEDS}/{theirs['id']}", headers=facilitator.headers)
    on_venue = await client.delete(f"{FEEDS}/{venue_feed['id']}", headers=facilitator.headers)
    by_admin = await client.delete(f"{FEEDS}/{theirs['id']}", headers=admin.headers)
    unknown = await client.delete(f"{FEEDS}/{UNKNOWN}", headers=admin.headers)

    assert by_owner.status_code == 204
    refusal = problem(*FORBIDDEN, "You may revoke only feeds you made or may manage.")
    assert (by_stranger.status_code, by_stranger.json()) == (403, refusal)
    assert (on_venue.status_code, on_venue.json()) == (403, refusal)
    assert by_admin.status_code == 204
    assert (unknown.status_code, unknown.json()) == (
        404,
        problem(*NOT_FOUND, "No calendar feed with this id."),
    )
    revoked = await CalendarFeed.select(CalendarFeed.id).where(
        CalendarFeed.revoked_at.is_not_null()
    )
    assert {str(row["id"]) for row in revoked} == {made_for_them["id"], theirs["id"]}


async def test_revoking_a_patient_feed_is_audited_on_the_patient(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    facilitator = await staff.signed_in(Role.FACILITATOR)
    patient = await make_patient()
    await make_enrolment(await make_group(facilitators=(facilitator.user.id,)), patient)
    feed = await make_feed(client, facilitator, "patient", patient.id)

    response = await client.delete(f"{FEEDS}/{feed['id']}", headers=facilitator.headers)

    assert response.status_code == 204
    assert await audit_actions("patient", patient.id) == [
        "patient.calendar_feed.create",
        "patient.calendar_feed.revoke",
    ]
