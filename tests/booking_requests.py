"""Booking requests and the problem bodies they answer with, shared by the booking tests."""

from typing import Any

import httpx

from scheduling.tables import Room
from tests.factories import SignedIn

PROBLEMS = "https://stepwise.example/problems/"
PROBLEM = "application/problem+json"
BOOKINGS = "/api/v1/bookings"


async def book(
    client: httpx.AsyncClient,
    who: SignedIn,
    room: Room | str,
    start: str,
    end: str,
    **fields: Any,
) -> httpx.Response:
    """POST /api/v1/bookings for ``room`` from ``start`` to ``end`` (any JSON the test wants)."""
    room_id = room if isinstance(room, str) else str(room.id)
    body = {"room_id": room_id, "starts_at": start, "ends_at": end, "purpose": "Stress Control"}
    return await client.post(BOOKINGS, json={**body, **fields}, headers=who.headers)


def problem(code: str, title: str, status: int, detail: str, **extra: Any) -> dict[str, Any]:
    """A whole problem+json body."""
    return {"type": PROBLEMS + code, "title": title, "status": status, "detail": detail, **extra}


def invalid(*errors: tuple[str, str]) -> dict[str, Any]:
    """The 400 body naming each (field, reason)."""
    return problem(
        "validation-error",
        "The request is not valid",
        400,
        "; ".join(f"{field}: {reason}" for field, reason in errors),
        errors=[{"field": field, "reason": reason} for field, reason in errors],
    )


def clash(held: dict[str, Any], span: str, day: str) -> dict[str, Any]:
    """The 409 naming ``held`` (a booking body) as the clashing booking."""
    return problem(
        "room-unavailable",
        "The room is already booked then",
        409,
        f"The room is already booked {span} on {day} (booking {held['id']}).",
        clashing_booking_id=held["id"],
        clashing_starts_at=held["starts_at"],
        clashing_ends_at=held["ends_at"],
    )
