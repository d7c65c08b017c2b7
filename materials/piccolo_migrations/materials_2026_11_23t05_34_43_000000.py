"""Composite unique keys Piccolo cannot declare: one version number per variant, at most
one draft per variant, one assignment per enrolment, session and item."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-23T05:34:43:000000"
VERSION = "1.38.0"
DESCRIPTION = "unique keys for module and form versions and assignments"

# (index name, table, columns and predicate, unique)
_INDEXES = (
    (
        "module_version_variant_number",
        "module_version",
        "(module, language, variant, number)",
        True,
    ),
    (
        "module_version_one_draft",
        "module_version",
        "(module, language, variant) WHERE status = 'draft'",
        True,
    ),
    ("homework_form_version_number", "homework_form_version", "(form, number)", True),
    (
        "homework_form_version_one_draft",
        "homework_form_version",
        "(form) WHERE status = 'draft'",
        True,
    ),
    (
        "assignment_enrolment_session_item",
        "assignment",
        "(enrolment, session, kind, slug)",
        True,
    ),
    ("assignment_session_kind", "assignment", "(session, kind)", False),
)


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="materials", description=DESCRIPTION)

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
