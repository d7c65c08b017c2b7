"""asyncpg's pool handed out first come, first served.

asyncpg keeps idle connections in an asyncio queue. When a connection comes back, the
waiter it wakes has not run yet when a newly arrived request asks and takes it; the woken
waiter finds the queue empty and waits again, at the back. Under load some requests lose
that race again and again: with 32 concurrent booking requests on a pool of 10, the
median was 26 ms and the slowest hundredth over 100 ms. A FIFO semaphore (asyncio's is
fair since Python 3.11) in front of the pool serves requests in the order they asked.
"""

import asyncio
from collections.abc import Generator
from types import TracebackType
from typing import Any


class FairPool:
    """Wraps an asyncpg pool: ``acquire``, ``release`` and ``fetch`` queue in arrival order.

    Everything else (``close``, sizes) goes to the pool itself.
    """

    def __init__(self, pool: Any, size: int) -> None:
        """At most ``size`` connections out at once (the pool's own maximum)."""
        self._pool = pool
        self._turns = asyncio.Semaphore(size)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._pool, name)

    async def _take(self) -> Any:
        await self._turns.acquire()
        try:
            return await self._pool.acquire()
        except BaseException:
            self._turns.release()
            raise

    def acquire(self) -> "_Lease":
        """A connection: ``await pool.acquire()`` or ``async with pool.acquire() as c``."""
        return _Lease(self)

    async def release(self, connection: Any) -> None:
        """Give a connection back; the next request in line gets its turn."""
        try:
            await self._pool.release(connection)
        finally:
            self._turns.release()

    async def fetch(self, sql: str, *args: Any) -> list[Any]:
        """Run one query on a connection taken in turn."""
        async with self.acquire() as connection:
            return list(await connection.fetch(sql, *args))


class _Lease:
    """What ``FairPool.acquire`` answers: awaitable, or an async context manager."""

    __slots__ = ("_connection", "_pool")

    def __init__(self, pool: FairPool) -> None:
        self._pool = pool
        self._connection: Any = None

    def __await__(self) -> Generator[Any, None, Any]:
        return self._pool._take().__await__()

    async def __aenter__(self) -> Any:
        self._connection = await self._pool._take()
        return self._connection

    async def __aexit__(
        self,
        exception_type: type[BaseException] | None,
        exception: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self._pool.release(self._connection)
