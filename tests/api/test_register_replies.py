"""The register shows each patient's latest YES or NO to the session's reminders."""

import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from api.core.actor import Role
from groups.tables import Enrolment, Group, GroupSession, Patient
from tests.api.test_replies import AUTH, CALLBACK, TOKEN, _set_token, send_reminder, text
from tests.factories import SignedIn, StaffFactory
from tests.group_factories import make_enrolment, make_group, make_patient, make_session
from tests.query_count import count_queries

_numbers = itertools.count(100)  # each patient its own mobile (a shared one is ambiguous)


@pytest.fixture(autouse=True)
def callback_token() -> Iterator[str]:
    old = _set_token(TOKEN)
    try:
        yield TOKEN
    finally:
        _set_token(old)


def register_url(session_id: object) -> str:
    return f"/api/v1/sessions/{session_id}/register"


@dataclass
class Seat:
    patient: Patient
    enrolment: Enrolment
    sender: str  # the number as Notify gives it


@dataclass
class Scene:
    facilitator: SignedIn
    group: Group
    session: GroupSession
    seats: list[Seat]


async def reminded_group(staff: StaffFactory, patients: int) -> Scene:
    """A running group whose session tomorrow was reminded by SMS to each patient."""
    facilitator = await staff.signed_in(Role.FACILITATOR)
    group = await make_group(facilitators=(facilitator.user.id,), status="running")
    session = await make_session(group, 1, datetime.now(UTC) + timedelta(days=1))
    seats = []
    for index in range(patients):
        family = f"Family{index:02d}"
        number = next(_numbers)
        patient = await make_patient(
            family_name=family,
            family_name_folded=family.lower(),
            mobile_phone=f"07700 900{number:03d}",
        )
        enrolment = await make_enrolment(group, patient)
        await send_reminder(group, session, enrolment, patient)
        seats.append(Seat(patient, enrolment, f"447700900{number:03d}"))
    return Scene(facilitator, group, session, seats)


async def reply(client: httpx.AsyncClient, seat: Seat, message: str, ago: timedelta) -> str:
    """Post ``message`` from the seat's number, received ``ago``; the time as the API shows it."""
    received = datetime.now(UTC).replace(microsecond=0) - ago
    response = await client.post(
        CALLBACK,
        json=text(message, number=seat.sender, date_received=received.isoformat()),
        headers=AUTH,
    )
    assert response.status_code == 204, response.text
    return received.isoformat().replace("+00:00", "Z")


def entry(seat: Seat, **fields: Any) -> dict[str, Any]:
    return {
        "enrolment_id": str(seat.enrolment.id),
        "patient_id": str(seat.patient.id),
        "given_name": seat.patient.given_name,
        "family_name": seat.patient.family_name,
        "preferred_name": "",
        "enrolment_status": "active",
        "outcome": None,
        "attended": None,
        "recorded_at": None,
        "recorded_by": None,
        "consecutive_dnas": 0,
        "reply": None,
        "replied_at": None,
        **fields,
    }


async def test_the_register_shows_each_patients_latest_yes_or_no_and_when_it_came(
    client: httpx.AsyncClient, staff: StaffFactory
) -> None:
    made = await reminded_group(staff, 4)
    yes, changed_mind, no, silent = made.seats
    yes_at = await reply(client, yes, "Yes", timedelta(minutes=50))
    await reply(client, changed_mind, "No sorry", timedelta(minutes=40))
    changed_at = await reply(client, changed_mind, "I'll be there after all", timedelta(minutes=30))
    no_at = await reply(client, no, "can't make it", timedelta(minutes=20))
    await reply(client, silent, "What time is it?", timedelta(minutes=10))  # neither

    response = await client.get(register_url(made.session.id), headers=made.facilitator.headers)

    assert response.status_code == 200, response.text
    assert response.json() == {
        "session_id": str(made.session.id),
        "group_id": str(made.group.id),
        "session_number": 1,
        "starts_at": response.json()["starts_at"],
        "session_status": "scheduled",
        "taken": True,  # the NOs recorded code 2 (cancelled by patient)
        "entries": [
            entry(yes, reply="confirmed", replied_at=yes_at),
            entry(
                changed_mind,
                outcome=2,
                attended=False,
                recorded_at=response.json()["entries"][1]["recorded_at"],
                reply="confirmed",
                replied_at=changed_at,
            ),
            entry(
                no,
                outcome=2,
                attended=False,
                recorded_at=response.json()["entries"][2]["recorded_at"],
                reply="cancelled",
                replied_at=no_at,
            ),
            entry(silent),
        ],
    }


async def test_a_reply_about_another_session_is_not_shown(
    client: httpx.AsyncClient, staff: StaffFactory
) -> None:
    made = await reminded_group(staff, 1)
    [seat] = made.seats
    later = await make_session(made.group, 2, datetime.now(UTC) + timedelta(days=8))
    await reply(client, seat, "yes", timedelta(minutes=5))

    response = await client.get(register_url(later.id), headers=made.facilitator.headers)

    assert response.status_code == 200, response.text
    assert response.json()["entries"] == [entry(seat)]


async def test_reading_the_register_costs_the_same_queries_however_many_replied(
    client: httpx.AsyncClient, staff: StaffFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    small = await reminded_group(staff, 1)
    await reply(client, small.seats[0], "yes", timedelta(minutes=5))
    large = await reminded_group(staff, 12)
    for index, seat in enumerate(large.seats):
        await reply(client, seat, "yes" if index % 2 else "no", timedelta(minutes=5))

    with count_queries(monkeypatch) as one:
        first = await client.get(register_url(small.session.id), headers=small.facilitator.headers)
    with count_queries(monkeypatch) as twelve:
        second = await client.get(register_url(large.session.id), headers=large.facilitator.headers)

    assert (first.status_code, second.status_code) == (200, 200)
    assert [e["reply"] for e in second.json()["entries"]] == ["cancelled", "confirmed"] * 6
    assert twelve.count == one.count
    assert sum("inbound_message" in statement for statement in twelve.statements) == 1
