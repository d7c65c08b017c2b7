"""Which database a test pass runs on, chosen before any table is imported.

``STEPWISE_TEST_ENGINE`` is ``sqlite`` (a fresh file per run) or ``postgres`` (a fresh
database per run, created from ``STEPWISE_TEST_POSTGRES_URL`` and dropped afterwards).
"""

import asyncio
import os
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path

import asyncpg

DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"


@dataclass(frozen=True)
class TestDatabase:
    """Where this pass's database lives, or why it cannot run."""

    engine: str
    url: str | None
    admin_url: str | None = None
    name: str | None = None
    unavailable: str | None = None


def _with_database(url: str, name: str) -> str:
    base, _, _ = url.rpartition("/")
    return f"{base}/{name}"


async def _create_postgres(admin_url: str, name: str) -> None:
    connection = await asyncpg.connect(admin_url, timeout=5)
    try:
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()


async def _drop_postgres(admin_url: str, name: str) -> None:
    connection = await asyncpg.connect(admin_url, timeout=5)
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await connection.close()


def prepare() -> TestDatabase:
    """Point the service's settings at this pass's database (sets environment variables)."""
    engine = os.environ.get("STEPWISE_TEST_ENGINE", "sqlite")
    var_dir = Path(tempfile.mkdtemp(prefix="stepwise-test-"))
    os.environ["STEPWISE_VAR_DIR"] = str(var_dir)
    if engine == "sqlite":
        url = f"sqlite:///{var_dir / 'test.sqlite3'}"
        os.environ["STEPWISE_DATABASE_URL"] = url
        return TestDatabase(engine="sqlite", url=url)
    if engine != "postgres":
        raise RuntimeError(f"STEPWISE_TEST_ENGINE must be sqlite or postgres, not {engine!r}")
    admin_url = os.environ.get("STEPWISE_TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL)
    name = f"stepwise_test_{uuid.uuid4().hex[:12]}"
    try:
        asyncio.run(_create_postgres(admin_url, name))
    except (OSError, asyncpg.PostgresError, TimeoutError) as error:
        reason = f"PostgreSQL is not reachable at {admin_url} ({type(error).__name__}: {error})"
        # Keep the tables importable; nothing will connect.
        os.environ["STEPWISE_DATABASE_URL"] = _with_database(admin_url, name)
        return TestDatabase(engine="postgres", url=None, unavailable=reason)
    url = _with_database(admin_url, name)
    os.environ["STEPWISE_DATABASE_URL"] = url
    return TestDatabase(engine="postgres", url=url, admin_url=admin_url, name=name)


def dispose(database: TestDatabase) -> None:
    """Drop the pass's PostgreSQL database."""
    if database.admin_url and database.name:
        asyncio.run(_drop_postgres(database.admin_url, database.name))
