"""Editing and cancelling bookings: If-Match, moves that re-check every rule, cancelled rows,
who may do what, and the audit trail."""

from datetime import date, time
from typing import Any

import httpx
import pytest

from api.core.actor import Role
from scheduling.tables import Room
from tests.booking_requests import BOOKINGS, book, clash, invalid, problem
from tests.factories import SignedIn, StaffFactory
from tests.scheduling_factories import make_closure, make_room, make_venue

DAY = "2026-11-25"  # a Wednesday
UNKNOWN = "00000000-0000-4000-8000-000000000000"
CANCELLED = problem(
    "booking-cancelled",
    "The booking is cancelled",
    409,
    "This booking is cancelled; book the room again instead.",
)


async def _held(
    client: httpx.AsyncClient, admin: SignedIn, room: Room, start: str = "10:00", end: str = "11:00"
) -> dict[str, Any]:
    response = await book(client, admin, room, f"{DAY}T{start}", f"{DAY}T{end}")
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def _patch(
    client: httpx.AsyncClient, who: SignedIn, booking: dict[str, Any], etag: str | None, **body: Any
) -> httpx.Response:
    headers = {**who.headers, **({"If-Match": etag} if etag else {})}
    return await client.patch(f"{BOOKINGS}/{booking['id']}", json=body, headers=headers)


async def _cancel(
    client: httpx.AsyncClient, who: SignedIn, booking: dict[str, Any], etag: str | None
) -> httpx.Response:
    headers = {**who.headers, **({"If-Match": etag} if etag else {})}
    return await client.post(f"{BOOKINGS}/{booking['id']}/cancel", headers=headers)


async def test_get_booking_gives_its_etag_and_unknown_is_404(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    held = await _held(client, admin, await make_room())

    found = await client.get(f"{BOOKINGS}/{held['id']}", headers=admin.headers)
    missing = await client.get(f"{BOOKINGS}/{UNKNOWN}", headers=admin.headers)

    assert (found.status_code, found.headers["ETag"], found.json()) == (200, '"v1"', held)
    assert missing.status_code == 404
    assert missing.json() == problem("not-found", "Not found", 404, "No booking with this id.")


async def test_edit_without_if_match_is_428_and_with_stale_etag_is_412(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    held = await _held(client, admin, await make_room())

    missing = await _patch(client, admin, held, None, purpose="Sleep workshop")
    first = await _patch(client, admin, held, '"v1"', purpose="Sleep workshop")
    stale = await _patch(client, admin, held, '"v1"', purpose="Stress Control")
    stale_cancel = await _cancel(client, admin, held, '"v1"')
    missing_cancel = await _cancel(client, admin, held, None)

    assert missing.status_code == 428
    assert missing.json()["type"].endswith("/precondition-required")
    assert (first.status_code, first.headers["ETag"]) == (200, '"v2"')
    assert first.json() == {
        **held,
        "purpose": "Sleep workshop",
        "version": 2,
        "updated_at": first.json()["updated_at"],
    }
    assert stale.status_code == 412
    assert stale.json()["current_version"] == 2
    assert stale_cancel.status_code == 412
    assert missing_cancel.status_code == 428


async def test_edit_unknown_booking_is_404(staff: StaffFactory, client: httpx.AsyncClient) -> None:
    admin = await staff.signed_in(Role.ADMIN)

    edit = await _patch(client, admin, {"id": UNKNOWN}, '"v1"', purpose="X")
    cancel = await _cancel(client, admin, {"id": UNKNOWN}, '"v1"')

    assert (edit.status_code, cancel.status_code) == (404, 404)


async def test_confirm_and_link_a_booking_then_unlink_it(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    held = await _held(client, admin, await make_room())

    linked = await _patch(
        client, admin, held, '"v1"', status="confirmed", subject_kind="group", subject_id="g-9"
    )
    half = await _patch(client, admin, held, '"v2"', subject_kind=None)
    unlinked = await _patch(client, admin, held, '"v2"', subject_kind=None, subject_id=None)

    assert (linked.json()["status"], linked.json()["subject_kind"]) == ("confirmed", "group")
    assert half.json() == invalid(("subject_kind", "give subject_kind and subject_id both"))
    assert (unlinked.json()["subject_kind"], unlinked.json()["subject_id"]) == (None, None)
    assert unlinked.json()["version"] == 3


async def test_move_a_booking_over_its_own_slot_is_200(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    held = await _held(client, admin, await make_room())

    moved = await _patch(
        client, admin, held, '"v1"', starts_at=f"{DAY}T10:30", ends_at=f"{DAY}T11:30"
    )

    assert moved.status_code == 200
    assert moved.json() == {
        **held,
        "starts_at": f"{DAY}T10:30:00Z",
        "ends_at": f"{DAY}T11:30:00Z",
        "local_starts_at": f"{DAY}T10:30:00Z",
        "local_ends_at": f"{DAY}T11:30:00Z",
        "version": 2,
        "updated_at": moved.json()["updated_at"],
    }


async def test_move_onto_another_booking_is_409_naming_it(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    room = await make_room()
    first = await _held(client, admin, room, "10:00", "11:00")
    second = await _held(client, admin, room, "11:00", "12:00")

    later = await _patch(client, admin, first, '"v1"', ends_at=f"{DAY}T11:15")
    back_to_back = await _patch(client, admin, first, '"v1"', starts_at=f"{DAY}T09:00")

    assert later.status_code == 409
    assert later.json() == clash(second, "11:00-12:00", DAY)
    assert back_to_back.status_code == 200


async def test_move_to_another_room_rechecks_that_room_and_venue(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    held = await _held(client, admin, await make_room())
    evening_only = await make_room(
        await make_venue(name="Youth Centre", open_from=time(18), open_until=time(21))
    )
    archived = await make_room(name="Old Hall", is_archived=True)

    shut = await _patch(client, admin, held, '"v1"', room_id=str(evening_only.id))
    gone = await _patch(client, admin, held, '"v1"', room_id=str(archived.id))
    unknown = await _patch(client, admin, held, '"v1"', room_id=UNKNOWN)
    moved = await _patch(
        client,
        admin,
        held,
        '"v1"',
        room_id=str(evening_only.id),
        starts_at=f"{DAY}T18:00",
        ends_at=f"{DAY}T19:30",
    )

    assert shut.json()["type"].endswith("/outside-opening-hours")
    assert shut.json()["detail"] == (
        "Youth Centre opens 18:00-21:00 on Wednesdays; the booking is 10:00-11:00."
    )
    assert gone.json()["type"].endswith("/archived")
    assert (unknown.status_code, unknown.json()["field"]) == (404, "room_id")
    assert (moved.status_code, moved.json()["room_id"]) == (200, str(evening_only.id))


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"starts_at": "2026-12-22T10:00", "ends_at": "2026-12-22T11:00"}, "venue-closed"),
        ({"starts_at": "2026-12-28T10:00", "ends_at": "2026-12-28T11:00"}, "bank-holiday"),
        ({"starts_at": f"{DAY}T06:00"}, "outside-opening-hours"),
    ],
)
async def test_move_into_a_closed_time_is_409_with_the_rule(
    staff: StaffFactory, client: httpx.AsyncClient, changes: dict[str, str], code: str
) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    venue = await make_venue()
    await make_closure(venue, date(2026, 12, 21), date(2026, 12, 23), "Decorating")
    held = await _held(client, admin, await make_room(venue))

    response = await _patch(client, admin, held, '"v1"', **changes)

    assert response.status_code == 409
    assert response.json()["type"].endswith("/" + code)
    assert (await client.get(f"{BOOKINGS}/{held['id']}", headers=admin.headers)).json() == held


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"ends_at": f"{DAY}T09:00"}, invalid(("ends_at", "must be after starts_at"))),
        (
            {"starts_at": "2027-03-28T01:30", "ends_at": "2027-03-28T03:00"},
            {
                **invalid(
                    (
                        "starts_at",
                        "2027-03-28 01:30 does not exist in Europe/London (the clocks go forward)",
                    )
                ),
                "type": "https://stepwise.example/problems/invalid-local-time",
                "title": "That local time does not exist or is ambiguous",
            },
        ),
        ({"status": "cancelled"}, None),
    ],
    ids=["backwards", "nonexistent", "cancel-by-patch"],
)
async def test_edit_with_invalid_values_is_400(
    staff: StaffFactory,
    client: httpx.AsyncClient,
    changes: dict[str, str],
    expected: dict[str, Any] | None,
) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    held = await _held(client, admin, await make_room())

    response = await _patch(client, admin, held, '"v1"', **changes)

    assert response.status_code == 400
    if expected is not None:
        assert response.json() == expected


async def test_cancel_keeps_the_row_and_frees_the_slot(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    room = await make_room()
    held = await _held(client, admin, room)

    cancelled = await _cancel(client, admin, held, '"v1"')
    again = await book(client, admin, room, f"{DAY}T10:00", f"{DAY}T11:00")
    read = await client.get(f"{BOOKINGS}/{held['id']}", headers=admin.headers)

    expected = {**held, "status": "cancelled", "version": 2}
    assert cancelled.status_code == 200
    assert cancelled.headers["ETag"] == '"v2"'
    assert cancelled.json() == {**expected, "updated_at": cancelled.json()["updated_at"]}
    assert again.status_code == 201
    assert read.json() == cancelled.json()


async def test_cancelled_booking_cannot_be_cancelled_again_or_edited(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    held = await _held(client, admin, await make_room())
    await _cancel(client, admin, held, '"v1"')

    twice = await _cancel(client, admin, held, '"v2"')
    edit = await _patch(client, admin, held, '"v2"', purpose="Revived")
    move = await _patch(client, admin, held, '"v2"', starts_at=f"{DAY}T09:00")

    assert (twice.status_code, twice.json()) == (409, CANCELLED)
    assert (edit.status_code, edit.json()) == (409, CANCELLED)
    assert (move.status_code, move.json()) == (409, CANCELLED)


async def test_facilitator_and_supervisor_read_but_may_not_write(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    room = await make_room()
    held = await _held(client, admin, room)

    for role in (Role.FACILITATOR, Role.SUPERVISOR):
        reader = await staff.signed_in(role)
        read = await client.get(f"{BOOKINGS}/{held['id']}", headers=reader.headers)
        create = await book(client, reader, room, f"{DAY}T12:00", f"{DAY}T13:00")
        edit = await _patch(client, reader, held, '"v1"', purpose="Mine now")
        cancel = await _cancel(client, reader, held, '"v1"')

        assert read.status_code == 200
        assert [create.status_code, edit.status_code, cancel.status_code] == [403] * 3
        assert create.json()["type"].endswith("/forbidden")


async def test_each_booking_write_is_audited(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    held = await _held(client, admin, await make_room())
    await _patch(client, admin, held, '"v1"', purpose="Sleep workshop")
    await _patch(client, admin, held, '"v2"', purpose="Sleep workshop")  # no change: no entry
    await _cancel(client, admin, held, '"v2"')

    log = await client.get(
        "/api/v1/audit",
        params={"entity": "room_booking", "entity_id": held["id"]},
        headers=admin.headers,
    )

    assert [(e["action"], e["actor_id"]) for e in log.json()["items"]] == [
        ("room_booking.cancel", str(admin.user.id)),
        ("room_booking.update", str(admin.user.id)),
        ("room_booking.create", str(admin.user.id)),
    ]
