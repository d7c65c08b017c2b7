"""The audit log is append-only in the database too (PostgreSQL).

No endpoint updates or deletes an audit entry; on PostgreSQL a trigger also refuses any
UPDATE or DELETE of a row, whoever sends it. (TRUNCATE, an owner's maintenance tool,
is not a row operation and stays possible.) SQLite has no such guard: there the
service's code is the only writer.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-23T03:01:24:000000"
VERSION = "1.38.0"
DESCRIPTION = "audit entries append-only on PostgreSQL"


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="identity", description=DESCRIPTION)

    async def run() -> None:
        engine = engine_finder()
        assert engine is not None
        if engine.engine_type != "postgres":
            return
        await engine.run_ddl(
            "CREATE OR REPLACE FUNCTION audit_entry_refuse_change() RETURNS trigger "
            "LANGUAGE plpgsql AS $$ BEGIN "
            "RAISE EXCEPTION 'audit entries are append-only' USING ERRCODE = 'P0001'; "
            "END $$"
        )
        await engine.run_ddl(
            "CREATE TRIGGER audit_entry_append_only BEFORE UPDATE OR DELETE ON audit_entry "
            "FOR EACH ROW EXECUTE FUNCTION audit_entry_refuse_change()"
        )

    async def run_backwards() -> None:
        engine = engine_finder()
        assert engine is not None
        if engine.engine_type != "postgres":
            return
        await engine.run_ddl("DROP TRIGGER IF EXISTS audit_entry_append_only ON audit_entry")
        await engine.run_ddl("DROP FUNCTION IF EXISTS audit_entry_refuse_change()")

    manager.add_raw(run)
    manager.add_raw_backwards(run_backwards)
    return manager
