"""Count the SQL statements the engine runs during a block, on either engine.

Every Piccolo query (select, insert, raw...) goes through the engine's
``run_querystring``. PostgresEngine has ``__slots__``, so the method is wrapped on the
engine's class, counting only calls on the engine the tables use, whichever engine the
pass runs on::

    with count_queries(monkeypatch) as queries:
        await client.get(...)
    assert queries.count == 5

Prepared hot-path selects (api.core.prepared) skip Piccolo's query building and run
through ``api.core.prepared.run_sql``, which is wrapped too. Transactions' BEGIN/COMMIT
are not queries here and are not counted.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest
from piccolo.querystring import QueryString

from api.core import prepared
from api.core.database import engine


@dataclass
class QueryLog:
    """The statements run inside the block, in order."""

    statements: list[str] = field(default_factory=list)

    @property
    def count(self) -> int:
        """How many statements ran."""
        return len(self.statements)


@contextmanager
def count_queries(monkeypatch: pytest.MonkeyPatch) -> Iterator[QueryLog]:
    """Record each statement the engine runs until the block ends."""
    db = engine()
    kind = type(db)
    original = kind.run_querystring
    log = QueryLog()

    async def counted(self: Any, querystring: QueryString, in_pool: bool = False) -> Any:
        if self is db:
            log.statements.append(str(querystring))
        return await original(self, querystring, in_pool=in_pool)

    original_prepared = prepared.run_sql

    async def counted_prepared(db_: Any, sql: str, args: Any, **options: Any) -> Any:
        log.statements.append(sql)
        return await original_prepared(db_, sql, args, **options)

    original_many = prepared.run_many

    async def counted_many(sql: str, rows: Any) -> bool:
        log.statements.append(sql)  # one statement, however many rows
        return await original_many(sql, rows)

    with monkeypatch.context() as patch:
        patch.setattr(kind, "run_querystring", counted)
        patch.setattr(prepared, "run_sql", counted_prepared)
        patch.setattr(prepared, "run_many", counted_many)
        yield log


@pytest.fixture
def query_log(monkeypatch: pytest.MonkeyPatch) -> Iterator[QueryLog]:
    """Count every statement of the test (import this fixture into a test module)."""
    with count_queries(monkeypatch) as log:
        yield log
