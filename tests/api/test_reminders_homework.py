"""Homework due reminders: a day before, once per patient and due time, not once sent."""

from datetime import UTC, datetime, timedelta

from groups.tables import GroupSession
from materials.tables import Assignment, HomeworkSubmission
from scheduling.jobs.homework import queue_homework_reminders
from scheduling.tables import OutboxMessage
from tests.group_factories import make_enrolment, make_group, make_patient, make_session

DUE = datetime(2027, 1, 18, 10, 0, tzinfo=UTC)


async def _assign(
    enrolment_id: object, session: GroupSession, slug: str, due_at: datetime = DUE
) -> Assignment:
    row = Assignment(
        enrolment=enrolment_id,
        session=session.id,
        kind="homework",
        slug=slug,
        due_at=due_at,
        assigned_at=due_at - timedelta(days=7),
    )
    await row.save()
    return row


async def test_one_reminder_a_day_before_for_unsent_homework(database: None) -> None:
    group = await make_group(status="running")
    session = await make_session(group, 1, DUE - timedelta(days=7), book_room=False)
    keen = await make_enrolment(group, await make_patient(given_name="Ana", consents_to_app=True))
    done = await make_enrolment(group)
    gone = await make_enrolment(group, status="dropped_out")
    await _assign(keen.id, session, "diary")
    await _assign(keen.id, session, "worksheet")  # due together: one reminder
    submitted = await _assign(done.id, session, "diary")
    await HomeworkSubmission(
        assignment=submitted.id, status="submitted", submitted_at=DUE - timedelta(days=2)
    ).save()
    await _assign(gone.id, session, "diary")

    assert await queue_homework_reminders(now=DUE - timedelta(days=2)) == 0
    assert await queue_homework_reminders(now=DUE - timedelta(hours=23)) == 2
    assert await queue_homework_reminders(now=DUE - timedelta(hours=22)) == 2  # already queued
    rows = await OutboxMessage.select().output(load_json=True)
    assert sorted((r["channel"], r["recipient_id"]) for r in rows) == [
        ("in_app", str(keen.patient)),
        ("sms", str(keen.patient)),
    ]
    assert {r["template_key"] for r in rows} == {"homework_due"}
    assert rows[0]["parameters"] == {"name": "Ana", "starts": "Monday 18 January at 10:00"}
    assert {r["expires_at"] for r in rows} == {DUE}
    assert {r["due_at"] for r in rows} == {DUE - timedelta(hours=23)}
