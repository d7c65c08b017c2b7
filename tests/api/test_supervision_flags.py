"""The stored supervision flags follow every write that can change them, and the nightly
refresh works out what was written around the services."""

from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from api.core.actor import Role
from api.core.database import write_transaction
from groups import risk_alerts, supervision_flags
from groups.tables import Enrolment, MeasureSet, RiskAlert
from tests.api.test_measure_helpers import make_cohort, phq9
from tests.api.test_sessions import move, scheduled
from tests.factories import SignedIn, StaffFactory
from tests.group_factories import make_enrolment

SUPERVISION = "/api/v1/supervision"


async def listed(client: httpx.AsyncClient, who: SignedIn) -> dict[str, dict[str, Any]]:
    response = await client.get(SUPERVISION, params={"limit": 200}, headers=who.headers)
    assert response.status_code == 200, response.text
    return {
        item["enrolment_id"]: {"flags": item["flags"], "latest_phq9": item["latest_phq9"]}
        for item in response.json()["items"]
    }


async def test_a_severe_score_flags_at_once_and_its_correction_clears_it(
    client: httpx.AsyncClient, staff: StaffFactory
) -> None:
    cohort = await make_cohort(staff, patients=1)
    (enrolment,) = cohort.enrolments
    url = cohort.measures_url()
    headers = cohort.facilitator.headers

    severe = await client.post(
        url, json=phq9(3, 3, 3, 3, 3, 3, 2, 2, 0, enrolment=enrolment), headers=headers
    )
    after_severe = await listed(client, cohort.facilitator)
    corrected = await client.post(
        url, json=phq9(1, 1, 1, 1, 1, 1, 1, 1, 0, enrolment=enrolment), headers=headers
    )
    after_correction = await listed(client, cohort.facilitator)

    assert (severe.status_code, severe.json()["total"]) == (201, 22)
    assert after_severe == {
        str(enrolment.id): {"flags": ["new_enrolment", "severe_score"], "latest_phq9": 22}
    }
    assert (corrected.status_code, corrected.json()["total"]) == (200, 8)
    assert after_correction == {str(enrolment.id): {"flags": ["new_enrolment"], "latest_phq9": 8}}


async def test_a_risk_answer_flags_at_once_and_acknowledging_the_alert_clears_it(
    client: httpx.AsyncClient, staff: StaffFactory
) -> None:
    cohort = await make_cohort(staff, patients=1)
    (enrolment,) = cohort.enrolments
    stored = await client.post(
        cohort.measures_url(),
        json=phq9(0, 0, 0, 0, 0, 0, 0, 0, 1, enrolment=enrolment),
        headers=cohort.facilitator.headers,
    )
    alert_id = stored.json()["risk_alert_id"]

    raised = await listed(client, cohort.facilitator)
    acknowledged = await client.post(
        f"/api/v1/risk-alerts/{alert_id}/acknowledge",
        json={"action_note": "Called; safety plan agreed."},
        headers=cohort.facilitator.headers,
    )
    after = await listed(client, cohort.facilitator)

    assert raised[str(enrolment.id)]["flags"] == ["new_enrolment", "open_risk_alert"]
    assert acknowledged.status_code == 200, acknowledged.text
    assert after[str(enrolment.id)]["flags"] == ["new_enrolment"]


async def test_a_free_text_alert_flags_its_enrolment_once(
    client: httpx.AsyncClient, staff: StaffFactory
) -> None:
    cohort = await make_cohort(staff, patients=2)
    flagged, other = cohort.enrolments
    now = datetime.now(UTC)

    for _ in range(2):  # a retry raises nothing more
        async with write_transaction():
            await risk_alerts.raise_free_text_alert(flagged.id, "homework", "submission:1", now=now)

    shown = await listed(client, cohort.facilitator)
    assert shown[str(flagged.id)]["flags"] == ["new_enrolment", "open_risk_alert"]
    assert shown[str(other.id)]["flags"] == ["new_enrolment"]
    assert await RiskAlert.count() == 1


async def test_moving_a_session_reorders_the_scores_and_the_flags_follow(
    client: httpx.AsyncClient, staff: StaffFactory
) -> None:
    admin = await staff.signed_in(Role.ADMIN, Role.SUPERVISOR)
    group, sessions = await scheduled(client, admin)
    enrolment = await make_enrolment(group)
    second, third = sessions[1], sessions[2]  # Mondays 18 and 25 January 2027
    for session, answers in ((second, (3, 3, 3, 3, 3, 3, 2, 2, 0)), (third, (1,) * 8 + (0,))):
        entered = await client.post(
            f"/api/v1/sessions/{session['id']}/measures",
            json=phq9(*answers, enrolment=enrolment),
            headers=admin.headers,
        )
        assert entered.status_code == 201, entered.text
    before = await listed(client, admin)

    moved = await move(client, admin, third["id"], starts_at="2027-01-12T14:00")

    assert before[str(enrolment.id)] == {"flags": ["new_enrolment"], "latest_phq9": 8}
    assert moved.status_code == 200, moved.text
    # The third session now comes first: the severe 22 of the second is the latest score.
    assert (await listed(client, admin))[str(enrolment.id)] == {
        "flags": ["new_enrolment", "severe_score"],
        "latest_phq9": 22,
    }


async def test_the_nightly_refresh_works_out_rows_written_around_the_services_in_batches(
    staff: StaffFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(supervision_flags, "REFRESH_BATCH", 2)
    cohort = await make_cohort(staff, patients=5)
    ended = await make_enrolment(cohort.group, status="completed")
    for enrolment in [*cohort.enrolments, ended]:
        await MeasureSet(
            enrolment=enrolment.id, session=cohort.sessions[0].id, instrument="PHQ-9", total=21
        ).save()
    now = datetime.now(UTC)

    changed = await supervision_flags.refresh_all_clinical_flags(now=now)
    again = await supervision_flags.refresh_all_clinical_flags(now=now)

    rows = await Enrolment.select(
        Enrolment.id, Enrolment.has_severe_score, Enrolment.latest_phq9
    ).order_by(Enrolment.id)
    assert (changed, again) == (5, 0)
    assert {row["id"]: (row["has_severe_score"], row["latest_phq9"]) for row in rows} == {
        **{enrolment.id: (True, 21) for enrolment in cohort.enrolments},
        ended.id: (False, None),  # no longer listed: left as it was
    }
