"""The outbox's due-message index: what to send next, without scanning sent history."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-23T05:26:57:000000"
VERSION = "1.38.0"
DESCRIPTION = "outbox status and due time index"

_INDEX = "outbox_message_status_due_at"


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="scheduling", description=DESCRIPTION)

    async def run() -> None:
        engine = engine_finder()
        assert engine is not None
        await engine.run_ddl(
            f"CREATE INDEX IF NOT EXISTS {_INDEX} ON outbox_message (status, due_at)"
        )

    async def run_backwards() -> None:
        engine = engine_finder()
        assert engine is not None
        await engine.run_ddl(f"DROP INDEX IF EXISTS {_INDEX}")

    manager.add_raw(run)
    manager.add_raw_backwards(run_backwards)
    return manager
