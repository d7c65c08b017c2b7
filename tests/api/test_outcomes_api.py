"""Outcomes through HTTP: who finished, paired scores, counts and rates, CSV exports."""

import csv
import io
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from api.core.actor import Role
from groups.tables import Attendance, Enrolment, Group, GroupSession
from tests.api.test_measure_helpers import Cohort, gad7, make_cohort, phq9
from tests.factories import StaffFactory
from tests.query_count import count_queries

RECORDED_AT = datetime(2027, 3, 1, tzinfo=UTC)


def _spread(total: int, items: int) -> list[int]:
    """Answers summing to ``total`` (0-3 each), risk item left at 0 for PHQ-9."""
    answers = [0] * items
    usable = items - 1 if items == 9 else items
    for i in range(total):
        answers[i % usable] += 1
    return answers


async def _score(
    client: httpx.AsyncClient,
    cohort: Cohort,
    number: int,
    enrolment: Enrolment,
    phq: int | None,
    gad: int | None,
) -> None:
    sets = []
    if phq is not None:
        sets.append(phq9(*_spread(phq, 9), enrolment=enrolment))
    if gad is not None:
        sets.append(gad7(*_spread(gad, 7), enrolment=enrolment))
    response = await client.post(
        cohort.measures_url(number) + "/batch",
        json={"sets": sets},
        headers=cohort.facilitator.headers,
    )
    assert response.status_code == 201, response.text


async def _attend(session: GroupSession, enrolment: Enrolment, outcome: int) -> None:
    await Attendance(
        session=session.id, enrolment=enrolment.id, outcome=outcome, recorded_at=RECORDED_AT
    ).save()


async def _end(enrolment: Enrolment, status: str) -> None:
    await Enrolment.update({Enrolment.status: status, Enrolment.ended_at: RECORDED_AT}).where(
        Enrolment.id == enrolment.id
    )


async def _scenario(client: httpx.AsyncClient, staff: StaffFactory) -> Cohort:
    """A: recovered reliably; B: one attended scored session; C: deteriorated, last score
    from a missed session; D: still active; E: finished with PHQ-9 only."""
    cohort = await make_cohort(staff, patients=5, sessions=3)
    a, b, c, d, e = cohort.enrolments
    s1, s2, s3 = cohort.sessions
    await _score(client, cohort, 1, a, 15, 10)
    await _score(client, cohort, 2, a, 5, 4)
    await _attend(s1, a, 5)
    await _attend(s2, a, 6)
    await _end(a, "completed")
    await _score(client, cohort, 1, b, 12, 9)
    await _score(client, cohort, 2, b, 6, 3)
    await _attend(s1, b, 5)
    await _attend(s2, b, 3)
    await _end(b, "dropped_out")
    await _score(client, cohort, 1, c, 5, 4)
    await _score(client, cohort, 2, c, 7, 4)
    await _score(client, cohort, 3, c, 12, 4)
    await _attend(s1, c, 5)
    await _attend(s2, c, 5)
    await _attend(s3, c, 3)
    await _end(c, "dropped_out")
    await _score(client, cohort, 1, d, 20, 15)
    await _score(client, cohort, 2, d, 10, 8)
    await _attend(s1, d, 5)
    await _attend(s2, d, 5)
    await _score(client, cohort, 1, e, 14, None)
    await _score(client, cohort, 2, e, 4, None)
    await _attend(s1, e, 5)
    await _attend(s2, e, 5)
    await _end(e, "stepped_up")
    return cohort


async def test_group_outcomes_count_finished_paired_episodes(
    client: httpx.AsyncClient, staff: StaffFactory
) -> None:
    cohort = await _scenario(client, staff)
    response = await client.get(
        f"/api/v1/groups/{cohort.group.id}/outcomes", headers=cohort.facilitator.headers
    )
    assert response.status_code == 200, response.text
    assert response.json() == {
        "group_id": str(cohort.group.id),
        "ended": 4,  # A, B, C, E (D is active)
        "unpaired": 1,  # E: no GAD-7
        "counts": {
            "finished": 2,  # A and C (B attended one scored session)
            "at_caseness": 1,
            "recovered": 1,
            "reliably_improved": 1,
            "reliably_recovered": 1,
            "reliably_deteriorated": 1,  # C: PHQ-9 5 -> 12 from the missed session
            "recovery_rate": 1.0,
            "reliable_recovery_rate": 1.0,
            "reliable_improvement_rate": 0.5,
            "reliable_deterioration_rate": 0.5,
        },
    }


async def test_course_outcomes_all_groups_for_supervisors_own_for_facilitators(
    client: httpx.AsyncClient, staff: StaffFactory
) -> None:
    cohort = await _scenario(client, staff)
    other = await make_cohort(staff, patients=1)
    await Group.update({Group.course: cohort.group.course}).where(Group.id == other.group.id)
    await _end(other.enrolments[0], "completed")
    url = f"/api/v1/courses/{cohort.group.course}/outcomes"
    supervisor = await staff.signed_in(Role.SUPERVISOR)
    response = await client.get(url, headers=supervisor.headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["groups"], body["ended"], body["unpaired"], body["counts"]["finished"]) == (
        2,
        5,
        1,
        2,
    )
    own = (await client.get(url, headers=other.facilitator.headers)).json()
    assert (own["groups"], own["ended"], own["counts"]["finished"]) == (1, 1, 0)
    admin = await staff.signed_in(Role.ADMIN)
    assert (await client.get(url, headers=admin.headers)).status_code == 403
    missing = await client.get(
        "/api/v1/courses/00000000-0000-4000-8000-000000000000/outcomes", headers=supervisor.headers
    )
    assert missing.status_code == 404
    summary = await client.get(url + "/summary.csv", headers=supervisor.headers)
    assert summary.status_code == 200
    assert summary.text.splitlines()[1].startswith(f"course,{cohort.group.course},suppressed,")


@pytest.mark.parametrize("path", ["", "/patients.csv", "/summary.csv", "/chart.svg"])
async def test_admins_and_other_facilitators_are_refused(
    client: httpx.AsyncClient, staff: StaffFactory, path: str
) -> None:
    cohort = await make_cohort(staff)
    url = f"/api/v1/groups/{cohort.group.id}/outcomes{path}"
    admin = await staff.signed_in(Role.ADMIN)
    other = await staff.signed_in(Role.FACILITATOR)
    assert (await client.get(url, headers=admin.headers)).status_code == 403
    assert (await client.get(url, headers=other.headers)).status_code == 403


async def test_patient_csv_has_one_row_per_ended_enrolment(
    client: httpx.AsyncClient, staff: StaffFactory
) -> None:
    cohort = await _scenario(client, staff)
    response = await client.get(
        f"/api/v1/groups/{cohort.group.id}/outcomes/patients.csv",
        headers=cohort.facilitator.headers,
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    a, b, c, _, e = cohort.enrolments
    by_enrolment: dict[str, dict[str, Any]] = {r["enrolment_id"]: r for r in rows}
    assert set(by_enrolment) == {str(a.id), str(b.id), str(c.id), str(e.id)}
    assert by_enrolment[str(a.id)] == {
        "enrolment_id": str(a.id),
        "patient_id": str(a.patient),
        "status": "completed",
        "attended_sessions_with_scores": "2",
        "finished": "yes",
        "first_phq9": "15",
        "last_phq9": "5",
        "first_gad7": "10",
        "last_gad7": "4",
        "caseness_at_start": "yes",
        "recovered": "yes",
        "reliable_improvement": "yes",
        "reliable_deterioration": "no",
        "reliable_recovery": "yes",
    }
    assert by_enrolment[str(b.id)]["finished"] == "no"
    assert by_enrolment[str(b.id)]["recovered"] == ""


async def test_summary_csv_suppresses_counts_under_five(
    client: httpx.AsyncClient, staff: StaffFactory
) -> None:
    cohort = await _scenario(client, staff)
    response = await client.get(
        f"/api/v1/groups/{cohort.group.id}/outcomes/summary.csv", headers=cohort.facilitator.headers
    )
    assert response.status_code == 200
    assert response.text == (
        "scope,id,finished,at_caseness,recovered,reliably_improved,reliably_recovered,"
        "reliably_deteriorated,recovery_rate,reliable_recovery_rate,reliable_improvement_rate,"
        "reliable_deterioration_rate\r\n"
        f"group,{cohort.group.id},suppressed,suppressed,suppressed,suppressed,suppressed,"
        "suppressed,,,,\r\n"
    )


async def test_outcome_queries_do_not_grow_with_patients(
    client: httpx.AsyncClient, staff: StaffFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    small = await _scenario(client, staff)
    large = await make_cohort(staff, patients=10, sessions=2, facilitator=small.facilitator)
    for enrolment in large.enrolments:
        await _score(client, large, 1, enrolment, 15, 10)
        await _score(client, large, 2, enrolment, 5, 4)
        await _attend(large.sessions[0], enrolment, 5)
        await _attend(large.sessions[1], enrolment, 5)
        await _end(enrolment, "completed")
    counts = []
    for cohort in (small, large):
        with count_queries(monkeypatch) as queries:
            response = await client.get(
                f"/api/v1/groups/{cohort.group.id}/outcomes", headers=cohort.facilitator.headers
            )
        assert response.status_code == 200
        counts.append(queries.count)
    assert counts[0] == counts[1]
    assert response.json()["counts"]["finished"] == 10
