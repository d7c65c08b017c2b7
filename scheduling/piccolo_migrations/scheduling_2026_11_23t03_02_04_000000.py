"""Bookings of one room never overlap: the database says so too, and finds clashes fast.

PostgreSQL: an exclusion constraint over (room, tstzrange(starts_at, ends_at)) for
non-cancelled bookings, with btree_gist for the equality on room. SQLite has no such
constraint; there the service checks and inserts inside one BEGIN IMMEDIATE transaction.
Both: a composite index for the clash query (room, then time).
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-23T03:02:04:000000"
VERSION = "1.38.0"
DESCRIPTION = "room booking overlap constraint and clash index"

_INDEX = "room_booking_room_starts_ends"
_CONSTRAINT = "room_booking_no_overlap"


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="scheduling", description=DESCRIPTION)

    async def run() -> None:
        engine = engine_finder()
        assert engine is not None
        await engine.run_ddl(
            f"CREATE INDEX IF NOT EXISTS {_INDEX} ON room_booking (room, starts_at, ends_at)"
        )
        if engine.engine_type == "postgres":
            await engine.run_ddl("CREATE EXTENSION IF NOT EXISTS btree_gist")
            await engine.run_ddl(
                f"ALTER TABLE room_booking ADD CONSTRAINT {_CONSTRAINT} EXCLUDE USING gist "
                "(room WITH =, tstzrange(starts_at, ends_at, '[)') WITH &&) "
                "WHERE (status <> 'cancelled')"
            )

    async def run_backwards() -> None:
        engine = engine_finder()
        assert engine is not None
        if engine.engine_type == "postgres":
            await engine.run_ddl(
                f"ALTER TABLE room_booking DROP CONSTRAINT IF EXISTS {_CONSTRAINT}"
            )
        await engine.run_ddl(f"DROP INDEX IF EXISTS {_INDEX}")

    manager.add_raw(run)
    manager.add_raw_backwards(run_backwards)
    return manager
