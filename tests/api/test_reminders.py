"""Session reminders: right local times across the clock changes, exactly once, catch-up."""

from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import time_machine

from api.core import clock
from api.core.database import write_transaction
from groups.tables import Group, GroupSession, Patient
from scheduling.delivery.development import DevelopmentChannel
from scheduling.delivery.inbox import InboxChannel
from scheduling.dispatcher import dispatch_due
from scheduling.jobs.recipients import ServiceDirectory
from scheduling.outbox import cancel_pending_for
from scheduling.reminders import queue_questionnaire_nudges, queue_session_reminders
from scheduling.rules.reminders import parse_offset
from scheduling.tables import OutboxMessage, ReminderLedger
from tests.group_factories import make_enrolment, make_group, make_patient, make_session
from tests.scheduling_factories import make_room, make_venue

LONDON = ZoneInfo("Europe/London")


def _files(directory: Path) -> list[Path]:
    return list(directory.iterdir())


def _local(value: datetime) -> str:
    return value.astimezone(LONDON).strftime("%a %d %b %H:%M %Z")


async def _group_with_session(
    starts_at: datetime, **group_fields: Any
) -> tuple[Group, GroupSession]:
    room = await make_room(await make_venue(name="Tavistock Library"))
    local = starts_at.astimezone(LONDON)
    group = await make_group(
        room=room,
        first_session_date=local.date(),
        start_time=local.time().replace(tzinfo=None),
        status="scheduled",
        **group_fields,
    )
    session = await make_session(group, 1, starts_at)
    return group, session


async def _run_week(start: datetime, end: datetime, outbox: Path, step: timedelta) -> None:
    """Every tick: the reminders job, then the dispatcher, as the scheduler would run them."""
    moment = start
    while moment <= end:
        with time_machine.travel(moment, tick=False):
            now = clock.now()
            await queue_session_reminders(now=now)
            development = DevelopmentChannel(outbox, now)
            channels = {"sms": development, "in_app": InboxChannel(now)}
            await dispatch_due(now=now, channels=channels, directory=ServiceDirectory())
        moment += step


async def _sent() -> list[tuple[str, str, str, str]]:
    rows = (
        await OutboxMessage.select().order_by(OutboxMessage.sent_at).order_by(OutboxMessage.channel)
    )
    return [
        (r["dedup_key"].split(":")[5], r["channel"], r["status"], _local(r["sent_at"]))
        for r in rows
    ]


async def _clock_change_week(
    session_start: datetime, tmp_path: Path
) -> tuple[Group, GroupSession, list[Any]]:
    group, session = await _group_with_session(session_start)
    texting = await make_enrolment(
        group, await make_patient(given_name="Siân", preferred_language="cy")
    )
    app_user = await make_enrolment(
        group, await make_patient(given_name="Alex", consents_to_app=True)
    )
    await make_enrolment(group, await make_patient(), status="waitlisted")
    await make_enrolment(
        group,
        await make_patient(),
        status="invited",
        invitation_expires_at=session_start - timedelta(days=5),
    )
    await make_enrolment(group, await make_patient(consents_to_sms=False, consents_to_letter=True))
    start = session_start - timedelta(days=4)
    await _run_week(start, session_start + timedelta(hours=2), tmp_path, timedelta(minutes=30))
    return group, session, [texting, app_user]


async def test_march_change_reminders_come_at_the_sessions_local_times_exactly_once(
    database: None, tmp_path: Path
) -> None:
    # Monday 29 March 2027 10:00 BST; the clocks went forward at 01:00 on Sunday 28.
    starts = datetime(2027, 3, 29, 9, 0, tzinfo=UTC)
    await _clock_change_week(starts, tmp_path)
    assert await _sent() == [
        ("2d", "in_app", "sent", "Sat 27 Mar 10:00 GMT"),
        ("2d", "sms", "sent", "Sat 27 Mar 10:00 GMT"),
        ("2d", "sms", "sent", "Sat 27 Mar 10:00 GMT"),
        ("2h", "in_app", "sent", "Mon 29 Mar 08:00 BST"),
        ("2h", "sms", "sent", "Mon 29 Mar 08:00 BST"),
        ("2h", "sms", "sent", "Mon 29 Mar 08:00 BST"),
    ]
    bodies = {r["rendered_body"] for r in await OutboxMessage.select(OutboxMessage.rendered_body)}
    assert (
        "Helo Siân, nodyn i'ch atgoffa bod eich sesiwn grŵp ar Dydd Llun 29 Mawrth am 10:00 yn "
        "Tavistock Library. Os na allwch ddod, rhowch wybod i'r tîm."
    ) in bodies
    assert (
        "Hello Alex, a reminder that your group session is on Monday 29 March at 10:00 at "
        "Tavistock Library. If you cannot come, please let the team know."
    ) in bodies
    # Every SMS the development channel sent is a file of its own.
    assert len(_files(tmp_path)) == 4


async def test_october_change_reminders_come_at_the_sessions_local_times_exactly_once(
    database: None, tmp_path: Path
) -> None:
    # Monday 1 November 2027 10:00 GMT; the clocks went back at 02:00 on Sunday 31 October.
    starts = datetime(2027, 11, 1, 10, 0, tzinfo=UTC)
    await _clock_change_week(starts, tmp_path)
    assert [entry[1:] for entry in await _sent()] == [
        ("in_app", "sent", "Sat 30 Oct 10:00 BST"),
        ("sms", "sent", "Sat 30 Oct 10:00 BST"),
        ("sms", "sent", "Sat 30 Oct 10:00 BST"),
        ("in_app", "sent", "Mon 01 Nov 08:00 GMT"),
        ("sms", "sent", "Mon 01 Nov 08:00 GMT"),
        ("sms", "sent", "Mon 01 Nov 08:00 GMT"),
    ]
    assert Counter(r["outcome"] for r in await ReminderLedger.select()) == {"queued": 2}


async def test_after_a_long_outage_only_the_useful_reminder_goes_and_the_rest_are_recorded(
    database: None, tmp_path: Path
) -> None:
    # Down from Friday until Monday 08:30: the 10:00 session's two-day reminder is stale,
    # its two-hour one is still useful; the 08:00 session has begun.
    later_group, later = await _group_with_session(datetime(2027, 1, 11, 10, 0, tzinfo=UTC))
    earlier_group, earlier = await _group_with_session(datetime(2027, 1, 11, 8, 0, tzinfo=UTC))
    await make_enrolment(later_group)
    await make_enrolment(earlier_group)
    back = datetime(2027, 1, 11, 8, 30, tzinfo=UTC)
    report = await queue_session_reminders(now=back)
    assert (report.queued, report.superseded, report.dropped, report.messages) == (1, 1, 2, 1)
    [row] = await OutboxMessage.select()
    assert (row["dedup_key"].split(":")[3], row["due_at"], row["expires_at"]) == (
        str(later.id),
        back,
        later.starts_at,
    )
    ledger = {
        (r["session_id"], r["offset_label"]): (r["outcome"], r["messages"])
        for r in await ReminderLedger.select()
    }
    assert ledger == {
        (str(later.id), "2d"): ("superseded", 1),
        (str(later.id), "2h"): ("queued", 1),
        (str(earlier.id), "2d"): ("session_started", 1),
        (str(earlier.id), "2h"): ("session_started", 1),
    }
    # The next run, and a second scheduler at the same moment, add nothing.
    again = await queue_session_reminders(now=back + timedelta(minutes=5))
    assert (again.queued, again.superseded, again.dropped) == (0, 0, 0)
    assert await OutboxMessage.count() == 1


async def test_cancelled_sessions_and_groups_get_no_reminders_and_cancelling_cancels_queued_ones(
    database: None,
) -> None:
    starts = datetime(2027, 1, 11, 10, 0, tzinfo=UTC)
    group, session = await _group_with_session(starts)
    await make_enrolment(group)
    cancelled_group, _ = await _group_with_session(starts, name="Gone")
    await make_enrolment(cancelled_group)
    await Group.update({Group.status: "cancelled"}).where(Group.id == cancelled_group.id)
    report = await queue_session_reminders(now=starts - timedelta(days=2))
    assert report.messages == 1
    async with write_transaction():
        assert await cancel_pending_for(f"group:{group.id}:session:{session.id}:", now=starts) == 1
    await GroupSession.update({GroupSession.status: "cancelled"}).where(
        GroupSession.id == session.id
    )
    later = await queue_session_reminders(now=starts - timedelta(hours=2))
    assert later.messages == 0
    assert [r["status"] for r in await OutboxMessage.select()] == ["cancelled"]


async def test_offsets_are_configurable(database: None) -> None:
    starts = datetime(2027, 1, 11, 18, 0, tzinfo=UTC)
    group, _ = await _group_with_session(starts)
    await make_enrolment(group)
    offsets = [parse_offset("1d"), parse_offset("30m")]
    await queue_session_reminders(now=starts - timedelta(days=1), offsets=offsets)
    await queue_session_reminders(now=starts - timedelta(minutes=30), offsets=offsets)
    due = sorted(_local(r["due_at"]) for r in await OutboxMessage.select())
    assert due == ["Mon 11 Jan 17:30 GMT", "Sun 10 Jan 18:00 GMT"]


async def test_questionnaire_nudges_go_a_day_before_to_everyone_holding_a_place(
    database: None,
) -> None:
    starts = datetime(2027, 1, 11, 10, 0, tzinfo=UTC)
    group, session = await _group_with_session(starts)
    # Missed the last session, still holding a place: nudged too.
    missed = await make_enrolment(group, consecutive_dnas=1)
    await make_enrolment(group, status="dropped_out")
    assert (await queue_questionnaire_nudges(now=starts - timedelta(days=2))).messages == 0
    report = await queue_questionnaire_nudges(now=starts - timedelta(days=1))
    assert report.messages == 1
    again = await queue_questionnaire_nudges(now=starts - timedelta(hours=20))
    assert again.messages == 0
    [row] = await OutboxMessage.select().output(load_json=True)
    assert row["template_key"] == "questionnaire_nudge"
    assert row["dedup_key"] == (
        f"group:{group.id}:session:{session.id}:questionnaire:1d:{missed.id}:sms"
    )
    assert row["parameters"] == {
        "name": (await Patient.objects().get(Patient.id == missed.patient)).given_name,
        "starts": "Monday 11 January at 10:00",
    }
    # Session reminders are a ledger of their own: the nudge does not stand in for them.
    assert (await queue_session_reminders(now=starts - timedelta(days=2))).messages == 1


async def test_a_moved_session_gets_fresh_reminders_for_its_new_time(database: None) -> None:
    monday = datetime(2027, 1, 11, 10, 0, tzinfo=UTC)
    group, session = await _group_with_session(monday)
    await make_enrolment(group)
    assert (await queue_session_reminders(now=monday - timedelta(days=2))).messages == 1
    # Moved to Tuesday (the session helper raises the sequence and cancels what was queued).
    tuesday = monday + timedelta(days=1)
    await GroupSession.update({GroupSession.starts_at: tuesday, GroupSession.sequence: 1}).where(
        GroupSession.id == session.id
    )
    async with write_transaction():
        assert await cancel_pending_for(f"group:{group.id}:session:{session.id}:", now=monday) == 1
    # Sunday 10:00: the two-day reminder for the new time.
    report = await queue_session_reminders(now=tuesday - timedelta(days=2))
    assert report.messages == 1
    rows = await OutboxMessage.select().order_by(OutboxMessage.created_at)
    assert [(r["status"], r["dedup_key"].endswith(":v1"), _local(r["due_at"])) for r in rows] == [
        ("cancelled", False, "Sat 09 Jan 10:00 GMT"),
        ("pending", True, "Sun 10 Jan 10:00 GMT"),
    ]
    assert "Tuesday 12 January at 10:00" in str(
        await OutboxMessage.select(OutboxMessage.parameters).output(load_json=True)
    )
