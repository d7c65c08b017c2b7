"""Composite unique keys Piccolo cannot declare: one row per slot, whatever the race."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-23T05:27:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "unique keys for facilitators, enrolments, sessions and measures"

# (index name, table, columns, unique)
_INDEXES = (
    ("group_facilitator_group_staff", "group_facilitator", '("group", staff)', True),
    ("enrolment_group_patient", "enrolment", '("group", patient)', True),
    ("enrolment_group_status", "enrolment", '("group", status)', False),
    ("group_session_group_number", "group_session", '("group", number)', True),
    ("attendance_session_enrolment", "attendance", "(session, enrolment)", True),
    ("session_note_session_enrolment", "session_note", "(session, enrolment)", True),
    (
        "measure_set_enrolment_session_instrument",
        "measure_set",
        "(enrolment, session, instrument)",
        True,
    ),
)


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="groups", description=DESCRIPTION)

    async def run() -> None:
        engine = engine_finder()
        assert engine is not None
        for name, table, columns, unique in _INDEXES:
            kind = "UNIQUE INDEX" if unique else "INDEX"
            await engine.run_ddl(f"CREATE {kind} IF NOT EXISTS {name} ON {table} {columns}")

    async def run_backwards() -> None:
        engine = engine_finder()
        assert engine is not None
        for name, _, _, _ in _INDEXES:
            await engine.run_ddl(f"DROP INDEX IF EXISTS {name}")

    manager.add_raw(run)
    manager.add_raw_backwards(run_backwards)
    return manager
