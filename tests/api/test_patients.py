"""Patients through HTTP: create, read, search, edit with If-Match, duplicates, audit, roles."""

import asyncio
from collections import Counter
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from api.core import clock
from api.core.actor import Actor, Role
from api.core.database import write_transaction
from api.core.errors import Forbidden
from api.identity.tables import AuditEntry
from groups import patients
from groups.tables import Patient
from scheduling.outbox import OutgoingMessage, queue_messages
from scheduling.tables import OutboxMessage
from tests.factories import SignedIn, StaffFactory
from tests.group_factories import make_enrolment, make_group, make_patient

PROBLEMS = "https://stepwise.example/problems/"
PROBLEM_JSON = "application/problem+json"
PATIENTS = "/api/v1/patients"
NHS = "9434765919"
OTHER_NHS = "4010232137"
PHONE_REASON = (
    "Value error, is not a phone number: 10 to 15 digits, with spaces, +, hyphens or brackets"
)


def patient_body(**fields: Any) -> dict[str, Any]:
    """A valid POST /patients body; override only what the test is about."""
    return {
        "given_name": "Ada",
        "family_name": "Lovelace",
        "date_of_birth": "1985-12-10",
        "referral_date": "2026-10-01",
        **fields,
    }


async def create_patient(
    client: httpx.AsyncClient, admin: SignedIn, **fields: Any
) -> dict[str, Any]:
    response = await client.post(PATIENTS, json=patient_body(**fields), headers=admin.headers)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def audit_entries(
    client: httpx.AsyncClient, admin: SignedIn, **params: Any
) -> list[tuple[str, str]]:
    response = await client.get(
        "/api/v1/audit", params={"entity": "patient", **params}, headers=admin.headers
    )
    assert response.status_code == 200, response.text
    return [(e["action"], e["entity_id"]) for e in reversed(response.json()["items"])]


def invalid(field: str, reason: str) -> dict[str, Any]:
    return {
        "type": PROBLEMS + "validation-error",
        "title": "The request is not valid",
        "status": 400,
        "detail": f"{field}: {reason}",
        "errors": [{"field": field, "reason": reason}],
    }


def duplicate(existing_id: str) -> dict[str, Any]:
    return {
        "type": PROBLEMS + "conflict",
        "title": "Conflict with the current state",
        "status": 409,
        "detail": "A patient with this NHS number already exists.",
        "existing_patient_id": existing_id,
    }


async def test_create_patient_normalises_and_answers_every_field(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    admin = await staff.signed_in(Role.ADMIN)

    created = await client.post(
        PATIENTS,
        json=patient_body(
            given_name=" Ada ",
            preferred_name="Addie",
            nhs_number="943 476 5919",
            mobile_phone="07700  900123",
            email="Ada@Example.ORG",
            address_line_1="1 Bedford Square",
            town="Tavistock",
            postcode="pl190ae",
            consents_to_sms=True,
            messages_may_be_left=True,
            preferred_language="pl",
            interpreter_needed=True,
            interpreter_language="pl",
            interpreter_kind="spoken",
            accessibility_needs=["large_print", "step_free_access"],
            gp_practice_code="L83001",
            gp_practice_name="Abbey Surgery",
            referral_source="self",
        ),
        headers=admin.headers,
    )
    body = created.json()

    assert created.status_code == 201, created.text
    assert created.headers["ETag"] == '"v1"'
    assert body == {
        "id": body["id"],
        "given_name": "Ada",
        "family_name": "Lovelace",
        "preferred_name": "Addie",
        "date_of_birth": "1985-12-10",
        "nhs_number": NHS,
        "mobile_phone": "07700 900123",
        "email": "ada@example.org",
        "address_line_1": "1 Bedford Square",
        "address_line_2": "",
        "town": "Tavistock",
        "postcode": "PL19 0AE",
        "consents_to_sms": True,
        "consents_to_email": False,
        "consents_to_letter": True,
        "consents_to_app": False,
        "messages_may_be_left": True,
        "preferred_language": "pl",
        "interpreter_needed": True,
        "interpreter_language": "pl",
        "interpreter_kind": "spoken",
        "accessibility_needs": ["large_print", "step_free_access"],
        "gp_practice_code": "L83001",
        "gp_practice_name": "Abbey Surgery",
        "referral_date": "2026-10-01",
        "referral_source": "self",
        "version": 1,
        "created_at": body["created_at"],
        "updated_at": body["created_at"],
    }
    read = await client.get(f"{PATIENTS}/{body['id']}", headers=admin.headers)
    assert read.status_code == 200
    assert read.headers["ETag"] == '"v1"'
    assert read.json() == body
    assert await audit_entries(client, admin, entity_id=body["id"]) == [
        ("patient.create", body["id"]),
        ("patient.read", body["id"]),
    ]


async def test_create_patient_without_nhs_number_is_allowed_twice(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    admin = await staff.signed_in(Role.ADMIN)

    first = await create_patient(client, admin)
    second = await create_patient(client, admin)

    assert (first["nhs_number"], second["nhs_number"]) == (None, None)
    assert first["id"] != second["id"]


async def test_create_patient_with_held_nhs_number_is_409_naming_existing(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    existing = await create_patient(client, admin, nhs_number=NHS)

    response = await client.post(
        PATIENTS,
        json=patient_body(given_name="Someone", nhs_number="943-476-5919"),
        headers=admin.headers,
    )

    assert response.status_code == 409
    assert response.headers["content-type"] == PROBLEM_JSON
    assert response.json() == duplicate(existing["id"])
    assert NHS not in response.text.replace(existing["id"], "")


async def test_two_concurrent_creates_with_one_nhs_number_one_201_one_409(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    admin = await staff.signed_in(Role.ADMIN)

    responses = await asyncio.gather(
        *(
            client.post(PATIENTS, json=patient_body(nhs_number=NHS), headers=admin.headers)
            for _ in range(2)
        )
    )

    assert Counter(r.status_code for r in responses) == {201: 1, 409: 1}
    winner = next(r for r in responses if r.status_code == 201).json()
    loser = next(r for r in responses if r.status_code == 409)
    assert loser.json() == duplicate(winner["id"])
    found = await client.get(PATIENTS, params={"nhs_number": NHS}, headers=admin.headers)
    assert [p["id"] for p in found.json()["items"]] == [winner["id"]]


@pytest.mark.parametrize(
    ("fields", "field", "reason"),
    [
        (
            {"nhs_number": "9434765918"},
            "nhs_number",
            "Value error, is not a valid NHS number (the check digit does not match)",
        ),
        (
            {"nhs_number": "1000000010"},
            "nhs_number",
            "Value error, is not a valid NHS number (the check digit does not match)",
        ),
        (
            {"nhs_number": "94347659"},
            "nhs_number",
            "Value error, must be 10 digits (spaces or hyphens allowed)",
        ),
        (
            {"nhs_number": "0000000000"},
            "nhs_number",
            "Value error, is a placeholder, not an NHS number",
        ),
        ({"postcode": "QQ1 1AA"}, "postcode", "Value error, is not a UK postcode"),
        (
            {"mobile_phone": "12345"},
            "mobile_phone",
            PHONE_REASON,
        ),
        (
            {"mobile_phone": "+44 (0) 7700 - 900 - 123"},
            "mobile_phone",
            PHONE_REASON,
        ),
        ({"email": "ada.example.org"}, "email", "Value error, is not an email address"),
        (
            {"interpreter_kind": "sign"},
            "interpreter_kind",
            "Input should be '', 'spoken', 'bsl' or 'other'",
        ),
        (
            {"accessibility_needs": ["ramp"]},
            "accessibility_needs.0",
            "Input should be 'step_free_access', 'large_print', 'easy_read', 'bsl' or "
            "'hearing_loop'",
        ),
        (
            {"accessibility_needs": ["bsl", "bsl"]},
            "accessibility_needs",
            "Value error, lists a need twice",
        ),
        (
            {"referral_source": "friend"},
            "referral_source",
            "Input should be 'gp', 'self', 'other_service' or 'other'",
        ),
        ({"family_name": ""}, "family_name", "String should have at least 1 character"),
        (
            {"family_name": "ß" * 51},
            "family_name",
            "Value error, is too long (at most 100 characters once case-folded)",
        ),
        (
            {"date_of_birth": "1899-12-31"},
            "date_of_birth",
            "Input should be greater than or equal to 1900-01-01",
        ),
        (
            {"given_name": "Ada\nLine"},
            "given_name",
            "Value error, must be one line, without control characters",
        ),
        (
            {"interpreter_needed": True, "interpreter_kind": "bsl"},
            "interpreter_language",
            "is required when an interpreter is needed",
        ),
        (
            {"interpreter_needed": True, "interpreter_language": "bfi"},
            "interpreter_kind",
            "is required when an interpreter is needed",
        ),
        (
            {"interpreter_language": "pl"},
            "interpreter_language",
            "must be empty when no interpreter is needed",
        ),
    ],
)
async def test_create_patient_with_invalid_field_is_400_naming_it(
    staff: StaffFactory,
    client: httpx.AsyncClient,
    fields: dict[str, Any],
    field: str,
    reason: str,
) -> None:
    admin = await staff.signed_in(Role.ADMIN)

    response = await client.post(PATIENTS, json=patient_body(**fields), headers=admin.headers)

    assert response.status_code == 400
    assert response.headers["content-type"] == PROBLEM_JSON
    assert response.json() == invalid(field, reason)


async def test_create_patient_born_after_today_is_400_and_today_is_allowed(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    today = datetime.now(ZoneInfo("Europe/London")).date()

    tomorrow = await client.post(
        PATIENTS,
        json=patient_body(date_of_birth=(today + timedelta(days=1)).isoformat()),
        headers=admin.headers,
    )
    born_today = await client.post(
        PATIENTS, json=patient_body(date_of_birth=today.isoformat()), headers=admin.headers
    )

    assert tomorrow.status_code == 400
    assert tomorrow.json() == invalid("date_of_birth", "is in the future")
    assert (born_today.status_code, born_today.json()["date_of_birth"]) == (201, today.isoformat())


async def test_get_patient_unknown_id_is_404(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    admin = await staff.signed_in(Role.ADMIN)

    response = await client.get(
        f"{PATIENTS}/00000000-0000-4000-8000-000000000000", headers=admin.headers
    )

    assert response.status_code == 404
    assert response.json() == {
        "type": PROBLEMS + "not-found",
        "title": "Not found",
        "status": 404,
        "detail": "No patient with this id.",
    }


async def test_facilitator_is_403_on_every_route_for_a_patient_of_no_group_they_run(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    facilitator = await staff.signed_in(Role.FACILITATOR)
    patient = await create_patient(client, admin, nhs_number=NHS)
    url = f"{PATIENTS}/{patient['id']}"

    responses = [
        await client.get(url, headers=facilitator.headers),
        await client.get(PATIENTS, params={"nhs_number": NHS}, headers=facilitator.headers),
        await client.post(PATIENTS, json=patient_body(), headers=facilitator.headers),
        await client.patch(
            url, json={"town": "X"}, headers={**facilitator.headers, "If-Match": '"v1"'}
        ),
    ]

    assert [r.status_code for r in responses] == [403] * 4
    assert await audit_entries(client, admin, entity_id=patient["id"]) == [
        ("patient.create", patient["id"])
    ]


async def test_facilitator_reads_a_patient_of_a_group_they_run_and_the_read_is_audited(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    facilitator = await staff.signed_in(Role.FACILITATOR)
    patient = await create_patient(client, admin, nhs_number=NHS)
    group = await make_group(facilitators=(facilitator.user.id,))
    await make_enrolment(group, await Patient.objects().get(Patient.id == patient["id"]))

    response = await client.get(f"{PATIENTS}/{patient['id']}", headers=facilitator.headers)

    assert response.status_code == 200
    assert response.json()["id"] == patient["id"]
    assert (await audit_entries(client, admin, entity_id=patient["id"]))[-1] == (
        "patient.read",
        patient["id"],
    )


async def test_supervisor_reads_and_searches_but_cannot_write(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    supervisor = await staff.signed_in(Role.SUPERVISOR)
    patient = await create_patient(client, admin, nhs_number=NHS)
    url = f"{PATIENTS}/{patient['id']}"

    read = await client.get(url, headers=supervisor.headers)
    found = await client.get(PATIENTS, params={"nhs_number": NHS}, headers=supervisor.headers)
    created = await client.post(PATIENTS, json=patient_body(), headers=supervisor.headers)
    edited = await client.patch(
        url, json={"town": "X"}, headers={**supervisor.headers, "If-Match": '"v1"'}
    )

    assert (read.status_code, read.json()) == (200, patient)
    assert (found.status_code, found.json()) == (200, {"items": [patient], "next_cursor": None})
    assert (created.status_code, edited.status_code) == (403, 403)


async def test_search_by_nhs_number_with_separators_finds_one_and_audits_it(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    wanted = await create_patient(client, admin, nhs_number=NHS)
    await create_patient(client, admin, nhs_number=OTHER_NHS)

    found = await client.get(PATIENTS, params={"nhs_number": "943 476 5919"}, headers=admin.headers)

    assert found.status_code == 200
    assert found.json() == {"items": [wanted], "next_cursor": None}
    assert [e for e in await audit_entries(client, admin) if e[0] == "patient.read"] == [
        ("patient.read", wanted["id"])
    ]


async def test_search_by_name_any_case_and_birth_date_pages_and_audits_each_shown(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    same = [await create_patient(client, admin, family_name="O'Brien") for _ in range(3)]
    await create_patient(client, admin, family_name="O'Brien", date_of_birth="1985-12-11")
    await create_patient(client, admin, family_name="Brien")
    expected = sorted(p["id"] for p in same)

    first = await client.get(
        PATIENTS,
        params={"family_name": " o'BRIEN ", "date_of_birth": "1985-12-10", "limit": 2},
        headers=admin.headers,
    )
    second = await client.get(
        PATIENTS,
        params={
            "family_name": "o'brien",
            "date_of_birth": "1985-12-10",
            "limit": 2,
            "cursor": first.json()["next_cursor"],
        },
        headers=admin.headers,
    )

    assert [p["id"] for p in first.json()["items"]] == expected[:2]
    assert second.json() == {
        "items": [next(p for p in same if p["id"] == expected[2])],
        "next_cursor": None,
    }
    reads = [e for e in await audit_entries(client, admin) if e[0] == "patient.read"]
    assert reads == [("patient.read", patient_id) for patient_id in expected]


async def test_search_with_no_match_is_empty_and_audits_nothing(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    await create_patient(client, admin, nhs_number=NHS)

    found = await client.get(PATIENTS, params={"nhs_number": OTHER_NHS}, headers=admin.headers)

    assert found.json() == {"items": [], "next_cursor": None}
    assert [e[0] for e in await audit_entries(client, admin)] == ["patient.create"]


@pytest.mark.parametrize(
    ("params", "field", "reason"),
    [
        ({}, "family_name", "give nhs_number, or family_name with date_of_birth"),
        (
            {"family_name": "Lovelace"},
            "date_of_birth",
            "give nhs_number, or family_name with date_of_birth",
        ),
        (
            {"date_of_birth": "1985-12-10"},
            "family_name",
            "give nhs_number, or family_name with date_of_birth",
        ),
        ({"nhs_number": "123"}, "nhs_number", "must be 10 digits (spaces or hyphens allowed)"),
        (
            {"nhs_number": NHS, "family_name": "Lovelace"},
            "nhs_number",
            "search by NHS number, or by family name and date of birth, not both",
        ),
        (
            {"family_name": "Love\x00lace", "date_of_birth": "1985-12-10"},
            "family_name",
            "must be one line, without control characters",
        ),
        (
            {"nhs_number": NHS, "cursor": "bm90LWEtY3Vyc29y"},
            "cursor",
            "is not a cursor this API gave",
        ),
    ],
)
async def test_search_without_one_complete_form_is_400_naming_field(
    staff: StaffFactory,
    client: httpx.AsyncClient,
    params: dict[str, Any],
    field: str,
    reason: str,
) -> None:
    admin = await staff.signed_in(Role.ADMIN)

    response = await client.get(PATIENTS, params=params, headers=admin.headers)

    assert response.status_code == 400
    assert response.json() == invalid(field, reason)


async def test_update_patient_with_if_match_writes_new_version_and_audits(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    patient = await create_patient(client, admin)
    url = f"{PATIENTS}/{patient['id']}"

    edited = await client.patch(
        url,
        json={"family_name": "King", "nhs_number": "401 023 2137", "postcode": "ex201aa"},
        headers={**admin.headers, "If-Match": '"v1"'},
    )

    assert edited.status_code == 200, edited.text
    assert edited.headers["ETag"] == '"v2"'
    assert edited.json() == {
        **patient,
        "family_name": "King",
        "nhs_number": OTHER_NHS,
        "postcode": "EX20 1AA",
        "version": 2,
        "updated_at": edited.json()["updated_at"],
    }
    found = await client.get(
        PATIENTS,
        params={"family_name": "KING", "date_of_birth": "1985-12-10"},
        headers=admin.headers,
    )
    assert found.json()["items"] == [edited.json()]
    assert [e[0] for e in await audit_entries(client, admin, entity_id=patient["id"])] == [
        "patient.create",
        "patient.update",
        "patient.read",
    ]


async def test_update_patient_without_if_match_is_428_and_stale_is_412(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    patient = await create_patient(client, admin)
    url = f"{PATIENTS}/{patient['id']}"
    await client.patch(
        url, json={"town": "Tavistock"}, headers={**admin.headers, "If-Match": '"v1"'}
    )

    missing = await client.patch(url, json={"town": "Lifton"}, headers=admin.headers)
    stale = await client.patch(
        url, json={"town": "Lifton"}, headers={**admin.headers, "If-Match": '"v1"'}
    )

    assert missing.status_code == 428
    assert missing.json()["type"] == PROBLEMS + "precondition-required"
    assert stale.status_code == 412
    assert stale.json() == {
        "type": PROBLEMS + "stale-version",
        "title": "The record changed since you read it",
        "status": 412,
        "detail": "Someone changed this record since you read it: reload and try again.",
        "current_version": 2,
    }


async def test_update_patient_to_held_nhs_number_is_409_naming_existing(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    holder = await create_patient(client, admin, nhs_number=NHS)
    patient = await create_patient(client, admin)

    response = await client.patch(
        f"{PATIENTS}/{patient['id']}",
        json={"nhs_number": NHS},
        headers={**admin.headers, "If-Match": '"v1"'},
    )
    own = await client.patch(
        f"{PATIENTS}/{holder['id']}",
        json={"nhs_number": NHS},
        headers={**admin.headers, "If-Match": '"v1"'},
    )

    assert response.status_code == 409
    assert response.json() == duplicate(holder["id"])
    assert (own.status_code, own.json()["version"]) == (200, 2)


async def test_update_patient_interpreter_checked_against_stored_values(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    patient = await create_patient(client, admin)

    response = await client.patch(
        f"{PATIENTS}/{patient['id']}",
        json={"interpreter_needed": True, "interpreter_kind": "bsl"},
        headers={**admin.headers, "If-Match": '"v1"'},
    )

    assert response.status_code == 400
    assert response.json() == invalid(
        "interpreter_language", "is required when an interpreter is needed"
    )


async def test_update_unknown_patient_is_404(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    admin = await staff.signed_in(Role.ADMIN)

    response = await client.patch(
        f"{PATIENTS}/00000000-0000-4000-8000-000000000000",
        json={"town": "Lifton"},
        headers={**admin.headers, "If-Match": '"v1"'},
    )

    assert response.status_code == 404


async def test_create_patient_when_unique_index_refuses_is_the_same_409(
    staff: StaffFactory, client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Skip the service's own look-up, as a request that lost the race would have seen
    # nothing: the database's unique index must then give the same answer.
    async def saw_nothing(nhs_number: str | None, *, other_than: object = None) -> None:
        return None

    admin = await staff.signed_in(Role.ADMIN)
    existing = await create_patient(client, admin, nhs_number=NHS)
    monkeypatch.setattr(patients, "_refuse_duplicate", saw_nothing)

    created = await client.post(PATIENTS, json=patient_body(nhs_number=NHS), headers=admin.headers)
    other = await create_patient(client, admin)
    edited = await client.patch(
        f"{PATIENTS}/{other['id']}",
        json={"nhs_number": NHS},
        headers={**admin.headers, "If-Match": '"v1"'},
    )

    assert (created.status_code, created.json()) == (409, duplicate(existing["id"]))
    assert (edited.status_code, edited.json()) == (409, duplicate(existing["id"]))
    assert [e[0] for e in await audit_entries(client, admin)] == ["patient.create"] * 2


async def test_facilitator_reads_a_patient_of_a_group_they_run_and_no_other(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    # Through the service, for the cases around the HTTP test above.

    runs, other = await staff.create(Role.FACILITATOR), await staff.create(Role.FACILITATOR)
    group = await make_group(facilitators=(runs.id, (await staff.create()).id))
    enrolled = await make_patient()
    await make_enrolment(group, enrolled)
    stranger = await make_patient()
    as_runner = Actor(user_id=runs.id, roles=frozenset({Role.FACILITATOR}))
    as_other = Actor(user_id=other.id, roles=frozenset({Role.FACILITATOR}))

    read = await patients.get_patient(enrolled.id, by=as_runner, now=clock.now())
    with pytest.raises(Forbidden):
        await patients.get_patient(stranger.id, by=as_runner, now=clock.now())
    with pytest.raises(Forbidden):
        await patients.get_patient(enrolled.id, by=as_other, now=clock.now())

    assert read.id == enrolled.id
    reads = await AuditEntry.select(AuditEntry.actor, AuditEntry.entity_id).where(
        AuditEntry.action == "patient.read"
    )
    assert [(r["actor"], r["entity_id"]) for r in reads] == [(runs.id, str(enrolled.id))]


async def test_withdrawing_a_consent_cancels_the_pending_messages_on_that_channel_only(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    patient = await create_patient(
        client, admin, nhs_number=NHS, consents_to_sms=True, consents_to_email=True
    )
    due = datetime(2027, 1, 4, 9, 0, tzinfo=ZoneInfo("UTC"))
    async with write_transaction():
        await queue_messages(
            [
                OutgoingMessage("patient", patient["id"], channel, "session_reminder", key, due)
                for channel, key in (("sms", "r:sms"), ("email", "r:email"))
            ],
            now=due - timedelta(days=3),
        )

    response = await client.patch(
        f"{PATIENTS}/{patient['id']}",
        json={"consents_to_sms": False},
        headers={**admin.headers, "If-Match": '"v1"'},
    )

    assert response.status_code == 200, response.text
    rows = await OutboxMessage.select(OutboxMessage.dedup_key, OutboxMessage.status)
    assert {r["dedup_key"]: r["status"] for r in rows} == {
        "r:sms": "cancelled",
        "r:email": "pending",
    }
