"""The supervision list and discussions through HTTP: flags, scope, pages, query count."""

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from api.core.actor import Role
from api.core.schemas import encode_cursor
from api.identity.tables import AuditEntry
from groups.supervision_flags import refresh_all_clinical_flags
from groups.tables import Enrolment, GroupSession, MeasureSet, RiskAlert, SupervisionDiscussion
from tests.api.test_registers import PAST, running_group
from tests.booking_requests import problem
from tests.factories import StaffFactory
from tests.group_factories import make_enrolment, make_group, make_session
from tests.query_count import count_queries

SUPERVISION = "/api/v1/supervision"


def discussions_url(enrolment_id: object) -> str:
    return f"/api/v1/enrolments/{enrolment_id}/discussions"


async def score(enrolment: Enrolment, session: GroupSession, instrument: str, total: int) -> None:
    await MeasureSet(
        enrolment=enrolment.id, session=session.id, instrument=instrument, total=total
    ).save()


async def refreshed() -> None:
    """The nightly refresh: rows written straight into the tables get their flags worked out."""
    await refresh_all_clinical_flags(now=datetime.now(UTC))


async def discussed(enrolment: Enrolment, days_ago: float, **fields: Any) -> None:
    at = datetime.now(UTC) - timedelta(days=days_ago)
    await Enrolment.update({Enrolment.last_discussed_at: at, **fields}).where(
        Enrolment.id == enrolment.id
    )


async def flags_shown(client: httpx.AsyncClient, headers: dict[str, str]) -> dict[str, list[str]]:
    response = await client.get(SUPERVISION, params={"limit": 200}, headers=headers)
    assert response.status_code == 200, response.text
    return {item["enrolment_id"]: item["flags"] for item in response.json()["items"]}


async def test_each_flag_lists_its_enrolment_and_the_unflagged_are_left_off(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    scene = await running_group(staff, patients=9, sessions=4)
    new, quiet, stale, risky, severe, stuck, improving, absent, anxious = scene.enrolments
    s1, s2, _, s4 = scene.sessions
    for enrolment in scene.enrolments[1:]:
        await discussed(enrolment, 1)
    await discussed(stale, 28)
    await RiskAlert(
        enrolment=risky.id, reason="phq9_item9", status="open", raised_at=datetime.now(UTC)
    ).save()
    await RiskAlert(
        enrolment=quiet.id, reason="phq9_item9", status="acknowledged", raised_at=PAST
    ).save()
    await score(severe, s1, "PHQ-9", 21)
    await score(anxious, s1, "GAD-7", 14)
    await score(anxious, s2, "GAD-7", 15)
    await score(stuck, s1, "PHQ-9", 15)
    await score(stuck, s4, "PHQ-9", 10)  # a drop of 5: not reliable
    await score(stuck, s1, "GAD-7", 10)
    await score(stuck, s4, "GAD-7", 7)  # a drop of 3: not reliable
    await score(improving, s1, "PHQ-9", 15)
    await score(improving, s4, "PHQ-9", 9)  # a drop of 6: reliable
    await score(improving, s1, "GAD-7", 10)
    await score(improving, s4, "GAD-7", 10)
    await discussed(absent, 2, consecutive_dnas=2, review_flagged_at=datetime.now(UTC))
    await make_enrolment(scene.group, status="waitlisted")
    await make_enrolment(scene.group, status="completed")
    supervisor = await staff.signed_in(Role.SUPERVISOR)
    await refreshed()

    shown = await flags_shown(client, supervisor.headers)

    assert shown == {
        str(new.id): ["new_enrolment"],
        str(stale.id): ["not_discussed_recently"],
        str(risky.id): ["open_risk_alert"],
        str(severe.id): ["severe_score"],
        str(stuck.id): ["no_reliable_improvement"],
        str(absent.id): ["consecutive_dnas"],
        str(anxious.id): ["severe_score"],
    }


async def test_an_item_shows_the_patient_and_scores_and_the_read_is_audited(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    scene = await running_group(staff, patients=1, sessions=2, names=("Hughes",))
    (enrolment,) = scene.enrolments
    await score(enrolment, scene.sessions[0], "PHQ-9", 12)
    await score(enrolment, scene.sessions[1], "PHQ-9", 20)
    await refreshed()

    response = await client.get(SUPERVISION, headers=scene.facilitator.headers)

    item = response.json()["items"][0]
    assert response.json() == {
        "items": [
            {
                "enrolment_id": str(enrolment.id),
                "group_id": str(scene.group.id),
                "group_name": scene.group.name,
                "patient_id": str(enrolment.patient),
                "given_name": item["given_name"],
                "family_name": "Hughes",
                "enrolment_status": "active",
                "consecutive_dnas": 0,
                "last_discussed_at": None,
                "review_flagged_at": None,
                "latest_phq9": 20,
                "latest_gad7": None,
                "flags": ["new_enrolment", "severe_score"],
            }
        ],
        "next_cursor": None,
    }
    reads = await AuditEntry.select(AuditEntry.entity_id).where(AuditEntry.action == "patient.read")
    assert reads == [{"entity_id": str(enrolment.patient)}]


async def test_facilitators_see_their_caseload_and_admins_nothing(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    scene = await running_group(staff, patients=2)
    elsewhere = await make_enrolment(await make_group())
    supervisor = await staff.signed_in(Role.SUPERVISOR)
    admin = await staff.signed_in(Role.ADMIN)
    outsider = await staff.signed_in(Role.FACILITATOR)

    mine = await flags_shown(client, scene.facilitator.headers)
    everyone = await flags_shown(client, supervisor.headers)
    refused = await client.get(SUPERVISION, headers=admin.headers)

    assert set(mine) == {str(e.id) for e in scene.enrolments}
    assert set(everyone) == {*mine, str(elsewhere.id)}
    assert await flags_shown(client, outsider.headers) == {}
    assert refused.json() == problem(
        "forbidden", "Not allowed", 403, "Your role does not allow this."
    )


async def test_pages_cover_every_flagged_enrolment_once(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    scene = await running_group(staff, patients=5)
    seen: list[str] = []
    cursor = None
    for _ in range(5):
        params: dict[str, Any] = {"limit": 2}
        if cursor:
            params["cursor"] = cursor
        page = (
            await client.get(SUPERVISION, params=params, headers=scene.facilitator.headers)
        ).json()
        seen += [item["enrolment_id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break

    assert sorted(seen) == sorted(str(e.id) for e in scene.enrolments)
    forged = await client.get(
        SUPERVISION, params={"cursor": "nope"}, headers=scene.facilitator.headers
    )
    assert forged.status_code == 400


@pytest.mark.parametrize("sessions", [1, 8])
async def test_the_list_costs_the_same_queries_however_long_the_history(
    staff: StaffFactory,
    client: httpx.AsyncClient,
    monkeypatch: pytest.MonkeyPatch,
    sessions: int,
) -> None:
    scene = await running_group(staff, patients=3, sessions=1)
    made = [scene.sessions[0]] + [
        await make_session(scene.group, n, PAST + timedelta(weeks=n))
        for n in range(2, sessions + 1)
    ]
    for enrolment in scene.enrolments:
        for number, session in enumerate(made, start=1):
            await score(enrolment, session, "PHQ-9", 20 - number)
            await score(enrolment, session, "GAD-7", 15 - number)
    supervisor = await staff.signed_in(Role.SUPERVISOR)
    await refreshed()

    with count_queries(monkeypatch) as queries:
        response = await client.get(SUPERVISION, headers=supervisor.headers)

    assert len(response.json()["items"]) == 3
    # The sign-in check, the page, the audit of the patients shown.
    assert queries.count == 3, queries.statements


async def test_discussion_records_who_when_and_clears_the_flags_it_covers(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    scene = await running_group(staff, patients=1)
    (enrolment,) = scene.enrolments
    await Enrolment.update(
        {Enrolment.consecutive_dnas: 2, Enrolment.review_flagged_at: datetime.now(UTC)}
    ).where(Enrolment.id == enrolment.id)
    supervisor = await staff.signed_in(Role.SUPERVISOR)
    before = await flags_shown(client, supervisor.headers)

    response = await client.post(
        discussions_url(enrolment.id),
        json={"note": "Agreed a call before session 3."},
        headers=supervisor.headers,
    )

    assert before == {str(enrolment.id): ["new_enrolment", "consecutive_dnas"]}
    assert response.status_code == 201
    body = response.json()
    assert body == {
        "id": body["id"],
        "enrolment_id": str(enrolment.id),
        "discussed_by": str(supervisor.user.id),
        "discussed_at": body["discussed_at"],
        "note": "Agreed a call before session 3.",
    }
    assert await flags_shown(client, supervisor.headers) == {}
    assert await SupervisionDiscussion.count() == 1
    row = await Enrolment.select(Enrolment.review_flagged_at, Enrolment.last_discussed_at).first()
    assert row is not None
    assert row["review_flagged_at"] is None
    assert row["last_discussed_at"] is not None
    assert await AuditEntry.count().where(AuditEntry.action == "enrolment.discuss") == 1


async def test_discussion_refused_for_admins_outsiders_and_unknown_enrolments(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    scene = await running_group(staff, patients=1)
    url = discussions_url(scene.enrolments[0].id)
    admin_facilitator = await staff.signed_in(Role.ADMIN, Role.FACILITATOR)
    outsider = await staff.signed_in(Role.FACILITATOR)

    assert (await client.post(url, json={}, headers=outsider.headers)).status_code == 403
    assert (await client.post(url, json={}, headers=admin_facilitator.headers)).status_code == 403
    missing = await client.post(
        discussions_url("00000000-0000-4000-8000-000000000000"),
        json={},
        headers=scene.facilitator.headers,
    )
    assert missing.json() == problem("not-found", "Not found", 404, "No enrolment with this id.")
    too_long = await client.post(url, json={"note": "x" * 2001}, headers=scene.facilitator.headers)
    assert too_long.status_code == 400
    assert await SupervisionDiscussion.count() == 0


async def test_discussion_history_newest_first_a_page_at_a_time(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    scene = await running_group(staff, patients=1)
    (enrolment,) = scene.enrolments
    url = discussions_url(enrolment.id)
    headers = scene.facilitator.headers
    for n in range(3):
        made = await client.post(url, json={"note": f"Discussion {n}"}, headers=headers)
        assert made.status_code == 201
    admin = await staff.signed_in(Role.ADMIN)

    first = (await client.get(url, params={"limit": 2}, headers=headers)).json()
    second = (
        await client.get(url, params={"limit": 2, "cursor": first["next_cursor"]}, headers=headers)
    ).json()

    assert [d["note"] for d in first["items"]] == ["Discussion 2", "Discussion 1"]
    assert [d["note"] for d in second["items"]] == ["Discussion 0"]
    assert second["next_cursor"] is None
    assert (await client.get(url, headers=admin.headers)).status_code == 403
    assert (await client.get(url, params={"cursor": "x"}, headers=headers)).status_code == 400


async def test_a_forged_cursor_naming_no_enrolment_is_400(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    supervisor = await staff.signed_in(Role.SUPERVISOR)
    forged = encode_cursor("not-an-id")

    response = await client.get(SUPERVISION, params={"cursor": forged}, headers=supervisor.headers)

    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"field": "cursor", "reason": "is not a cursor this API gave"}
    ]


@pytest.mark.parametrize(
    "key",
    [
        ["2026-01-01", "00000000-0000-4000-8000-000000000000"],
        ["0001-01-01T00:00:00+14:00", "00000000-0000-4000-8000-000000000000"],
        ["9999-12-31T23:59:59-12:00", "00000000-0000-4000-8000-000000000000"],
        ["2026-01-01T00:00:00+00:00", "nope"],
        ["yesterday", "00000000-0000-4000-8000-000000000000"],
    ],
)
async def test_forged_discussion_cursors_are_400_never_500(
    staff: StaffFactory, client: httpx.AsyncClient, key: list[str]
) -> None:
    scene = await running_group(staff, patients=1)
    url = discussions_url(scene.enrolments[0].id)

    response = await client.get(
        url, params={"cursor": encode_cursor(*key)}, headers=scene.facilitator.headers
    )

    assert response.status_code == 400


async def test_the_list_narrows_to_one_group(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    scene = await running_group(staff, patients=2)
    other = await make_group(facilitators=(scene.facilitator.user.id,))
    await make_enrolment(other)
    outsider = await staff.signed_in(Role.FACILITATOR)

    narrowed = await client.get(
        SUPERVISION, params={"group_id": str(scene.group.id)}, headers=scene.facilitator.headers
    )
    refused = await client.get(
        SUPERVISION, params={"group_id": str(scene.group.id)}, headers=outsider.headers
    )
    unknown = await client.get(
        SUPERVISION,
        params={"group_id": "00000000-0000-4000-8000-000000000000"},
        headers=scene.facilitator.headers,
    )

    assert {item["enrolment_id"] for item in narrowed.json()["items"]} == {
        str(e.id) for e in scene.enrolments
    }
    assert refused.status_code == 403
    assert unknown.status_code == 404
