"""FHIR export of a patient's measure sets, validated with the fhir.resources R4B models."""

from typing import Any

import httpx
from fhir.resources.R4B.bundle import Bundle

from api.core.actor import Role
from api.identity.tables import AuditEntry
from tests.api.test_measure_helpers import gad7, make_cohort, phq9
from tests.factories import StaffFactory


async def test_bundle_of_questionnaire_responses_and_loinc_observations(
    client: httpx.AsyncClient, staff: StaffFactory
) -> None:
    cohort = await make_cohort(staff)
    enrolment = cohort.enrolments[0]
    headers = cohort.facilitator.headers
    sets = [
        phq9(2, 2, 1, 1, 1, 1, 1, 1, 0, enrolment=enrolment),
        gad7(3, 3, 3, 3, 2, None, None, enrolment=enrolment, paper=True),
        {"enrolment_id": str(enrolment.id), "instrument": "WSAS", "answers": [2, 2, 2, 2, 2]},
    ]
    response = await client.post(
        cohort.measures_url() + "/batch", json={"sets": sets}, headers=headers
    )
    assert response.status_code == 201, response.text
    # More than two blank: kept, no total, so no Observation.
    blank = gad7(None, None, None, 1, 1, 1, 1, enrolment=enrolment, paper=True)
    assert (
        await client.post(cohort.measures_url(2), json=blank, headers=headers)
    ).status_code == 201

    response = await client.get(
        f"/api/v1/patients/{enrolment.patient}/measures/fhir", headers=headers
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/fhir+json")
    body: dict[str, Any] = response.json()
    bundle = Bundle.model_validate(body)  # raises if not valid R4B
    assert bundle.type == "collection"
    kinds = [e["resource"]["resourceType"] for e in body["entry"]]
    assert kinds.count("QuestionnaireResponse") == 4
    assert kinds.count("Observation") == 3
    observations = {
        e["resource"]["code"].get("coding", [{}])[0].get("code", e["resource"]["code"]["text"]): e[
            "resource"
        ]
        for e in body["entry"]
        if e["resource"]["resourceType"] == "Observation"
    }
    assert observations["44261-6"]["valueInteger"] == 10
    assert observations["70274-6"]["valueInteger"] == 20  # 14 x 7 / 5 = 19.6
    assert observations["70274-6"]["note"] == [
        {"text": "Prorated: 2 blank item(s) took the answered mean."}
    ]
    assert observations["Work and Social Adjustment Scale (WSAS) total score"]["valueInteger"] == 10
    phq = next(
        e["resource"]
        for e in body["entry"]
        if e["resource"].get("questionnaire") == "http://loinc.org/q/44249-1"
    )
    assert [i["linkId"] for i in phq["item"]][::4] == ["44250-9", "44251-7", "44260-8"]
    assert phq["item"][8]["answer"] == [{"valueInteger": 0}]
    assert phq["subject"] == {"reference": f"Patient/{enrolment.patient}"}
    reads = await AuditEntry.select(AuditEntry.entity_id).where(AuditEntry.action == "patient.read")
    assert reads == [{"entity_id": str(enrolment.patient)}]


async def test_fhir_export_refuses_admins_and_strangers(
    client: httpx.AsyncClient, staff: StaffFactory
) -> None:
    cohort = await make_cohort(staff)
    url = f"/api/v1/patients/{cohort.enrolments[0].patient}/measures/fhir"
    admin = await staff.signed_in(Role.ADMIN)
    other = await staff.signed_in(Role.FACILITATOR)
    supervisor = await staff.signed_in(Role.SUPERVISOR)
    assert (await client.get(url, headers=admin.headers)).status_code == 403
    assert (await client.get(url, headers=other.headers)).status_code == 403
    empty = await client.get(url, headers=supervisor.headers)
    assert empty.status_code == 200
    assert Bundle.model_validate(empty.json()).entry is None
    missing = await client.get(
        "/api/v1/patients/00000000-0000-4000-8000-000000000000/measures/fhir",
        headers=supervisor.headers,
    )
    assert missing.status_code == 404
