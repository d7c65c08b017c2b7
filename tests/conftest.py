"""Fixtures: one database per pass (SQLite or PostgreSQL), clean tables per test, the app
and an HTTP client through it, and signed-in staff.

Environment first: the engine is chosen before any Stepwise table is imported.
"""

import os

from tests import engines

TEST_DATABASE = engines.prepare()
# Cheap argon2 in tests; tests/unit/test_settings.py proves the defaults are the strong ones.
os.environ.setdefault("STEPWISE_ARGON2_TIME_COST", "1")
os.environ.setdefault("STEPWISE_ARGON2_MEMORY_KIB", "8")
os.environ.setdefault("STEPWISE_ARGON2_PARALLELISM", "1")
os.environ.setdefault("STEPWISE_ACCESS_LOG", "false")

from collections.abc import AsyncIterator  # noqa: E402

import httpx  # noqa: E402
import pytest  # noqa: E402
from litestar import Litestar  # noqa: E402

import api  # noqa: E402, F401 - PICCOLO_CONF
from api.core.database import close_pool, open_pool  # noqa: E402
from api.core.migrations import migrate  # noqa: E402
from api.core.settings import get_settings  # noqa: E402
from api.web.app import create_app  # noqa: E402
from tests.factories import StaffFactory  # noqa: E402
from tests.tables import truncate_all  # noqa: E402

ENGINE = TEST_DATABASE.engine


def pytest_report_header() -> str:
    """Say which database this pass runs on."""
    return f"stepwise database: {ENGINE} ({TEST_DATABASE.url or TEST_DATABASE.unavailable})"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Deselect the other engine's tests; skip database tests when PostgreSQL is absent."""
    other = "sqlite_only" if ENGINE == "postgres" else "postgres_only"
    kept = [item for item in items if other not in item.keywords]
    deselected = [item for item in items if other in item.keywords]
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = kept
    if TEST_DATABASE.unavailable:
        if os.environ.get("STEPWISE_REQUIRE_POSTGRES"):
            raise pytest.UsageError(
                f"STEPWISE_REQUIRE_POSTGRES is set: {TEST_DATABASE.unavailable}"
            )
        skip = pytest.mark.skip(reason=TEST_DATABASE.unavailable)
        for item in items:
            if "database" in getattr(item, "fixturenames", ()):
                item.add_marker(skip)


def pytest_sessionfinish() -> None:
    """Drop this pass's PostgreSQL database."""
    engines.dispose(TEST_DATABASE)


@pytest.fixture(scope="session")
async def migrated() -> AsyncIterator[None]:
    """The pass's database, migrated once, with its connection pool open."""
    await migrate()
    await open_pool(get_settings().database)
    yield
    await close_pool()


@pytest.fixture
async def database(migrated: None) -> None:
    """Every table empty at the start of the test."""
    await truncate_all()


@pytest.fixture(scope="session")
def app() -> Litestar:
    """The app, built once per pass."""
    return create_app()


@pytest.fixture
async def client(app: Litestar, database: None) -> AsyncIterator[httpx.AsyncClient]:
    """HTTP through the ASGI app, from a loopback address."""
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


@pytest.fixture
def staff(client: httpx.AsyncClient) -> StaffFactory:
    """Make staff accounts and sign them in."""
    return StaffFactory(client)
