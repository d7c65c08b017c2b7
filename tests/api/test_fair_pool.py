"""PostgreSQL connections go to requests in the order they asked (api.core.fair_pool)."""

import asyncio

import asyncpg  # type: ignore[import-untyped]
import pytest

from api.core.fair_pool import FairPool
from tests.conftest import TEST_DATABASE


async def _first_served(pool: object) -> list[str]:
    """A holds the only connection, B waits for it, then C asks as soon as A gives it back.

    (asyncpg's own pool passes this one too: its barging needs the new request to ask in
    the instant between the hand-back and the woken waiter running, which the benchmark
    hits under load but a test cannot time. This pins the order FairPool promises.)
    """
    served: list[str] = []
    holder = await pool.acquire()  # type: ignore[attr-defined]

    async def take(name: str) -> None:
        async with pool.acquire() as connection:  # type: ignore[attr-defined]
            served.append(name)
            await connection.fetchval("SELECT 1")

    waiting = asyncio.create_task(take("B"))
    await asyncio.sleep(0.05)  # B is queued
    await pool.release(holder)  # type: ignore[attr-defined]
    await take("C")  # C asks at once, before B has run again: it must wait its turn
    await waiting
    return served


@pytest.mark.postgres_only  # SQLite's engine has its own fair queue (api.core.sqlite_engine)
async def test_a_waiting_request_is_served_before_one_that_arrives_later(
    database: None,
) -> None:
    pool = await asyncpg.create_pool(TEST_DATABASE.url, min_size=1, max_size=1)
    try:
        assert await _first_served(FairPool(pool, 1)) == ["B", "C"]
    finally:
        await pool.close()
