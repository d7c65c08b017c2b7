"""SVG charts: a patient's scores and a group's cohort, with the caseness lines."""

from xml.etree import ElementTree

import httpx

from api.core.actor import Role
from tests.api.test_measure_helpers import gad7, make_cohort, phq9
from tests.factories import StaffFactory


async def test_patient_chart_is_svg_with_both_measures_and_caseness_lines(
    client: httpx.AsyncClient, staff: StaffFactory
) -> None:
    cohort = await make_cohort(staff)
    enrolment = cohort.enrolments[0]
    headers = cohort.facilitator.headers
    for number, answer in ((1, 2), (2, 1)):
        sets = [
            phq9(*[answer] * 8, 0, enrolment=enrolment),
            gad7(*[answer] * 7, enrolment=enrolment),
        ]
        response = await client.post(
            cohort.measures_url(number) + "/batch", json={"sets": sets}, headers=headers
        )
        assert response.status_code == 201
    response = await client.get(
        f"/api/v1/patients/{enrolment.patient}/measures/chart.svg", headers=headers
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("image/svg+xml")
    root = ElementTree.fromstring(response.text)  # noqa: S314 - our own SVG
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    for label in ("PHQ-9", "GAD-7", "PHQ-9 caseness (10)", "GAD-7 caseness (8)"):
        assert f">{label}<" in response.text
    admin = await staff.signed_in(Role.ADMIN)
    refused = await client.get(
        f"/api/v1/patients/{enrolment.patient}/measures/chart.svg", headers=admin.headers
    )
    assert refused.status_code == 403


async def test_group_chart_summarises_the_cohort(
    client: httpx.AsyncClient, staff: StaffFactory
) -> None:
    cohort = await make_cohort(staff, patients=3)
    headers = cohort.facilitator.headers
    sets = [phq9(*[2] * 8, 0, enrolment=e) for e in cohort.enrolments]
    await client.post(cohort.measures_url() + "/batch", json={"sets": sets}, headers=headers)
    response = await client.get(
        f"/api/v1/groups/{cohort.group.id}/outcomes/chart.svg", headers=headers
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("image/svg+xml")
    ElementTree.fromstring(response.text)  # noqa: S314 - our own SVG
    assert ">PHQ-9 mean<" in response.text
    assert "1 (n=3)" in response.text
    supervisor = await staff.signed_in(Role.SUPERVISOR)
    assert (
        await client.get(
            f"/api/v1/groups/{cohort.group.id}/outcomes/chart.svg", headers=supervisor.headers
        )
    ).status_code == 200
