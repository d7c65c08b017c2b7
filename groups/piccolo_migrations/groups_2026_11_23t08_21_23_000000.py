"""Index the normalised mobile number and fill it for patients recorded before it existed.

The index is made here, not declared on the column, because SQLite refuses to drop an
indexed column: going backwards drops the index first, then the column goes.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns import UUID, Varchar
from piccolo.engine import engine_finder
from piccolo.table import Table

from scheduling.rules.replies import normalise_number

ID = "2026-11-23T08:21:23:000000"
VERSION = "1.38.0"
DESCRIPTION = "index and backfill patient.mobile_phone_normalised"
_INDEX = "patient_mobile_phone_normalised"


class _Patient(Table, tablename="patient"):
    """The two columns this migration reads and writes, as they are at this migration."""

    id = UUID(primary_key=True)
    mobile_phone = Varchar(length=20)
    mobile_phone_normalised = Varchar(length=16)


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="groups", description=DESCRIPTION)

    async def run() -> None:
        engine = engine_finder()
        assert engine is not None
        await engine.run_ddl(
            f"CREATE INDEX IF NOT EXISTS {_INDEX} ON patient (mobile_phone_normalised)"
        )
        rows = await _Patient.select(_Patient.id, _Patient.mobile_phone).where(
            _Patient.mobile_phone != ""
        )
        for row in rows:
            normalised = normalise_number(row["mobile_phone"]) or ""
            await _Patient.update({_Patient.mobile_phone_normalised: normalised}).where(
                _Patient.id == row["id"]
            )

    async def run_backwards() -> None:
        engine = engine_finder()
        assert engine is not None
        await engine.run_ddl(f"DROP INDEX IF EXISTS {_INDEX}")

    manager.add_raw(run)
    manager.add_raw_backwards(run_backwards)
    return manager
