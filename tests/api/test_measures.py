"""Measure sets through HTTP: entry, validation, blanks, corrections, access, races."""

import asyncio
from datetime import datetime
from typing import Any

import httpx
import pytest

from api.core.actor import Role
from api.core.errors import InvalidInput, NotFound
from api.identity.tables import AuditEntry
from groups import measures
from groups.tables import GroupSession, MeasureSet, MeasureSetRevision
from tests.api.test_measure_helpers import (
    PROBLEM_JSON,
    PROBLEMS,
    forbidden,
    gad7,
    make_cohort,
    phq9,
    validation_problem,
)
from tests.factories import StaffFactory
from tests.group_factories import make_enrolment, make_group, make_patient
from tests.query_count import count_queries


def _stored(body: dict[str, Any]) -> dict[str, Any]:
    """The body without ids and stamps (compared separately)."""
    return {
        k: v
        for k, v in body.items()
        if k
        not in {"id", "enrolment_id", "session_id", "created_at", "updated_at", "entered_by_id"}
    }


async def test_facilitator_enters_a_phq9_and_the_server_scores_it(
    client: httpx.AsyncClient, staff: StaffFactory
) -> None:
    cohort = await make_cohort(staff)
    enrolment = cohort.enrolments[0]
    response = await client.post(
        cohort.measures_url(),
        json=phq9(2, 2, 1, 1, 1, 1, 1, 1, 0, enrolment=enrolment),
        headers=cohort.facilitator.headers,
    )
    assert response.status_code == 201, response.text
    assert response.headers["etag"] == '"v1"'
    body = response.json()
    assert _stored(body) == {
        "instrument": "PHQ-9",
        "answers": [2, 2, 1, 1, 1, 1, 1, 1, 0],
        "total": 10,  # 2 + 2 + 6 x 1 + 0
        "prorated": False,
        "blank_items": 0,
        "band": "moderate",
        "at_caseness": True,
        "source": "facilitator",
        "risk_alert_id": None,
        "version": 1,
    }
    assert (body["enrolment_id"], body["session_id"], body["entered_by_id"]) == (
        str(enrolment.id),
        str(cohort.sessions[0].id),
        str(cohort.facilitator.user.id),
    )
    audit = await AuditEntry.select(AuditEntry.action, AuditEntry.entity_id).where(
        AuditEntry.entity == "measure_set"
    )
    assert audit == [{"action": "measure_set.create", "entity_id": body["id"]}]


async def test_a_client_total_is_refused_as_an_unknown_field(
    client: httpx.AsyncClient, staff: StaffFactory
) -> None:
    cohort = await make_cohort(staff)
    body = gad7(0, 0, 0, 0, 0, 0, 0, enrolment=cohort.enrolments[0], total=21)
    response = await client.post(
        cohort.measures_url(), json=body, headers=cohort.facilitator.headers
    )
    assert response.status_code == 400
    assert response.headers["content-type"] == PROBLEM_JSON
    assert [e["field"] for e in response.json()["errors"]] == ["total"]
    assert await MeasureSet.count() == 0


async def test_every_bad_item_is_named_in_one_problem(
    client: httpx.AsyncClient, staff: StaffFactory
) -> None:
    cohort = await make_cohort(staff)
    body = phq9(0, 4, -1, 1.5, "2", True, None, 0, 0, 1, enrolment=cohort.enrolments[0])
    response = await client.post(
        cohort.measures_url(), json=body, headers=cohort.facilitator.headers
    )
    assert response.status_code == 400
    assert response.json() == validation_problem(
        [
            {"field": "answers.1", "reason": "item 2: must be an integer from 0 to 3"},
            {"field": "answers.2", "reason": "item 3: must be an integer from 0 to 3"},
            {"field": "answers.3", "reason": "item 4: must be an integer from 0 to 3"},
            {"field": "answers.4", "reason": "item 5: must be an integer from 0 to 3"},
            {"field": "answers.5", "reason": "item 6: must be an integer from 0 to 3"},
            {"field": "answers.6", "reason": "item 7: is blank: only a paper questionnaire may be"},
            {"field": "answers.9", "reason": "item 10: is extra: PHQ-9 has 9 items"},
        ]
    )


async def test_missing_items_are_named(client: httpx.AsyncClient, staff: StaffFactory) -> None:
    cohort = await make_cohort(staff)
    body = gad7(1, 1, 1, 1, 1, enrolment=cohort.enrolments[0])
    response = await client.post(
        cohort.measures_url(), json=body, headers=cohort.facilitator.headers
    )
    assert response.json() == validation_problem(
        [
            {"field": "answers.5", "reason": "item 6: is missing"},
            {"field": "answers.6", "reason": "item 7: is missing"},
        ]
    )


async def test_paper_blanks_one_or_two_prorated_more_kept_without_total(
    client: httpx.AsyncClient, staff: StaffFactory
) -> None:
    cohort = await make_cohort(staff, patients=2)
    first, second = cohort.enrolments
    two_blank = gad7(3, 3, 3, 3, 2, None, None, enrolment=first, paper=True)
    response = await client.post(
        cohort.measures_url(), json=two_blank, headers=cohort.facilitator.headers
    )
    assert response.status_code == 201, response.text
    body = response.json()
    # 14 over 5 answered, x 7 = 19.6 -> 20
    assert (body["total"], body["prorated"], body["blank_items"], body["band"]) == (
        20,
        True,
        2,
        "severe",
    )
    three_blank = gad7(3, 3, 3, 3, None, None, None, enrolment=second, paper=True)
    response = await client.post(
        cohort.measures_url(), json=three_blank, headers=cohort.facilitator.headers
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert (
        body["total"],
        body["prorated"],
        body["blank_items"],
        body["band"],
        body["at_caseness"],
    ) == (
        None,
        False,
        3,
        None,
        None,
    )


async def test_a_second_submission_is_a_correction_keeping_the_old_answers(
    client: httpx.AsyncClient, staff: StaffFactory
) -> None:
    cohort = await make_cohort(staff)
    enrolment = cohort.enrolments[0]
    headers = cohort.facilitator.headers
    first = await client.post(
        cohort.measures_url(), json=gad7(1, 1, 1, 1, 1, 1, 1, enrolment=enrolment), headers=headers
    )
    assert first.status_code == 201
    retry = await client.post(
        cohort.measures_url(), json=gad7(1, 1, 1, 1, 1, 1, 1, enrolment=enrolment), headers=headers
    )
    assert (retry.status_code, retry.json()["version"], retry.json()["id"]) == (
        200,
        1,
        first.json()["id"],
    )
    corrected = await client.post(
        cohort.measures_url(), json=gad7(2, 2, 1, 1, 1, 1, 1, enrolment=enrolment), headers=headers
    )
    assert corrected.status_code == 200, corrected.text
    assert corrected.headers["etag"] == '"v2"'
    assert (corrected.json()["id"], corrected.json()["total"], corrected.json()["version"]) == (
        first.json()["id"],
        9,
        2,
    )
    assert await MeasureSet.count() == 1
    revisions = await MeasureSetRevision.select(
        MeasureSetRevision.answers, MeasureSetRevision.total, MeasureSetRevision.changed_by
    ).output(load_json=True)
    assert revisions == [
        {"answers": [1, 1, 1, 1, 1, 1, 1], "total": 7, "changed_by": cohort.facilitator.user.id}
    ]
    actions = (
        await AuditEntry.select(AuditEntry.action)
        .where(AuditEntry.entity == "measure_set")
        .order_by(AuditEntry.at)
    )
    assert [a["action"] for a in actions] == ["measure_set.create", "measure_set.correct"]


async def test_concurrent_submissions_for_one_slot_make_one_set(
    client: httpx.AsyncClient, staff: StaffFactory
) -> None:
    cohort = await make_cohort(staff)
    enrolment = cohort.enrolments[0]
    bodies = [gad7(n % 4, 0, 0, 0, 0, 0, n // 4, enrolment=enrolment) for n in range(5)]
    responses = await asyncio.gather(
        *(
            client.post(cohort.measures_url(), json=b, headers=cohort.facilitator.headers)
            for b in bodies
        )
    )
    assert sorted(r.status_code for r in responses) == [200, 200, 200, 200, 201]
    assert await MeasureSet.count() == 1
    assert await MeasureSetRevision.count() == 4
    row = await MeasureSet.select(MeasureSet.version).first()
    assert row == {"version": 5}


async def test_admins_are_refused_clinical_entry(
    client: httpx.AsyncClient, staff: StaffFactory
) -> None:
    cohort = await make_cohort(staff)
    admin = await staff.signed_in(Role.ADMIN)
    response = await client.post(
        cohort.measures_url(),
        json=gad7(0, 0, 0, 0, 0, 0, 0, enrolment=cohort.enrolments[0]),
        headers=admin.headers,
    )
    assert response.status_code == 403
    assert response.json()["type"] == PROBLEMS + "forbidden"


async def test_another_groups_facilitator_is_refused(
    client: httpx.AsyncClient, staff: StaffFactory
) -> None:
    cohort = await make_cohort(staff)
    other = await staff.signed_in(Role.FACILITATOR)
    response = await client.post(
        cohort.measures_url(),
        json=gad7(0, 0, 0, 0, 0, 0, 0, enrolment=cohort.enrolments[0]),
        headers=other.headers,
    )
    assert response.status_code == 403
    assert response.json() == forbidden("You do not facilitate this group.")
    listed = await client.get(cohort.measures_url(), headers=other.headers)
    assert listed.status_code == 403


async def test_supervisors_may_enter_and_read(
    client: httpx.AsyncClient, staff: StaffFactory
) -> None:
    cohort = await make_cohort(staff)
    supervisor = await staff.signed_in(Role.SUPERVISOR)
    response = await client.post(
        cohort.measures_url(),
        json=gad7(0, 0, 0, 0, 0, 0, 0, enrolment=cohort.enrolments[0]),
        headers=supervisor.headers,
    )
    assert response.status_code == 201
    listed = await client.get(cohort.measures_url(), headers=supervisor.headers)
    assert listed.status_code == 200
    assert [s["id"] for s in listed.json()["items"]] == [response.json()["id"]]
    assert listed.json()["next_cursor"] is None


async def test_an_enrolment_of_another_group_or_a_missing_session(
    client: httpx.AsyncClient, staff: StaffFactory
) -> None:
    cohort = await make_cohort(staff)
    stranger = await make_enrolment(await make_group())
    response = await client.post(
        cohort.measures_url(),
        json=gad7(0, 0, 0, 0, 0, 0, 0, enrolment=stranger),
        headers=cohort.facilitator.headers,
    )
    assert response.json() == validation_problem(
        [{"field": "enrolment_id", "reason": "is not enrolled in this session's group"}]
    )
    missing = await client.post(
        "/api/v1/sessions/00000000-0000-4000-8000-000000000000/measures",
        json=gad7(0, 0, 0, 0, 0, 0, 0, enrolment=cohort.enrolments[0]),
        headers=cohort.facilitator.headers,
    )
    assert missing.status_code == 404
    assert missing.json()["type"] == PROBLEMS + "not-found"


async def test_a_waitlisted_enrolment_cannot_be_scored(
    client: httpx.AsyncClient, staff: StaffFactory
) -> None:
    cohort = await make_cohort(staff)
    waiting = await make_enrolment(cohort.group, status="waitlisted", started_at=None)
    response = await client.post(
        cohort.measures_url(),
        json=gad7(0, 0, 0, 0, 0, 0, 0, enrolment=waiting),
        headers=cohort.facilitator.headers,
    )
    assert response.json()["errors"] == [
        {"field": "enrolment_id", "reason": "is waitlisted: not taking part in sessions"}
    ]


async def test_group_entry_stores_every_patients_sets_in_one_request(
    client: httpx.AsyncClient, staff: StaffFactory
) -> None:
    cohort = await make_cohort(staff, patients=12)
    sets = []
    for enrolment in cohort.enrolments:
        sets.append(phq9(1, 1, 1, 1, 1, 1, 1, 1, 0, enrolment=enrolment))
        sets.append(gad7(1, 1, 1, 1, 1, 1, 1, enrolment=enrolment))
        sets.append(
            {"enrolment_id": str(enrolment.id), "instrument": "WSAS", "answers": [2, 2, 2, 2, 2]}
        )
    response = await client.post(
        cohort.measures_url() + "/batch", json={"sets": sets}, headers=cohort.facilitator.headers
    )
    assert response.status_code == 201, response.text
    items = response.json()["items"]
    assert [(i["enrolment_id"], i["instrument"], i["total"], i["source"]) for i in items] == [
        (
            s["enrolment_id"],
            s["instrument"],
            {"PHQ-9": 8, "GAD-7": 7, "WSAS": 10}[s["instrument"]],
            "group",
        )
        for s in sets
    ]
    assert await MeasureSet.count() == 36


async def test_group_entry_with_one_bad_item_stores_nothing_and_names_patient_and_item(
    client: httpx.AsyncClient, staff: StaffFactory
) -> None:
    cohort = await make_cohort(staff, patients=3)
    a, b, c = cohort.enrolments
    sets = [
        gad7(0, 0, 0, 0, 0, 0, 0, enrolment=a),
        gad7(0, 0, 0, 9, 0, 0, 0, enrolment=b),
        phq9(0, 0, 0, 0, 0, 0, 0, 0, enrolment=c),
        gad7(1, 0, 0, 0, 0, 0, 0, enrolment=a),
    ]
    response = await client.post(
        cohort.measures_url() + "/batch", json={"sets": sets}, headers=cohort.facilitator.headers
    )
    assert response.json() == validation_problem(
        [
            {
                "field": "sets.1.answers.3",
                "reason": f"enrolment {b.id}: item 4: must be an integer from 0 to 3",
            },
            {"field": "sets.2.answers.8", "reason": f"enrolment {c.id}: item 9: is missing"},
            {"field": "sets.3", "reason": f"enrolment {a.id}: a second GAD-7 in this batch"},
        ]
    )
    assert await MeasureSet.count() == 0


async def test_group_entry_with_a_stranger_stores_nothing(
    client: httpx.AsyncClient, staff: StaffFactory
) -> None:
    cohort = await make_cohort(staff, patients=1)
    stranger = await make_enrolment(await make_group())
    sets = [
        gad7(0, 0, 0, 0, 0, 0, 0, enrolment=cohort.enrolments[0]),
        gad7(0, 0, 0, 0, 0, 0, 0, enrolment=stranger),
    ]
    response = await client.post(
        cohort.measures_url() + "/batch", json={"sets": sets}, headers=cohort.facilitator.headers
    )
    assert response.json()["errors"] == [
        {"field": "sets.1.enrolment_id", "reason": "is not enrolled in this session's group"}
    ]
    assert await MeasureSet.count() == 0


async def test_patient_submission_is_idempotent(
    client: httpx.AsyncClient, staff: StaffFactory
) -> None:
    cohort = await make_cohort(staff)
    enrolment = cohort.enrolments[0]
    now = datetime.fromisoformat("2027-01-11T09:00:00+00:00")
    first = await measures.submit_patient_measure_set(
        enrolment.patient, cohort.sessions[0].id, "GAD-7", [1, 1, 1, 1, 1, 1, 2], now=now
    )
    again = await measures.submit_patient_measure_set(
        enrolment.patient, cohort.sessions[0].id, "GAD-7", [1, 1, 1, 1, 1, 1, 2], now=now
    )
    assert first == again
    assert (first.total, first.source, first.entered_by_id, first.version) == (
        8,
        "patient",
        None,
        1,
    )
    assert await MeasureSet.count() == 1


async def test_group_entry_costs_a_few_queries_plus_one_audit_row_per_set(
    client: httpx.AsyncClient, staff: StaffFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    cohort = await make_cohort(staff, patients=12)
    sets = [gad7(1, 1, 1, 1, 1, 1, 1, enrolment=e) for e in cohort.enrolments]
    sets += [phq9(1, 1, 1, 1, 1, 1, 1, 1, 0, enrolment=e) for e in cohort.enrolments]
    with count_queries(monkeypatch) as queries:
        response = await client.post(
            cohort.measures_url() + "/batch",
            json={"sets": sets},
            headers=cohort.facilitator.headers,
        )
    assert response.status_code == 201
    # session, access (2), enrolments, insert, select, the supervision flags' facts and
    # their update, final select, alerts: 10; audit: 24
    assert queries.count <= len(sets) + 10


async def test_a_cancelled_session_takes_no_measures(
    client: httpx.AsyncClient, staff: StaffFactory
) -> None:
    cohort = await make_cohort(staff)
    await GroupSession.update({GroupSession.status: "cancelled"}).where(
        GroupSession.id == cohort.sessions[0].id
    )
    response = await client.post(
        cohort.measures_url(),
        json=gad7(0, 0, 0, 0, 0, 0, 0, enrolment=cohort.enrolments[0]),
        headers=cohort.facilitator.headers,
    )
    assert response.status_code == 409
    assert response.json() == {
        "type": PROBLEMS + "conflict",
        "status": 409,
        "title": "Conflict with the current state",
        "detail": "This session was cancelled: no measures can be recorded for it.",
    }


@pytest.mark.parametrize(
    "answers",
    [
        [10**30] * 7,
        [[1]] * 7,
        [{"a": 1}] * 7,
        ["\u0000"] * 7,
        [-(10**30), 0, 0, 0, 0, 0, 0],
        [1e308] * 7,
        [0] * 41,
        "0000000",
        None,
    ],
)
async def test_malformed_answers_are_a_400_never_a_500(
    client: httpx.AsyncClient, staff: StaffFactory, answers: Any
) -> None:
    cohort = await make_cohort(staff, patients=1)
    body = {"enrolment_id": str(cohort.enrolments[0].id), "instrument": "GAD-7", "answers": answers}
    response = await client.post(
        cohort.measures_url(), json=body, headers=cohort.facilitator.headers
    )
    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == PROBLEM_JSON
    assert await MeasureSet.count() == 0


async def test_patient_submission_with_new_answers_is_a_correction_and_unknown_instrument_a_400(
    client: httpx.AsyncClient, staff: StaffFactory
) -> None:
    cohort = await make_cohort(staff)
    enrolment = cohort.enrolments[0]
    now = datetime.fromisoformat("2027-01-11T09:00:00+00:00")
    session_id = cohort.sessions[0].id
    await measures.submit_patient_measure_set(
        enrolment.patient, session_id, "GAD-7", [0] * 7, now=now
    )
    changed = await measures.submit_patient_measure_set(
        enrolment.patient, session_id, "GAD-7", [1] * 7, now=now
    )
    assert (changed.total, changed.version) == (7, 2)
    with pytest.raises(InvalidInput):
        await measures.submit_patient_measure_set(
            enrolment.patient, session_id, "BDI", [0], now=now
        )
    stranger = await make_patient()
    with pytest.raises(NotFound):
        await measures.submit_patient_measure_set(
            stranger.id, session_id, "GAD-7", [0] * 7, now=now
        )


async def test_a_patients_sets_a_page_at_a_time_for_clinical_staff_only(
    client: httpx.AsyncClient, staff: StaffFactory
) -> None:
    cohort = await make_cohort(staff, sessions=2)
    enrolment = cohort.enrolments[0]
    headers = cohort.facilitator.headers
    for number in (1, 2):
        sets = [
            phq9(0, 0, 0, 0, 0, 0, 0, 0, number - 1, enrolment=enrolment),
            gad7(1, 1, 1, 1, 1, 1, 1, enrolment=enrolment),
        ]
        response = await client.post(
            cohort.measures_url(number) + "/batch", json={"sets": sets}, headers=headers
        )
        assert response.status_code == 201
    url = f"/api/v1/patients/{enrolment.patient}/measures"
    seen: list[dict[str, Any]] = []
    params: dict[str, Any] = {"limit": 3}
    while True:
        page = (await client.get(url, params=params, headers=headers)).json()
        seen.extend(page["items"])
        if page["next_cursor"] is None:
            break
        params["cursor"] = page["next_cursor"]
    assert len(seen) == 4
    assert len({s["id"] for s in seen}) == 4
    assert [s["risk_alert_id"] is not None for s in seen if s["instrument"] == "PHQ-9"] == [
        False,
        True,
    ]
    admin = await staff.signed_in(Role.ADMIN)
    assert (await client.get(url, headers=admin.headers)).status_code == 403
    other = await staff.signed_in(Role.FACILITATOR)
    assert (await client.get(url, headers=other.headers)).json() == forbidden(
        "You do not facilitate a group of this patient."
    )
    bad = await client.get(url, params={"cursor": "x"}, headers=headers)
    assert bad.status_code == 400
