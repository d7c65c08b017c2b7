"""An index of venues by (is_archived, name, id), for the venue list's default page.

The list asks for live venues ordered by name then id. With only the single-column
indexes, SQLite (which keeps no statistics) took the is_archived index, then sorted every
live venue and wrote each one's JSON before keeping 51. With this index the page is one
ordered range, read until it is full, on both engines.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-23T11:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "index of venues by archived flag, name and id, for the venue list"

_INDEX = "venue_by_archived_name_id"


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="scheduling", description=DESCRIPTION)

    async def run() -> None:
        engine = engine_finder()
        assert engine is not None
        await engine.run_ddl(
            f"CREATE INDEX IF NOT EXISTS {_INDEX} ON venue (is_archived, name, id)"
        )

    async def run_backwards() -> None:
        engine = engine_finder()
        assert engine is not None
        await engine.run_ddl(f"DROP INDEX IF EXISTS {_INDEX}")

    manager.add_raw(run)
    manager.add_raw_backwards(run_backwards)
    return manager
