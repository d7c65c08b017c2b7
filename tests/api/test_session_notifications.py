"""The messages a session change queues (pure part): who, which channels, what they say."""

from datetime import UTC, datetime, timedelta
from uuid import UUID
from zoneinfo import ZoneInfo

from groups.session_notifications import Recipient, Where, messages_for

LONDON = ZoneInfo("Europe/London")
NOW = datetime(2027, 3, 25, 9, 0, tzinfo=UTC)
SAM = Recipient(UUID(int=1), "Sam", "en", ("sms", "email"))
NOBODY = Recipient(UUID(int=2), "Ned", "en", ())


def test_messages_for_each_consented_channel_with_only_venue_town_date_and_time() -> None:
    where = Where("Tavistock Library", "Tavistock", datetime(2027, 4, 5, 17, 0, tzinfo=UTC))

    messages = messages_for(
        [SAM, NOBODY],
        template_key="session_moved",
        dedup_prefix="session-moved:s:1",
        where=where,
        zone=LONDON,
        now=NOW,
    )

    assert [(m.recipient_id, m.channel, m.dedup_key, m.urgent) for m in messages] == [
        (str(SAM.patient_id), "sms", f"session-moved:s:1:{SAM.patient_id}:sms", False),
        (str(SAM.patient_id), "email", f"session-moved:s:1:{SAM.patient_id}:email", False),
    ]
    # 17:00 UTC on 5 April is 18:00 in London (summer time).
    assert dict(messages[0].parameters) == {
        "name": "Sam",
        "starts": "Mon 5 Apr 2027 18:00",
        "venue": "Tavistock Library, Tavistock",
        "venue_name": "Tavistock Library",
        "town": "Tavistock",
        "date": "2027-04-05",
        "time": "18:00",
    }


def test_messages_for_a_session_within_two_days_are_urgent() -> None:
    soon = Where("Okehampton Community Centre", "", NOW + timedelta(hours=47))

    messages = messages_for(
        [SAM],
        template_key="session_cancelled",
        dedup_prefix="session-cancelled:s",
        where=soon,
        zone=LONDON,
        now=NOW,
    )

    assert {m.urgent for m in messages} == {True}
    assert messages[0].parameters["venue"] == "Okehampton Community Centre"
