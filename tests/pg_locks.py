"""PostgreSQL tests that hold a row from a second connection and wait for the service to
queue behind it."""

import asyncio

import asyncpg

_WAITING = (
    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
    "AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
)


async def wait_until_blocked(connection: asyncpg.Connection, what: str) -> None:
    """Until some other session of this database waits on a lock; ``what`` names it."""
    for _ in range(500):  # ten seconds
        if await connection.fetchval(_WAITING):
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"{what} never waited on the other session's row")
