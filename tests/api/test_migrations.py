"""Migrations: no drift from the tables, the schema they build, and reversing them."""

import os
import re
import sqlite3
import subprocess
import sys
from contextlib import closing
from pathlib import Path

import pytest
from piccolo.conf.apps import Finder
from piccolo.querystring import QueryString

from api.core.database import engine, is_postgres
from api.core.migrations import drift

REPO = Path(__file__).resolve().parents[2]
STEPWISE = Path(sys.executable).with_name("stepwise")
MIGRATION_TABLE = "migration"
BACKWARDS = (
    "import asyncio\n"
    "import api\n"
    "from api.core.database import close_pool\n"
    "from api.core.migrations import unmigrate_all\n"
    "async def main():\n"
    "    try:\n"
    "        await unmigrate_all()\n"
    "    finally:\n"
    "        await close_pool()\n"
    "asyncio.run(main())\n"
    "print('reversed')\n"
)


def _table_columns() -> dict[str, list[str]]:
    return {
        table._meta.tablename: sorted(column._meta.db_column_name for column in table._meta.columns)
        for table in Finder().get_table_classes()
    }


async def _database_columns(tablenames: list[str]) -> dict[str, list[str]]:
    db = engine()
    found: dict[str, list[str]] = {}
    for name in tablenames:
        if is_postgres():
            rows = await db.run_querystring(
                QueryString(
                    "SELECT column_name AS name FROM information_schema.columns "
                    "WHERE table_schema = 'public' AND table_name = {}",
                    name,
                )
            )
        else:
            rows = await db.run_querystring(QueryString(f'PRAGMA table_info("{name}")'))
        found[name] = sorted(row["name"] for row in rows)
    return found


async def _database_tables() -> set[str]:
    if is_postgres():
        sql = (
            "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public'"
        )
    else:
        sql = "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
    return {row["name"] for row in await engine().run_querystring(QueryString(sql))}


async def test_drift_tables_match_migrations_is_empty(migrated: None) -> None:
    assert await drift() == {}


async def test_migrated_schema_has_every_table_and_column_of_the_table_classes(
    migrated: None,
) -> None:
    expected = _table_columns()

    tables = await _database_tables()
    columns = await _database_columns(sorted(expected))

    assert tables == {*expected, MIGRATION_TABLE}
    assert columns == expected


@pytest.mark.postgres_only
async def test_postgres_staff_user_email_has_unique_constraint_and_index(migrated: None) -> None:
    rows = await engine().run_querystring(
        QueryString(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'staff_user' "
            "ORDER BY indexname"
        )
    )

    assert [dict(row) for row in rows] == [
        {
            "indexname": "staff_user_email",
            "indexdef": "CREATE INDEX staff_user_email ON public.staff_user USING btree (email)",
        },
        {
            "indexname": "staff_user_email_key",
            "indexdef": "CREATE UNIQUE INDEX staff_user_email_key ON public.staff_user "
            "USING btree (email)",
        },
        {
            "indexname": "staff_user_pkey",
            "indexdef": "CREATE UNIQUE INDEX staff_user_pkey ON public.staff_user USING btree (id)",
        },
    ]


@pytest.mark.sqlite_only
async def test_sqlite_staff_user_email_has_a_unique_index(migrated: None) -> None:
    db = engine()
    indexes = await db.run_querystring(QueryString('PRAGMA index_list("staff_user")'))
    unique_columns = []
    for index in indexes:
        if index["unique"] and index["origin"] != "pk":
            info = await db.run_querystring(QueryString(f'PRAGMA index_info("{index["name"]}")'))
            unique_columns.append([row["name"] for row in info])

    assert unique_columns == [["email"]]


# -- a fresh SQLite file, through the command line ---------------------------------------


def _env(tmp_path: Path) -> dict[str, str]:
    return {
        **os.environ,
        "STEPWISE_DATABASE_URL": f"sqlite:///{tmp_path / 'fresh.sqlite3'}",
        "STEPWISE_VAR_DIR": str(tmp_path / "var"),
    }


def _run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - our own script, fixed arguments
        args, env=env, cwd=REPO, capture_output=True, text=True, timeout=60, check=False
    )


def _snapshot(path: Path) -> tuple[list[tuple[str, str, str]], list[tuple[str, str]]]:
    """The schema (type, name, sql) without the migration table, and the migrations run."""
    with closing(sqlite3.connect(path)) as connection:
        schema = connection.execute(
            "SELECT type, name, coalesce(sql, '') FROM sqlite_master "
            "WHERE tbl_name != ? ORDER BY type, name",
            (MIGRATION_TABLE,),
        ).fetchall()
        ran = connection.execute("SELECT app_name, name FROM migration ORDER BY id").fetchall()
    return schema, ran


def _migrations_on_disk() -> list[tuple[str, str]]:
    """(app, migration id) for every migration file of every app."""
    found = []
    for app_config in Finder().get_app_configs():
        for file in Path(app_config.resolved_migrations_folder_path).glob("*.py"):
            declared = re.search(r'^ID = "([^"]+)"$', file.read_text(), re.MULTILINE)
            if declared:
                found.append((app_config.app_name, declared.group(1)))
    return sorted(found)


def _migration_rows(path: Path) -> list[tuple[object, ...]]:
    with closing(sqlite3.connect(path)) as connection:
        return connection.execute("SELECT * FROM migration ORDER BY id").fetchall()


@pytest.mark.sqlite_only
def test_migrations_forwards_backwards_forwards_on_fresh_sqlite_rebuild_same_schema(
    tmp_path: Path,
) -> None:
    env = _env(tmp_path)
    path = tmp_path / "fresh.sqlite3"

    first = _run([str(STEPWISE), "migrate"], env)
    after_first = _snapshot(path)
    backwards = _run([sys.executable, "-c", BACKWARDS], env)
    after_backwards = _snapshot(path)
    second = _run([str(STEPWISE), "migrate"], env)
    after_second = _snapshot(path)

    assert (first.returncode, first.stdout, first.stderr) == (0, "Database is up to date.\n", "")
    assert (backwards.returncode, backwards.stdout, backwards.stderr) == (0, "reversed\n", "")
    assert (second.returncode, second.stdout) == (0, "Database is up to date.\n")
    schema, ran = after_first
    assert {name for kind, name, _ in schema if kind == "table"} == set(_table_columns())
    assert sorted(ran) == _migrations_on_disk()
    assert after_backwards == ([], [])
    assert after_second == after_first


@pytest.mark.sqlite_only
def test_migrate_twice_second_run_changes_nothing(tmp_path: Path) -> None:
    env = _env(tmp_path)
    path = tmp_path / "fresh.sqlite3"
    assert _run([str(STEPWISE), "migrate"], env).returncode == 0
    schema_before, rows_before = _snapshot(path), _migration_rows(path)

    again = _run([str(STEPWISE), "migrate"], env)

    assert (again.returncode, again.stdout, again.stderr) == (0, "Database is up to date.\n", "")
    assert _snapshot(path) == schema_before
    assert _migration_rows(path) == rows_before


@pytest.mark.sqlite_only
def test_check_on_the_repository_reports_no_drift_and_exits_0(tmp_path: Path) -> None:
    result = _run([str(STEPWISE), "check"], _env(tmp_path))

    assert (result.returncode, result.stdout, result.stderr) == (0, "No migration drift.\n", "")
