"""The DNA policy through the register: counts, the review flag and the follow-up message."""

from typing import Any

import httpx
import pytest

from api.core.settings import get_settings
from groups.tables import Enrolment, Patient
from scheduling.tables import OutboxMessage
from tests.api.test_registers import running_group, take
from tests.factories import StaffFactory


async def enrolment_row(enrolment_id: Any) -> dict[str, Any]:
    row: dict[str, Any] | None = (
        await Enrolment.select(Enrolment.consecutive_dnas, Enrolment.review_flagged_at)
        .where(Enrolment.id == enrolment_id)
        .first()
    )
    assert row is not None
    return row


async def messages() -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = (
        await OutboxMessage.select(
            OutboxMessage.recipient_kind,
            OutboxMessage.recipient_id,
            OutboxMessage.channel,
            OutboxMessage.template_key,
            OutboxMessage.dedup_key,
            OutboxMessage.parameters,
        )
        .order_by(OutboxMessage.channel)
        .output(load_json=True)
    )
    return rows


async def test_two_consecutive_dnas_flag_review_and_queue_one_follow_up_per_channel(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    scene = await running_group(staff, patients=2, sessions=3)
    dna, fine = scene.enrolments
    await Patient.update({Patient.consents_to_email: True, Patient.email: "p@example.org"}).where(
        Patient.id == dna.patient
    )
    one, two, three = scene.sessions

    await take(client, scene.facilitator, one.id, [(dna.id, 3), (fine.id, 5)])
    after_one = await enrolment_row(dna.id)
    await take(client, scene.facilitator, two.id, [(dna.id, 3), (fine.id, 3)])
    after_two = await enrolment_row(dna.id)
    await take(client, scene.facilitator, three.id, [(dna.id, 3), (fine.id, 5)])
    after_three = await enrolment_row(dna.id)

    assert after_one == {"consecutive_dnas": 1, "review_flagged_at": None}
    assert after_two["consecutive_dnas"] == 2
    assert after_two["review_flagged_at"] is not None
    assert after_three == {
        "consecutive_dnas": 3,
        "review_flagged_at": after_two["review_flagged_at"],
    }
    assert await enrolment_row(fine.id) == {"consecutive_dnas": 0, "review_flagged_at": None}
    assert await messages() == [
        {
            "recipient_kind": "patient",
            "recipient_id": str(dna.patient),
            "channel": channel,
            "template_key": "dna_follow_up",
            "dedup_key": f"dna-follow-up:{dna.id}:{two.id}:{channel}",
            "parameters": {"service_name": "Stepwise"},
        }
        for channel in ("email", "sms")
    ]


async def test_late_not_seen_and_cancellations_keep_the_count(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    scene = await running_group(staff, patients=1, sessions=4)
    (enrolment,) = scene.enrolments
    for session, code in zip(scene.sessions, (3, 7, 2, 4), strict=True):
        await take(client, scene.facilitator, session.id, [(enrolment.id, code)])

    assert await enrolment_row(enrolment.id) == {"consecutive_dnas": 1, "review_flagged_at": None}
    assert await messages() == []


async def test_a_correction_recomputes_the_count_from_the_whole_attendance(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    scene = await running_group(staff, patients=1, sessions=3)
    (enrolment,) = scene.enrolments
    one, two, three = scene.sessions
    await take(client, scene.facilitator, one.id, [(enrolment.id, 5)])
    await take(client, scene.facilitator, two.id, [(enrolment.id, 5)])
    await take(client, scene.facilitator, three.id, [(enrolment.id, 3)])

    # The second session was wrongly marked: the patient did not come.
    await take(client, scene.facilitator, two.id, [(enrolment.id, 3)])
    flagged = await enrolment_row(enrolment.id)
    # And the first session's register is corrected too, which changes nothing here.
    await take(client, scene.facilitator, one.id, [(enrolment.id, 6)])
    # The third was in fact attended.
    await take(client, scene.facilitator, three.id, [(enrolment.id, 5)])

    assert flagged["consecutive_dnas"] == 2
    assert flagged["review_flagged_at"] is not None
    assert await enrolment_row(enrolment.id) == {
        "consecutive_dnas": 0,
        "review_flagged_at": flagged["review_flagged_at"],
    }
    assert [m["dedup_key"] for m in await messages()] == [
        f"dna-follow-up:{enrolment.id}:{two.id}:sms"
    ]


async def test_the_review_threshold_follows_the_setting(
    staff: StaffFactory, client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(get_settings().groups, "dna_review_after", 1)
    scene = await running_group(staff, patients=1, sessions=1)
    (enrolment,) = scene.enrolments

    await take(client, scene.facilitator, scene.sessions[0].id, [(enrolment.id, 3)])

    assert (await enrolment_row(enrolment.id))["review_flagged_at"] is not None
    assert len(await messages()) == 1


async def test_no_follow_up_without_a_consented_channel(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    scene = await running_group(staff, patients=1, sessions=2)
    (enrolment,) = scene.enrolments
    await Patient.update({Patient.consents_to_sms: False}).where(Patient.id == enrolment.patient)

    for session in scene.sessions:
        await take(client, scene.facilitator, session.id, [(enrolment.id, 3)])

    assert (await enrolment_row(enrolment.id))["review_flagged_at"] is not None
    assert await messages() == []
