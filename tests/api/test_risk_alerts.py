"""Risk alerts through HTTP: raised once by any route, annotated, listed, acknowledged."""

import asyncio
from typing import Any

import httpx

from api.core.actor import Role
from api.identity.tables import AuditEntry
from groups import measures
from groups.tables import RiskAlert
from scheduling.tables import OutboxMessage
from tests.api.test_measure_helpers import (
    FIRST_SESSION_AT,
    PROBLEMS,
    Cohort,
    forbidden,
    make_cohort,
    phq9,
)
from tests.factories import SignedIn, StaffFactory

ALERTS = "/api/v1/risk-alerts"


async def _enter(client: httpx.AsyncClient, cohort: Cohort, body: dict[str, Any]) -> dict[str, Any]:
    response = await client.post(
        cohort.measures_url(), json=body, headers=cohort.facilitator.headers
    )
    assert response.status_code in (200, 201), response.text
    result: dict[str, Any] = response.json()
    return result


async def _alerts(client: httpx.AsyncClient, who: SignedIn, **params: Any) -> list[dict[str, Any]]:
    response = await client.get(ALERTS, params=params, headers=who.headers)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def test_item_9_above_zero_raises_one_alert_and_tells_the_duty_contact(
    client: httpx.AsyncClient, staff: StaffFactory
) -> None:
    cohort = await make_cohort(staff)
    enrolment = cohort.enrolments[0]
    stored = await _enter(client, cohort, phq9(0, 0, 0, 0, 0, 0, 0, 0, 1, enrolment=enrolment))
    assert stored["total"] == 1  # minimal, still a risk
    assert stored["risk_alert_id"] is not None
    [alert] = await _alerts(client, cohort.facilitator)
    assert alert == {
        "id": stored["risk_alert_id"],
        "enrolment_id": str(enrolment.id),
        "patient_id": str(enrolment.patient),
        "group_id": str(cohort.group.id),
        "measure_set_id": stored["id"],
        "source_kind": "measure_set",
        "reason": "risk_item",
        "status": "open",
        "raised_at": alert["raised_at"],
        "acknowledged_by_id": None,
        "acknowledged_at": None,
        "action_note": "",
        "annotations": [],
        "escalated_at": None,
        "version": 1,
    }
    notices = await OutboxMessage.select(
        OutboxMessage.recipient_kind,
        OutboxMessage.template_key,
        OutboxMessage.parameters,
        OutboxMessage.urgent,
    ).output(load_json=True)
    assert notices == [
        {
            "recipient_kind": "duty",
            "template_key": "risk_alert_duty",
            "parameters": {"message": "A risk alert needs review.", "alert_id": alert["id"]},
            "urgent": True,
        }
    ]


async def test_retries_and_corrections_never_raise_a_second_alert(
    client: httpx.AsyncClient, staff: StaffFactory
) -> None:
    cohort = await make_cohort(staff)
    enrolment = cohort.enrolments[0]
    await _enter(client, cohort, phq9(0, 0, 0, 0, 0, 0, 0, 0, 2, enrolment=enrolment))
    await _enter(client, cohort, phq9(0, 0, 0, 0, 0, 0, 0, 0, 2, enrolment=enrolment))  # retry
    await _enter(client, cohort, phq9(1, 0, 0, 0, 0, 0, 0, 0, 3, enrolment=enrolment))
    corrected = await _enter(client, cohort, phq9(1, 0, 0, 0, 0, 0, 0, 0, 0, enrolment=enrolment))
    assert corrected["risk_alert_id"] is not None
    [alert] = await _alerts(client, cohort.facilitator)
    # A correction to 0 annotates, and never closes.
    assert alert["status"] == "open"
    assert {a["by"] for a in alert["annotations"]} == {str(cohort.facilitator.user.id)}
    assert [(a["change"], a["risk_items"]) for a in alert["annotations"]] == [
        ("answers corrected", [{"item": 9, "before": 2, "after": 3}]),
        ("answers corrected", [{"item": 9, "before": 3, "after": 0}]),
    ]
    assert await RiskAlert.count() == 1
    assert await OutboxMessage.count() == 1


async def test_group_entry_and_patient_submission_raise_alerts_too(
    client: httpx.AsyncClient, staff: StaffFactory
) -> None:
    cohort = await make_cohort(staff, patients=3)
    a, b, c = cohort.enrolments
    sets = [
        phq9(0, 0, 0, 0, 0, 0, 0, 0, 1, enrolment=a),
        phq9(0, 0, 0, 0, 0, 0, 0, 0, None, enrolment=b, paper=True),
        phq9(0, 0, 0, 0, 0, 0, 0, 0, 0, enrolment=c),
    ]
    for _ in range(2):  # a retried batch adds nothing
        response = await client.post(
            cohort.measures_url() + "/batch",
            json={"sets": sets},
            headers=cohort.facilitator.headers,
        )
        assert response.status_code == 201, response.text
    for _ in range(2):
        await measures.submit_patient_measure_set(
            c.patient, cohort.sessions[1].id, "PHQ-9", [0] * 8 + [3], now=FIRST_SESSION_AT
        )
    alerts = await _alerts(client, cohort.facilitator)
    assert sorted((x["enrolment_id"], x["reason"]) for x in alerts) == sorted(
        [(str(a.id), "risk_item"), (str(b.id), "risk_item_blank"), (str(c.id), "risk_item")]
    )
    assert await OutboxMessage.count() == 3


async def test_supervisors_see_all_facilitators_their_groups_admins_nothing(
    client: httpx.AsyncClient, staff: StaffFactory
) -> None:
    mine = await make_cohort(staff)
    theirs = await make_cohort(staff)
    await _enter(client, mine, phq9(0, 0, 0, 0, 0, 0, 0, 0, 1, enrolment=mine.enrolments[0]))
    await _enter(client, theirs, phq9(0, 0, 0, 0, 0, 0, 0, 0, 1, enrolment=theirs.enrolments[0]))
    supervisor = await staff.signed_in(Role.SUPERVISOR)
    assert len(await _alerts(client, supervisor)) == 2
    assert [x["group_id"] for x in await _alerts(client, mine.facilitator)] == [str(mine.group.id)]
    admin = await staff.signed_in(Role.ADMIN)
    response = await client.get(ALERTS, headers=admin.headers)
    assert response.status_code == 403
    reads = await AuditEntry.select(AuditEntry.entity_id).where(
        (AuditEntry.action == "patient.read") & (AuditEntry.actor == supervisor.user.id)
    )
    assert sorted(r["entity_id"] for r in reads) == sorted(
        [str(mine.enrolments[0].patient), str(theirs.enrolments[0].patient)]
    )


async def test_acknowledge_closes_once_with_the_action_note(
    client: httpx.AsyncClient, staff: StaffFactory
) -> None:
    cohort = await make_cohort(staff)
    stored = await _enter(
        client, cohort, phq9(0, 0, 0, 0, 0, 0, 0, 0, 1, enrolment=cohort.enrolments[0])
    )
    url = f"{ALERTS}/{stored['risk_alert_id']}/acknowledge"
    other = await staff.signed_in(Role.FACILITATOR)
    refused = await client.post(url, json={"action_note": "x"}, headers=other.headers)
    assert refused.json() == forbidden("You do not facilitate this group.")
    admin = await staff.signed_in(Role.ADMIN)
    assert (
        await client.post(url, json={"action_note": "x"}, headers=admin.headers)
    ).status_code == 403
    note = "Called the patient; safety plan agreed; GP informed."
    response = await client.post(
        url, json={"action_note": note}, headers=cohort.facilitator.headers
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["status"], body["action_note"], body["acknowledged_by_id"], body["version"]) == (
        "acknowledged",
        note,
        str(cohort.facilitator.user.id),
        2,
    )
    again = await client.post(url, json={"action_note": note}, headers=cohort.facilitator.headers)
    assert again.status_code == 409
    assert again.json() == {
        "type": PROBLEMS + "conflict",
        "status": 409,
        "title": "Conflict with the current state",
        "detail": "This risk alert is already acknowledged.",
        "acknowledged_at": body["acknowledged_at"],
    }
    actions = await AuditEntry.select(AuditEntry.action).where(AuditEntry.entity == "risk_alert")
    assert sorted(a["action"] for a in actions) == ["risk_alert.acknowledge", "risk_alert.raise"]


async def test_an_empty_action_note_is_refused(
    client: httpx.AsyncClient, staff: StaffFactory
) -> None:
    cohort = await make_cohort(staff)
    stored = await _enter(
        client, cohort, phq9(0, 0, 0, 0, 0, 0, 0, 0, 1, enrolment=cohort.enrolments[0])
    )
    url = f"{ALERTS}/{stored['risk_alert_id']}/acknowledge"
    response = await client.post(
        url, json={"action_note": "  "}, headers=cohort.facilitator.headers
    )
    assert response.status_code == 400
    assert [e["field"] for e in response.json()["errors"]] == ["action_note"]


async def test_alerts_cannot_be_deleted(client: httpx.AsyncClient, staff: StaffFactory) -> None:
    cohort = await make_cohort(staff)
    stored = await _enter(
        client, cohort, phq9(0, 0, 0, 0, 0, 0, 0, 0, 1, enrolment=cohort.enrolments[0])
    )
    response = await client.delete(
        f"{ALERTS}/{stored['risk_alert_id']}", headers=cohort.facilitator.headers
    )
    assert response.status_code == 405
    assert await RiskAlert.count() == 1


async def test_open_alerts_come_first_a_page_at_a_time(
    client: httpx.AsyncClient, staff: StaffFactory
) -> None:
    cohort = await make_cohort(staff, patients=5)
    ids = []
    for enrolment in cohort.enrolments:
        ids.append(
            (await _enter(client, cohort, phq9(0, 0, 0, 0, 0, 0, 0, 0, 1, enrolment=enrolment)))[
                "risk_alert_id"
            ]
        )
    closed = ids[4]
    await client.post(
        f"{ALERTS}/{closed}/acknowledge",
        json={"action_note": "ok"},
        headers=cohort.facilitator.headers,
    )
    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 2}
        if cursor:
            params["cursor"] = cursor
        page = (await client.get(ALERTS, params=params, headers=cohort.facilitator.headers)).json()
        seen.extend(x["id"] for x in page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == 5
    assert sorted(seen[:4]) == sorted(ids[:4])
    assert seen[4] == closed
    open_only = await _alerts(client, cohort.facilitator, status="open")
    assert closed not in [x["id"] for x in open_only]
    bad = await client.get(
        ALERTS, params={"cursor": "nonsense"}, headers=cohort.facilitator.headers
    )
    assert bad.status_code == 400


async def test_a_facilitator_of_no_group_sees_an_empty_list(
    client: httpx.AsyncClient, staff: StaffFactory
) -> None:
    cohort = await make_cohort(staff)
    await _enter(client, cohort, phq9(0, 0, 0, 0, 0, 0, 0, 0, 1, enrolment=cohort.enrolments[0]))
    idle = await staff.signed_in(Role.FACILITATOR)
    assert await _alerts(client, idle) == []


async def test_concurrent_acknowledgements_close_once(
    client: httpx.AsyncClient, staff: StaffFactory
) -> None:
    cohort = await make_cohort(staff)
    stored = await _enter(
        client, cohort, phq9(0, 0, 0, 0, 0, 0, 0, 0, 1, enrolment=cohort.enrolments[0])
    )
    supervisor = await staff.signed_in(Role.SUPERVISOR)
    url = f"{ALERTS}/{stored['risk_alert_id']}/acknowledge"
    responses = await asyncio.gather(
        *(
            client.post(url, json={"action_note": f"call {n}"}, headers=who.headers)
            for n, who in enumerate([cohort.facilitator, supervisor] * 3)
        )
    )
    assert sorted(r.status_code for r in responses) == [200, 409, 409, 409, 409, 409]
    actions = await AuditEntry.select(AuditEntry.action).where(
        AuditEntry.action == "risk_alert.acknowledge"
    )
    assert len(actions) == 1
