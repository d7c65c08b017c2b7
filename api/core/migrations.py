"""Migrations: bring a database to the current schema, and detect drift from the tables.

Piccolo's migration commands print progress tables; these wrappers keep that quiet and
say only what went wrong.
"""

import contextlib
import io

from piccolo.apps.migrations.commands.backwards import run_backwards
from piccolo.apps.migrations.commands.forwards import run_forwards
from piccolo.apps.migrations.commands.new import AutoMigrationManager
from piccolo.conf.apps import Finder


async def migrate() -> None:
    """Run every app's pending migrations, in dependency order."""
    with contextlib.redirect_stdout(io.StringIO()) as printed:
        result = await run_forwards("all")
    if not result.success:
        raise RuntimeError(f"migrations failed: {result.message}\n{printed.getvalue()}")


async def unmigrate_all() -> None:
    """Reverse every migration (for the forwards-backwards-forwards check)."""
    for app_name in reversed(Finder().get_sorted_app_names()):
        with contextlib.redirect_stdout(io.StringIO()):
            result = await run_backwards(app_name, migration_id="all", auto_agree=True)
        if not result.success:
            raise RuntimeError(f"reversing {app_name} failed: {result.message}")


async def drift() -> dict[str, list[str]]:
    """Per app, the changes the tables have that no migration makes (empty: no drift)."""
    found: dict[str, list[str]] = {}
    for app_config in Finder().get_app_registry().app_configs.values():
        with contextlib.redirect_stdout(io.StringIO()):
            statements = await AutoMigrationManager(auto_input="y").get_alter_statements(
                app_config=app_config
            )
        pending = [line for group in statements for line in group.statements]
        if pending:
            found[app_config.app_name] = pending
    return found
