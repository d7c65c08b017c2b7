"""The database layer: pooled SQLite connections, queued writers, rollback, nesting rules."""

import asyncio
from contextlib import AsyncExitStack
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiosqlite
import pytest
from piccolo.engine.sqlite import TransactionType
from piccolo.querystring import QueryString

from api.core.database import create_engine, engine, read_transaction, write_transaction
from api.core.settings import DatabaseSettings, get_settings
from api.core.sqlite_engine import PooledSQLiteEngine
from api.identity.tables import AuditEntry, LoginAttempt

WRITERS = 50
AT = datetime(2026, 1, 5, 9, 30, tzinfo=UTC)


def _sqlite() -> PooledSQLiteEngine:
    db = engine()
    assert isinstance(db, PooledSQLiteEngine)
    return db


def _opened(db: PooledSQLiteEngine) -> list[aiosqlite.Connection]:
    assert db._pool is not None
    return list(db._pool.opened)


async def _pragmas(connection: aiosqlite.Connection) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for name in ("journal_mode", "synchronous", "foreign_keys", "busy_timeout"):
        rows: list[Any] = list(await connection.execute_fetchall(f"PRAGMA {name}"))
        found[name] = next(iter(rows[0].values()))  # rows are dicts (Piccolo's row factory)
    return found


def _attempt(email: str) -> LoginAttempt:
    return LoginAttempt(email=email, client_address="127.0.0.1", attempted_at=AT)


@pytest.mark.sqlite_only
async def test_sqlite_every_pooled_connection_has_wal_normal_sync_fks_and_busy_timeout(
    database: None,
) -> None:
    db = _sqlite()
    expected = {
        "journal_mode": "wal",
        "synchronous": 1,  # NORMAL
        "foreign_keys": 1,
        "busy_timeout": get_settings().database.sqlite_busy_timeout_ms,
    }

    async with AsyncExitStack() as stack:
        # Hold every reader at once, so each pooled reader is checked, plus the writer.
        readers = [
            await stack.enter_async_context(db._reader()) for _ in range(db.read_connections)
        ]
        writer = await stack.enter_async_context(db._writer())
        found = [await _pragmas(connection) for connection in [*readers, writer]]

    assert len({id(connection) for connection in [*readers, writer]}) == db.read_connections + 1
    assert {id(connection) for connection in [*readers, writer]} == {
        id(connection) for connection in _opened(db)
    }
    assert found == [expected] * (db.read_connections + 1)


@pytest.mark.sqlite_only
async def test_create_engine_passes_configured_busy_timeout_and_readers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STEPWISE_DATABASE_URL", f"sqlite:///{tmp_path / 'own.sqlite3'}")
    monkeypatch.setenv("STEPWISE_SQLITE_BUSY_TIMEOUT_MS", "1234")
    monkeypatch.setenv("STEPWISE_SQLITE_READ_CONNECTIONS", "2")
    own = create_engine(DatabaseSettings())
    assert isinstance(own, PooledSQLiteEngine)
    try:
        await own.start_connection_pool()
        found = [await _pragmas(connection) for connection in _opened(own)]
    finally:
        await own.close_connection_pool()

    assert (
        found
        == [{"journal_mode": "wal", "synchronous": 1, "foreign_keys": 1, "busy_timeout": 1234}] * 3
    )  # the writer and two readers


@pytest.mark.sqlite_only
async def test_sqlite_reads_outside_transaction_reuse_pooled_connections(
    database: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = _sqlite()
    await LoginAttempt.count()
    pool_before, opened_before = db._pool, _opened(db)
    connects: list[str] = []
    real_get_connection = db.get_connection

    async def counting_get_connection() -> aiosqlite.Connection:
        connects.append("connect")
        return await real_get_connection()

    monkeypatch.setattr(db, "get_connection", counting_get_connection)

    for _ in range(100):
        await LoginAttempt.count()

    assert connects == []
    assert db._pool is pool_before
    assert _opened(db) == opened_before


@pytest.mark.sqlite_only
async def test_sqlite_concurrent_reads_open_no_more_than_the_configured_readers(
    database: None,
) -> None:
    db = _sqlite()

    counts = await asyncio.gather(*(LoginAttempt.count() for _ in range(100)))

    assert counts == [0] * 100
    assert db._pool is not None
    assert db._pool.reader_count == db.read_connections
    assert len(_opened(db)) == db.read_connections + 1  # the readers and the one writer


async def _count_then_insert() -> int:
    async with write_transaction():
        seen: int = await LoginAttempt.count()
        await LoginAttempt.insert(_attempt(f"writer{seen}@test.example"))
    return seen


async def test_write_transaction_fifty_concurrent_writers_all_land(database: None) -> None:
    results = await asyncio.gather(
        *(_count_then_insert() for _ in range(WRITERS)), return_exceptions=True
    )

    assert [r for r in results if isinstance(r, BaseException)] == []
    assert await LoginAttempt.count() == WRITERS


@pytest.mark.sqlite_only
async def test_sqlite_write_transaction_concurrent_writers_are_serialised(
    database: None,
) -> None:
    seen = await asyncio.gather(*(_count_then_insert() for _ in range(WRITERS)))

    emails = await LoginAttempt.select(LoginAttempt.email).output(as_list=True)
    # Each writer saw every earlier writer's row: no two read the same count.
    assert sorted(seen) == list(range(WRITERS))
    assert sorted(emails) == sorted(f"writer{n}@test.example" for n in range(WRITERS))


async def _raw_count_then_insert(db: PooledSQLiteEngine, label: str) -> int:
    async with db.transaction(transaction_type=TransactionType.immediate):
        rows = await db.run_querystring(QueryString("SELECT COUNT(*) AS n FROM login_attempt"))
        seen: int = rows[0]["n"]
        await db.run_querystring(
            QueryString(
                "INSERT INTO login_attempt (email, client_address, attempted_at, succeeded) "
                "VALUES ({}, {}, {}, {})",
                f"{label}{seen}@test.example",
                "127.0.0.1",
                AT,
                False,
            )
        )
    return seen


@pytest.mark.sqlite_only
async def test_sqlite_writers_on_two_separate_engines_wait_instead_of_failing_locked(
    database: None,
) -> None:
    # A second engine on the same file stands in for a second process: its writer is a
    # different connection, so only SQLite's busy timeout keeps the two from colliding.
    main = _sqlite()
    other = PooledSQLiteEngine(main.path, read_connections=1, busy_timeout_ms=10_000)
    try:
        results = await asyncio.gather(
            *(_raw_count_then_insert(main, "main") for _ in range(WRITERS // 2)),
            *(_raw_count_then_insert(other, "other") for _ in range(WRITERS // 2)),
            return_exceptions=True,
        )
    finally:
        await other.close_connection_pool()

    assert [r for r in results if isinstance(r, BaseException)] == []
    assert sorted(r for r in results if isinstance(r, int)) == list(range(WRITERS))
    assert await LoginAttempt.count() == WRITERS


class _Midway(Exception):
    """The failure a service hits after its first write."""


async def _insert_then_fail(email: str) -> None:
    async with write_transaction():
        await LoginAttempt.insert(_attempt(email))
        await AuditEntry.insert(
            AuditEntry(
                at=AT, actor=None, actor_kind="system", action="x.y", entity="x", entity_id="1"
            )
        )
        raise _Midway


async def test_write_transaction_failing_midway_leaves_no_partial_rows(database: None) -> None:
    with pytest.raises(_Midway):
        await _insert_then_fail("partial@test.example")

    assert await LoginAttempt.count() == 0
    assert await AuditEntry.count() == 0


async def test_write_transaction_after_a_failed_one_commits_normally(database: None) -> None:
    with pytest.raises(_Midway):
        await _insert_then_fail("rolled-back@test.example")

    async with write_transaction():
        await LoginAttempt.insert(_attempt("kept@test.example"))

    emails = await LoginAttempt.select(LoginAttempt.email).output(as_list=True)
    assert emails == ["kept@test.example"]


@pytest.mark.sqlite_only
async def test_sqlite_write_transaction_inside_read_transaction_is_refused(
    database: None,
) -> None:
    async with read_transaction():
        with pytest.raises(RuntimeError) as refused:
            async with write_transaction():
                await LoginAttempt.insert(_attempt("nested@test.example"))
        still_readable = await LoginAttempt.count()

    assert str(refused.value) == "a write transaction cannot nest inside a read transaction"
    assert still_readable == 0
    assert await LoginAttempt.count() == 0


async def test_read_transaction_inside_write_transaction_joins_it(database: None) -> None:
    async with write_transaction():
        await LoginAttempt.insert(_attempt("outer@test.example"))
        async with read_transaction():
            seen_inside = await LoginAttempt.count()

    assert seen_inside == 1
    assert await LoginAttempt.count() == 1
