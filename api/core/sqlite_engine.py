"""A Piccolo SQLite engine that keeps its connections open.

Piccolo's stock SQLiteEngine opens a new connection for every query run outside a
transaction and sets only ``foreign_keys``; opening costs far more than a primary-key
read. This engine keeps a small pool of reader connections and one writer:

* reads outside a transaction share the reader pool (WAL lets them run beside a writer);
* writes outside a transaction, and every transaction that writes, use the one writer
  connection, taken under an asyncio lock, so writers in this process queue instead of
  failing with "database is locked"; other processes wait on the busy timeout;
* every connection gets WAL, ``synchronous=NORMAL`` (durable across application
  crashes; a power cut can lose the last transactions but never corrupts the file),
  foreign keys and a busy timeout;
* primary-key reads on the hot path (``point_read``) run on the event loop's own thread
  through one read-only connection: such a read takes microseconds, less than the hop
  to a connection thread and back. WAL readers do not wait for writers; if the database
  is ever busy, the read falls back to the reader pool rather than block the loop.
"""

import asyncio
import sqlite3
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import aiosqlite
from piccolo.engine.sqlite import SQLiteEngine, SQLiteTransaction, TransactionType, dict_factory
from piccolo.querystring import QueryString

_MIN_SQLITE_VERSION = (3, 35, 0)  # RETURNING, which Piccolo's inserts rely on
_READ_PREFIXES = ("SELECT", "WITH", "EXPLAIN")


def _is_read(sql: str) -> bool:
    return sql.lstrip()[:7].upper().startswith(_READ_PREFIXES)


class _FairQueue:
    """Idle reader connections, handed to waiting requests first come, first served.

    asyncio.Queue is not fair here: a request arriving just as a connection comes back
    takes it ahead of the one that was woken, which goes back to waiting, and under load
    some requests wait seconds.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._idle: deque[aiosqlite.Connection] = deque()
        self._waiters: deque[asyncio.Future[aiosqlite.Connection]] = deque()

    def empty(self) -> bool:
        """No idle connection."""
        return not self._idle

    def put_nowait(self, connection: aiosqlite.Connection) -> None:
        """Give the connection to the longest waiter, else keep it idle."""
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(connection)
                return
        self._idle.append(connection)

    async def get(self) -> aiosqlite.Connection:
        """An idle connection now, or the next one given back, in arrival order."""
        while self._waiters and self._waiters[0].done():
            self._waiters.popleft()
        if self._idle and not self._waiters:
            return self._idle.popleft()
        waiter: asyncio.Future[aiosqlite.Connection] = self._loop.create_future()
        self._waiters.append(waiter)
        try:
            return await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                self.put_nowait(waiter.result())  # handed over just as we were cancelled
            raise


class _Pool:
    """Connections for one event loop: readers in a fair queue, one writer under a lock."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.readers = _FairQueue(loop)
        self.writer: aiosqlite.Connection | None = None
        self.writer_lock = asyncio.Lock()
        self.opened: list[aiosqlite.Connection] = []
        self.reader_count = 0


class PooledSQLiteEngine(SQLiteEngine):
    """SQLite with long-lived connections; see the module docstring."""

    def __init__(self, path: str, *, read_connections: int = 4, busy_timeout_ms: int = 5000):
        """Create the engine; connections open on first use or at ``start_connection_pool``."""
        if sqlite3.sqlite_version_info < _MIN_SQLITE_VERSION:
            raise RuntimeError(f"SQLite {sqlite3.sqlite_version} is too old; 3.35 or newer")
        super().__init__(path=path, timeout=busy_timeout_ms / 1000, check_same_thread=False)
        self.read_connections = read_connections
        self.busy_timeout_ms = busy_timeout_ms
        self._pool: _Pool | None = None
        self._point_reader: sqlite3.Connection | None = None
        self._raw_point_reader: sqlite3.Connection | None = None

    # -- connections ---------------------------------------------------------------

    async def get_connection(self) -> aiosqlite.Connection:
        """Open a configured connection (the pool's building block)."""
        connection = await aiosqlite.connect(**self.connection_kwargs)
        connection.row_factory = dict_factory  # type: ignore[assignment]
        for pragma in (
            "PRAGMA journal_mode = WAL",
            "PRAGMA synchronous = NORMAL",
            "PRAGMA foreign_keys = ON",
            f"PRAGMA busy_timeout = {int(self.busy_timeout_ms)}",
        ):
            await connection.execute(pragma)
        return connection

    def _open_point_reader(self, *, raw: bool) -> sqlite3.Connection:
        connection = sqlite3.connect(
            self.path,
            # Raw: values as stored (text, integers); the response model parses them,
            # in pydantic's compiled code, far faster than sqlite3's Python converters.
            detect_types=0 if raw else sqlite3.PARSE_DECLTYPES | sqlite3.PARSE_COLNAMES,
            isolation_level=None,
            check_same_thread=False,
            timeout=0,
        )
        connection.row_factory = dict_factory
        connection.execute("PRAGMA query_only = ON")
        connection.execute("PRAGMA foreign_keys = ON")
        if raw:
            self._raw_point_reader = connection
        else:
            self._point_reader = connection
        return connection

    async def point_read(self, sql: str, args: list[Any], *, raw: bool = False) -> list[Any]:
        """A small indexed read, on the loop's thread; the reader pool if SQLite is busy.

        ``raw``: leave values as SQLite stores them (for rows a pydantic model validates).
        """
        if self.current_transaction.get() is not None:
            return await self._run_sql(sql, args)
        if raw:
            connection = self._raw_point_reader or self._open_point_reader(raw=True)
        else:
            connection = self._point_reader or self._open_point_reader(raw=False)
        try:
            return connection.execute(sql, args).fetchall()
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) and "busy" not in str(error):
                raise
            return await self._run_sql(sql, args)

    async def _current_pool(self) -> _Pool:
        loop = asyncio.get_running_loop()
        if self._pool is None or self._pool.loop is not loop:
            # A new event loop (a CLI command, a test) cannot use the old loop's locks.
            self._pool = _Pool(loop)
        return self._pool

    async def start_connection_pool(self, **_: Any) -> None:
        """Open the writer and the readers now rather than on the first request."""
        pool = await self._current_pool()
        async with self._writer():
            pass
        while pool.reader_count < self.read_connections:
            await self._open_reader(pool)

    async def close_connection_pool(self) -> None:
        """Close every connection this engine opened."""
        for point_reader in (self._point_reader, self._raw_point_reader):
            if point_reader is not None:
                point_reader.close()
        self._point_reader = self._raw_point_reader = None
        pool, self._pool = self._pool, None
        if pool is None:
            return
        for connection in pool.opened:
            await connection.close()

    async def _open_reader(self, pool: _Pool) -> None:
        connection = await self.get_connection()
        pool.opened.append(connection)
        pool.reader_count += 1
        pool.readers.put_nowait(connection)

    @asynccontextmanager
    async def _reader(self) -> AsyncIterator[aiosqlite.Connection]:
        pool = await self._current_pool()
        if pool.readers.empty() and pool.reader_count < self.read_connections:
            await self._open_reader(pool)
        connection = await pool.readers.get()
        try:
            yield connection
        finally:
            pool.readers.put_nowait(connection)

    @asynccontextmanager
    async def _writer(self) -> AsyncIterator[aiosqlite.Connection]:
        pool = await self._current_pool()
        async with pool.writer_lock:
            if pool.writer is None:
                pool.writer = await self.get_connection()
                pool.opened.append(pool.writer)
            try:
                yield pool.writer
            finally:
                if pool.writer.in_transaction:
                    # A cancelled request can leave BEGIN behind; never lend it out open.
                    await pool.writer.rollback()

    # -- queries -------------------------------------------------------------------

    @staticmethod
    async def _execute(connection: aiosqlite.Connection, sql: str, args: list[Any]) -> list[Any]:
        return list(await connection.execute_fetchall(sql, args))

    async def run_querystring(self, querystring: QueryString, in_pool: bool = False) -> Any:
        """Run one query on the transaction's connection, a reader or the writer."""
        query_id = self.get_query_id()
        if self.log_queries:
            self.print_query(query_id=query_id, query=querystring.__str__())
        sql, args = querystring.compile_string(engine_type=self.engine_type)
        response = await self._run_sql(sql, args)
        if self.log_responses:
            self.print_response(query_id=query_id, response=response)
        return response

    async def run_ddl(self, ddl: str, in_pool: bool = False) -> Any:
        """Run DDL on the writer (or the current transaction)."""
        return await self._run_sql(ddl, [])

    async def _run_sql(self, sql: str, args: list[Any]) -> list[Any]:
        transaction = self.current_transaction.get()
        if transaction is not None:
            return await self._execute(transaction.connection, sql, args)
        if _is_read(sql):
            async with self._reader() as connection:
                return await self._execute(connection, sql, args)
        async with self._writer() as connection:
            return await self._execute(connection, sql, args)

    def transaction(
        self,
        transaction_type: TransactionType = TransactionType.deferred,
        allow_nested: bool = True,
    ) -> "PooledSQLiteTransaction":
        """A transaction on a pooled connection: IMMEDIATE ones take the writer."""
        return PooledSQLiteTransaction(
            engine=self, transaction_type=transaction_type, allow_nested=allow_nested
        )


class PooledSQLiteTransaction(SQLiteTransaction):
    """A transaction that borrows a pooled connection and gives it back."""

    __slots__ = ("_lease",)

    engine: PooledSQLiteEngine

    async def __aenter__(self) -> "PooledSQLiteTransaction":
        if self._parent is not None:
            parent = self._parent
            assert isinstance(parent, PooledSQLiteTransaction)  # noqa: S101 - same engine
            if self._writes and not parent._writes:
                raise RuntimeError("a write transaction cannot nest inside a read transaction")
            return parent
        lease = self.engine._writer() if self._writes else self.engine._reader()
        self.connection = await lease.__aenter__()
        self._lease = lease
        try:
            await self.begin()
        except BaseException:
            await lease.__aexit__(None, None, None)
            raise
        self.context = self.engine.current_transaction.set(self)
        return self

    @property
    def _writes(self) -> bool:
        return self.transaction_type is not TransactionType.deferred

    async def __aexit__(self, exception_type: Any, exception: Any, traceback: Any) -> bool:
        if self._parent is not None:
            return exception is None
        try:
            if exception is not None:
                if not self._rolled_back:
                    await self.rollback()
            elif not self._committed and not self._rolled_back:
                try:
                    await self.commit()
                except BaseException:
                    await self.rollback()
                    raise
        finally:
            self.engine.current_transaction.reset(self.context)
            await self._lease.__aexit__(None, None, None)
        return exception is None
