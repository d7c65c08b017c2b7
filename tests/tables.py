"""Emptying every table between tests (the migration history stays)."""

from piccolo.conf.apps import Finder
from piccolo.querystring import QueryString
from piccolo.table import sort_table_classes

from api.core.database import engine, write_transaction


async def truncate_all() -> None:
    """Delete every row of every app table, in one transaction."""
    # Children before parents: foreign keys are RESTRICT, checked at once even on SQLite.
    ordered = sort_table_classes(Finder().get_table_classes())
    names = [table._meta.tablename for table in reversed(ordered)]
    if not names:
        return
    db = engine()
    if db.engine_type == "postgres":
        quoted = ", ".join(f'"{name}"' for name in names)
        await db.run_querystring(QueryString(f"TRUNCATE {quoted} RESTART IDENTITY CASCADE"))
        return
    async with write_transaction():
        for name in names:
            await db.run_querystring(QueryString(f'DELETE FROM "{name}"'))  # noqa: S608 - table names from Piccolo
