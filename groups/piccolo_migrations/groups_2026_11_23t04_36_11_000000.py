"""Search patients by family name and date of birth through one index."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-23T04:36:11:000000"
VERSION = "1.38.0"
DESCRIPTION = "patient name and date of birth search index"

_INDEX = "patient_family_name_folded_date_of_birth"


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="groups", description=DESCRIPTION)

    async def run() -> None:
        engine = engine_finder()
        assert engine is not None
        await engine.run_ddl(
            f"CREATE INDEX IF NOT EXISTS {_INDEX} ON patient (family_name_folded, date_of_birth)"
        )

    async def run_backwards() -> None:
        engine = engine_finder()
        assert engine is not None
        await engine.run_ddl(f"DROP INDEX IF EXISTS {_INDEX}")

    manager.add_raw(run)
    manager.add_raw_backwards(run_backwards)
    return manager
