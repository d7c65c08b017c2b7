"""The database engine chosen by settings, and the transactions services write in."""

import logging
import sqlite3
from typing import Any, TypeVar

from asyncpg.exceptions import UniqueViolationError  # type: ignore[import-untyped]
from piccolo.engine import engine_finder
from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import TransactionType
from piccolo.query.methods.select import Select
from piccolo.querystring import QueryString

from api.core.fair_pool import FairPool
from api.core.settings import DatabaseSettings
from api.core.sqlite_engine import PooledSQLiteEngine

_log = logging.getLogger("stepwise.database")
SelectT = TypeVar("SelectT", bound=Select[Any])


def create_engine(settings: DatabaseSettings) -> Engine[Any]:
    """Build the engine named by the database URL."""
    if settings.is_sqlite:
        settings.sqlite_path.parent.mkdir(parents=True, exist_ok=True)
        return PooledSQLiteEngine(
            str(settings.sqlite_path),
            read_connections=settings.sqlite_read_connections,
            busy_timeout_ms=settings.sqlite_busy_timeout_ms,
        )
    # JIT compiling costs seconds on the availability ranking query and saves nothing on
    # this service's short queries.
    return PostgresEngine(config={"dsn": settings.url, "server_settings": {"jit": "off"}})


def engine() -> Engine[Any]:
    """The engine Piccolo's tables are bound to."""
    found = engine_finder()
    if found is None:
        raise RuntimeError("no Piccolo engine configured (api.piccolo_conf)")
    return found


def is_postgres() -> bool:
    """Whether the tables run on PostgreSQL."""
    return engine().engine_type == "postgres"


def write_transaction() -> Any:
    """One transaction for a use case that writes: IMMEDIATE on SQLite, so it queues, not fails."""
    db = engine()
    if isinstance(db, PooledSQLiteEngine):
        return db.transaction(transaction_type=TransactionType.immediate)
    return db.transaction()


def read_transaction() -> Any:
    """One consistent snapshot for a use case that only reads several tables."""
    return engine().transaction()


async def open_pool(settings: DatabaseSettings) -> None:
    """Open the long-lived connections when the app starts."""
    db = engine()
    if isinstance(db, PostgresEngine):
        await db.start_connection_pool(
            min_size=settings.postgres_pool_min,
            max_size=settings.postgres_pool_max,
            reset=_keep_session_state,
        )
        if not isinstance(db.pool, FairPool):  # a pool already open is kept as it is
            db.pool = FairPool(db.pool, settings.postgres_pool_max)
    elif isinstance(db, PooledSQLiteEngine):
        await db.start_connection_pool()


async def _keep_session_state(connection: Any) -> None:
    """Skip asyncpg's per-release reset query (a round trip per query).

    asyncpg still rolls back an open transaction on release. The service never changes
    session state on pooled connections: no SET, LISTEN or session advisory locks (the
    scheduler's lock takes a connection of its own).
    """


async def close_pool() -> None:
    """Close them when it stops (if they were opened)."""
    db = engine()
    if isinstance(db, PostgresEngine) and db.pool is None:
        return
    await db.close_connection_pool()


async def database_answers() -> bool:
    """Readiness: run SELECT 1; any failure means not ready (logged, never raised)."""
    try:
        await engine().run_querystring(QueryString("SELECT 1"))
    except Exception:
        _log.warning("database readiness check failed", exc_info=True)
        return False
    return True


def for_update(query: SelectT) -> SelectT:
    """Lock the selected rows until the transaction ends (check-then-write without a race).

    PostgreSQL: SELECT ... FOR UPDATE. SQLite has no row locks and needs none: a write
    transaction there is IMMEDIATE and already holds the database's single write lock.
    """
    if is_postgres():
        return query.lock_rows("UPDATE")
    return query


# What either engine raises when a write breaks a constraint; narrow with is_unique_violation.
CONSTRAINT_ERRORS = (sqlite3.IntegrityError, UniqueViolationError)


def is_unique_violation(error: BaseException) -> bool:
    """Whether a failed write clashed with a unique index (not a foreign key or a check)."""
    if isinstance(error, UniqueViolationError):
        return True
    return isinstance(error, sqlite3.IntegrityError) and "UNIQUE" in str(error)
