"""A reply finds its sender by the number in one form, however either side wrote it.

Patients are created and edited through the API, so the stored form is the one
groups.patients keeps (not a factory's).
"""

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import httpx
import pytest

from api.core.actor import Role
from groups.tables import Enrolment, Group, GroupSession, Patient
from tests.api.test_replies import AUTH, CALLBACK, TOKEN, _set_token, send_reminder, stored, text
from tests.factories import SignedIn, StaffFactory
from tests.group_factories import make_enrolment, make_group, make_session

PATIENTS = "/api/v1/patients"


@pytest.fixture(autouse=True)
def callback_token() -> Iterator[str]:
    old = _set_token(TOKEN)
    try:
        yield TOKEN
    finally:
        _set_token(old)


class Reminded:
    """A patient made through the API, enrolled and sent a session reminder."""

    admin: SignedIn
    patient: dict[str, Any]
    group: Group
    session: GroupSession
    enrolment: Enrolment


async def reminded(client: httpx.AsyncClient, staff: StaffFactory, mobile: str) -> Reminded:
    made = Reminded()
    made.admin = await staff.signed_in(Role.ADMIN)
    response = await client.post(
        PATIENTS,
        json={
            "given_name": "Ada",
            "family_name": "Lovelace",
            "date_of_birth": "1985-12-10",
            "referral_date": "2026-10-01",
            "mobile_phone": mobile,
            "consents_to_sms": True,
        },
        headers=made.admin.headers,
    )
    assert response.status_code == 201, response.text
    made.patient = response.json()
    made.group = await make_group(status="running")
    made.session = await make_session(made.group, 1, datetime.now(UTC) + timedelta(days=1))
    patient = await Patient.objects().get(Patient.id == UUID(made.patient["id"]))
    assert patient is not None
    made.enrolment = await make_enrolment(made.group, patient)
    await send_reminder(made.group, made.session, made.enrolment, patient)
    return made


async def matched(client: httpx.AsyncClient, number: str) -> tuple[str, str | None]:
    """Post a YES from ``number``; the stored reply's outcome and patient."""
    response = await client.post(CALLBACK, json=text("yes", number=number), headers=AUTH)
    assert response.status_code == 204, response.text
    newest = (await stored())[-1]
    return newest["outcome"], newest["patient_id"]


@pytest.mark.parametrize(
    ("recorded", "sender"),
    [
        ("07700900123", "+44 7700 900123"),
        ("+44 7700 900123", "447700900123"),
        ("(07700) 900-123", "07700900123"),
        ("+44 (0) 7700 900 123", "447700900123"),
    ],
)
async def test_a_reply_finds_the_patient_whichever_way_the_number_is_written(
    client: httpx.AsyncClient, staff: StaffFactory, recorded: str, sender: str
) -> None:
    made = await reminded(client, staff, recorded)

    assert await matched(client, sender) == ("confirmed", made.patient["id"])


async def test_changing_the_mobile_through_patch_moves_the_match(
    client: httpx.AsyncClient, staff: StaffFactory
) -> None:
    made = await reminded(client, staff, "07700 900123")

    edited = await client.patch(
        f"{PATIENTS}/{made.patient['id']}",
        json={"mobile_phone": "+44 7700 900456"},
        headers={**made.admin.headers, "If-Match": '"v1"'},
    )

    assert edited.status_code == 200, edited.text
    assert await matched(client, "447700900123") == ("unmatched", None)
    assert await matched(client, "447700900456") == ("confirmed", made.patient["id"])


async def test_clearing_the_mobile_through_patch_leaves_no_match(
    client: httpx.AsyncClient, staff: StaffFactory
) -> None:
    made = await reminded(client, staff, "07700 900123")

    edited = await client.patch(
        f"{PATIENTS}/{made.patient['id']}",
        json={"mobile_phone": "", "consents_to_sms": False},
        headers={**made.admin.headers, "If-Match": '"v1"'},
    )

    assert edited.status_code == 200, edited.text
    assert await matched(client, "447700900123") == ("unmatched", None)
