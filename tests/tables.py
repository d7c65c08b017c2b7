"""Emptying every table between tests (the migration history stays)."""

from piccolo.conf.apps import Finder
from piccolo.querystring import QueryString

from api.core.database import engine, write_transaction


async def truncate_all() -> None:
    """Delete every row of every app table, in one transaction."""
    names = [table._meta.tablename for table in Finder().get_table_classes()]
    if not names:
        return
    db = engine()
    if db.engine_type == "postgres":
        quoted = ", ".join(f'"{name}"' for name in names)
        await db.run_querystring(QueryString(f"TRUNCATE {quoted} RESTART IDENTITY CASCADE"))
        return
    async with write_transaction():
        await db.run_querystring(QueryString("PRAGMA defer_foreign_keys = ON"))
        for name in names:
            await db.run_querystring(QueryString(f'DELETE FROM "{name}"'))
