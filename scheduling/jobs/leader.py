"""Only one scheduler acts at a time: a PostgreSQL advisory lock, or a SQLite lease row.

PostgreSQL: a session advisory lock held on a connection of the leader's own (not the
pool's: pooled connections must keep no session state); if that connection drops, the
lock goes with it and another process takes over on its next tick.

SQLite: a row per lease name holding the holder's id and an expiry; the holder renews it
on every tick, anyone may take it once it has expired. Writes are serialised (BEGIN
IMMEDIATE), so two processes cannot both take it.
"""

import asyncio
import logging
import os
import socket
import uuid
from datetime import datetime, timedelta
from typing import Any, Protocol

import asyncpg  # type: ignore[import-untyped]

from api.core.database import is_postgres, write_transaction
from api.core.settings import get_settings
from scheduling.tables import SchedulerLease

_log = logging.getLogger("stepwise.jobs")
LEASE_NAME = "scheduler"
# pg_try_advisory_lock takes a bigint: a fixed number for "stepwise scheduler".
ADVISORY_KEY = 0x5354_4550_5749_5345 & 0x7FFF_FFFF_FFFF_FFFF


def holder_id() -> str:
    """This process's name in the lease: host, pid and a random part."""
    return f"{socket.gethostname()[:60]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class Leader(Protocol):
    """Answers, on each tick, whether this process may run the jobs."""

    async def is_leader(self, now: datetime) -> bool:
        """Take or keep the leadership; True while this process holds it."""
        ...

    async def release(self) -> None:
        """Give it up (on shutdown)."""
        ...


class LeaseLeader:
    """The SQLite lease row (works on PostgreSQL too, for tests)."""

    def __init__(self, lease: timedelta, holder: str | None = None) -> None:
        """A lease of ``lease`` length, renewed on each tick by ``holder``."""
        self.lease = lease
        self.holder = holder or holder_id()

    async def is_leader(self, now: datetime) -> bool:
        """Renew our lease, or take an expired one; False while another holds it."""
        async with write_transaction():
            row = await SchedulerLease.select().where(SchedulerLease.name == LEASE_NAME).first()
            if row is None:
                await SchedulerLease.insert(
                    SchedulerLease(name=LEASE_NAME, holder=self.holder, expires_at=now + self.lease)
                ).on_conflict(target=SchedulerLease.name, action="DO NOTHING")
            elif row["holder"] == self.holder or row["expires_at"] <= now:
                await SchedulerLease.update(
                    {
                        SchedulerLease.holder: self.holder,
                        SchedulerLease.expires_at: now + self.lease,
                    }
                ).where(SchedulerLease.name == LEASE_NAME)
            else:
                return False
            current = (
                await SchedulerLease.select(SchedulerLease.holder)
                .where(SchedulerLease.name == LEASE_NAME)
                .first()
            )
        return current is not None and current["holder"] == self.holder

    async def release(self) -> None:
        """Let the next process take over at once."""
        async with write_transaction():
            await SchedulerLease.delete().where(
                (SchedulerLease.name == LEASE_NAME) & (SchedulerLease.holder == self.holder)
            )


class AdvisoryLockLeader:
    """PostgreSQL: hold ``pg_try_advisory_lock`` on a dedicated connection."""

    def __init__(self, dsn: str, key: int = ADVISORY_KEY) -> None:
        """Connect to ``dsn`` when first asked; lock ``key``."""
        self.dsn = dsn
        self.key = key
        self._connection: Any = None
        self._held = False
        # Jobs due at the same moment ask at once: one question at a time, on one connection.
        self._asking = asyncio.Lock()

    async def _connect(self) -> Any:
        if self._connection is None or self._connection.is_closed():
            self._held = False
            self._connection = await asyncpg.connect(self.dsn, timeout=10)
        return self._connection

    async def is_leader(self, now: datetime) -> bool:
        """Take the lock if free; keep it while the connection lives."""
        async with self._asking:
            return await self._ask()

    async def _ask(self) -> bool:
        try:
            connection = await _bounded(self._connect())
            if self._held:
                # The lock lives as long as the connection: check it still answers.
                await connection.fetchval("SELECT 1")
                return True
            self._held = bool(
                await connection.fetchval("SELECT pg_try_advisory_lock($1)", self.key)
            )
            return self._held
        except (TimeoutError, OSError, asyncpg.PostgresError):
            _log.warning("scheduler lock: database unreachable; not leading this tick")
            await self.release()
            return False

    async def release(self) -> None:
        """Closing the connection releases the lock."""
        connection, self._connection = self._connection, None
        self._held = False
        if connection is not None and not connection.is_closed():
            try:
                await connection.close(timeout=5)
            except (TimeoutError, OSError, asyncpg.PostgresError):
                connection.terminate()


async def _bounded(awaitable: Any) -> Any:
    return await asyncio.wait_for(awaitable, timeout=15)


def default_leader(lease: timedelta) -> Leader:
    """The advisory lock on PostgreSQL, the lease row on SQLite."""
    if is_postgres():
        return AdvisoryLockLeader(get_settings().database.url)
    return LeaseLeader(lease)
