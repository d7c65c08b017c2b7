"""Hot-path queries written with Piccolo once, compiled once, run many times.

Building a Piccolo query (column references, joins, compiling) costs several times more
than running it on either engine (measured: ~230 us to build the session lookup against
~30 us to run its SQL). A ``PreparedSelect`` builds its query once per engine with
placeholder values, keeps the SQL, and binds the real values on each call.
"""

from collections import OrderedDict
from collections.abc import Callable, Hashable, Sequence
from typing import Any

from api.core.database import engine
from api.core.sqlite_engine import PooledSQLiteEngine


class Param:
    """A placeholder value: the n-th argument of the prepared call."""

    __slots__ = ("index",)

    def __init__(self, index: int) -> None:
        """Stand for the argument at ``index``."""
        self.index = index


class PreparedSelect:
    """A select compiled once; ``await prepared.fetch(a, b)`` runs it with new values."""

    def __init__(
        self,
        build: Callable[..., Any],
        arity: int,
        *,
        point_read: bool = False,
        raw_rows: bool = False,
        wrap: str | None = None,
    ) -> None:
        """``build(*params)`` returns a Piccolo select (``.first()`` too), Params for values.

        ``point_read``: the query reads a row, or one page, through an index: cheap and
        bounded enough for SQLite to run on the event loop's thread
        (PooledSQLiteEngine.point_read).
        ``raw_rows``: on SQLite, values come back as stored (UUIDs and instants as text,
        booleans as 0/1, arrays as JSON text), for a response model to parse; see
        ``api.core.schemas.JsonList``. Only with ``point_read``.
        ``wrap``: SQL around the compiled select, which stands in it as ``{query}``; for
        what Piccolo cannot say, such as aggregating the page it selects.
        """
        self._build = build
        self._arity = arity
        self._point_read = point_read
        self._raw_rows = raw_rows and point_read
        self._wrap = wrap
        self._compiled: dict[str, tuple[str, list[Any]]] = {}
        # The engine and its SQL from the last call: Piccolo binds tables to one engine
        # for the process, and finding it (engine_finder imports the conf module) costs
        # as much as a small query's own Python work.
        self._last: tuple[Any, str, list[Any]] | None = None

    def _compile(self, engine_type: str) -> tuple[str, list[Any]]:
        query = self._build(*(Param(index) for index in range(self._arity)))
        sql, args = query.querystrings[0].compile_string(engine_type=engine_type)
        if self._wrap is not None:
            sql = self._wrap.replace("{query}", sql)
        compiled = (sql, list(args))
        self._compiled[engine_type] = compiled
        return compiled

    async def fetch(self, *values: Any) -> list[dict[str, Any]]:
        """The rows, as dicts keyed like Piccolo's select."""
        last = self._last
        if last is None:
            db = engine()
            sql, template = self._compiled.get(db.engine_type) or self._compile(db.engine_type)
            self._last = (db, sql, template)
        else:
            db, sql, template = last
        args = [values[a.index] if isinstance(a, Param) else a for a in template]
        return await run_sql(db, sql, args, point_read=self._point_read, raw_rows=self._raw_rows)

    async def first(self, *values: Any) -> dict[str, Any] | None:
        """The first row, or None."""
        rows = await self.fetch(*values)
        return rows[0] if rows else None


class PreparedSQL:
    """A statement written in SQL for each engine, for what Piccolo's builder cannot say.

    ``sql_for(engine_type)`` answers the statement with the engine's own numbered
    placeholders ($1 on PostgreSQL, ?1 on SQLite), called once per engine; ``fetch``
    binds values in that order. ``point_read`` and ``raw_rows`` as for PreparedSelect.
    """

    def __init__(
        self,
        sql_for: Callable[[str], str],
        *,
        point_read: bool = False,
        raw_rows: bool = False,
    ) -> None:
        """Keep ``sql_for`` until the first call tells the engine."""
        self._sql_for = sql_for
        self._point_read = point_read
        self._raw_rows = raw_rows and point_read
        self._last: tuple[Any, str] | None = None

    async def fetch(self, *values: Any) -> list[dict[str, Any]]:
        """The rows, as dicts keyed by the statement's column names."""
        if self._last is None:
            db = engine()
            self._last = (db, self._sql_for(db.engine_type))
        db, sql = self._last
        return await run_sql(db, sql, values, point_read=self._point_read, raw_rows=self._raw_rows)


class PreparedVariants:
    """Prepared selects for a list whose filters vary: one per shape of filters, kept LRU."""

    def __init__(self, *, keep: int = 256) -> None:
        """Keep at most ``keep`` compiled variants."""
        self._keep = keep
        self._variants: OrderedDict[Hashable, PreparedSelect] = OrderedDict()

    def get(
        self,
        key: Hashable,
        build: Callable[..., Any],
        arity: int,
        *,
        point_read: bool = False,
        raw_rows: bool = False,
        wrap: str | None = None,
    ) -> PreparedSelect:
        """The variant for ``key``, built by ``build`` the first time it is asked for."""
        found = self._variants.get(key)
        if found is None:
            found = PreparedSelect(
                build, arity, point_read=point_read, raw_rows=raw_rows, wrap=wrap
            )
            self._variants[key] = found
            if len(self._variants) > self._keep:
                self._variants.popitem(last=False)
        else:
            self._variants.move_to_end(key)
        return found


async def run_sql(
    db: Any, sql: str, args: Sequence[Any], *, point_read: bool = False, raw_rows: bool = False
) -> list[dict[str, Any]]:
    """Run compiled SQL on the current transaction's connection, or the pool."""
    transaction = db.current_transaction.get()
    if isinstance(db, PooledSQLiteEngine):
        if point_read:
            return list(await db.point_read(sql, list(args), raw=raw_rows))
        rows: list[dict[str, Any]] = await db._run_sql(sql, list(args))
        return rows
    if transaction is not None:
        records = await transaction.connection.fetch(sql, *args)
    elif db.pool is not None:
        records = await db.pool.fetch(sql, *args)
    else:
        records = await db._run_in_new_connection(sql, list(args))
    return [dict(record) for record in records]


async def fetch_page_rows(query: Any) -> list[dict[str, Any]]:
    """Run a Piccolo select built per request (its filters vary) as one page read.

    On SQLite the rows come back raw, for a response model to parse in one call
    (``raw_rows`` above): per-row Python type converters cost more than the query.
    """
    db = engine()
    sql, args = query.querystrings[0].compile_string(engine_type=db.engine_type)
    return await run_sql(db, sql, args, point_read=True, raw_rows=True)


async def run_many(sql: str, rows: Sequence[Sequence[Any]]) -> bool:
    """Run one statement for many rows (executemany) on the current write transaction.

    For bulk inserts where building a Piccolo query per row costs more than the insert.
    ``sql`` uses the engine's own placeholders. Answers False outside a transaction (the
    caller then falls back to Piccolo), so the rows always share the caller's commit.
    """
    transaction = engine().current_transaction.get()
    connection = getattr(transaction, "connection", None)
    if connection is None:
        return False
    await connection.executemany(sql, rows)
    return True
