"""The minimal outbox: a message is a row, and a dedup key is queued once."""

import asyncio
from datetime import UTC, datetime

import pytest

from api.core.database import write_transaction
from scheduling.outbox import OutgoingMessage, queue_messages
from scheduling.tables import OutboxMessage

NOW = datetime(2027, 1, 4, 9, 0, tzinfo=UTC)


def _message(key: str = "session-moved:s1:p1:sms") -> OutgoingMessage:
    return OutgoingMessage(
        recipient_kind="patient",
        recipient_id="p1",
        channel="sms",
        template_key="session_moved",
        dedup_key=key,
        due_at=NOW,
        parameters={"venue": "Tavistock Library", "starts": "Mon 11 Jan 10:00"},
    )


async def test_a_queued_message_is_a_pending_row(database: None) -> None:
    async with write_transaction():
        await queue_messages([_message()], now=NOW)
    rows = await OutboxMessage.select().output(load_json=True).run()
    assert [(r["status"], r["template_key"], r["parameters"]) for r in rows] == [
        ("pending", "session_moved", {"venue": "Tavistock Library", "starts": "Mon 11 Jan 10:00"})
    ]


async def test_the_same_dedup_key_twice_and_concurrently_makes_one_row(database: None) -> None:
    async def queue_once() -> None:
        async with write_transaction():
            await queue_messages([_message(), _message("other")], now=NOW)

    await asyncio.gather(*(queue_once() for _ in range(5)))
    assert await OutboxMessage.count() == 2


def test_unknown_channels_and_empty_keys_are_refused() -> None:
    with pytest.raises(ValueError, match="channel"):
        OutgoingMessage("patient", "p1", "pigeon", "t", "k", NOW)
    with pytest.raises(ValueError, match="dedup key"):
        OutgoingMessage("patient", "p1", "sms", "t", "", NOW)


async def test_thousands_of_messages_queue_in_one_call(database: None) -> None:
    # More rows than one PostgreSQL statement can carry arguments for (32,767).
    messages = [_message(f"bulk-{number}") for number in range(3000)]
    async with write_transaction():
        await queue_messages(messages, now=NOW)
    assert await OutboxMessage.count() == 3000
