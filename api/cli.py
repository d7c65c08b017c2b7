"""The ``stepwise`` command: serve, migrate, demo data, checks, users, backups."""

import argparse
import asyncio
import getpass
import sys
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

import api  # noqa: F401 - sets PICCOLO_CONF before Piccolo looks for it
from api.core import clock
from api.core.actor import Actor, Role
from api.core.settings import get_settings

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000


def _run(job: Callable[[], Awaitable[Any]]) -> Any:
    async def with_pool() -> Any:
        from api.core.database import close_pool

        try:
            return await job()
        finally:
            await close_pool()

    return asyncio.run(with_pool())


def cmd_migrate(_: argparse.Namespace) -> int:
    """Bring the database to the current schema."""
    from api.core.migrations import migrate

    _run(migrate)
    print("Database is up to date.")
    return 0


def cmd_check(_: argparse.Namespace) -> int:
    """Fail if the tables have changes no migration makes."""
    from api.core.migrations import drift

    found = _run(drift)
    for app_name, statements in found.items():
        print(f"{app_name}: tables differ from migrations ({len(statements)} changes):")
        for statement in statements:
            print(f"  {statement}")
    if found:
        print("Run: piccolo migrations new APP --auto (with PICCOLO_CONF=api.piccolo_conf)")
        return 1
    print("No migration drift.")
    return 0


def _print_logins(logins: Sequence[tuple[str, str]], var_dir: Path) -> None:
    if not logins:
        print(f"Demo logins: see {var_dir / 'demo-logins.txt'} (it was removed?)")
        return
    print("Demo staff logins (also in var/demo-logins.txt):")
    for email, password in logins:
        print(f"  {email:34} {password}")


def cmd_load_demo(_: argparse.Namespace) -> int:
    """Load demo data (idempotent) and print the demo logins."""
    from api.demo import load_demo_data, remembered_logins

    var_dir = get_settings().service.var_dir
    _run(lambda: load_demo_data(var_dir))
    _print_logins(remembered_logins(var_dir), var_dir)
    return 0


def _serve(host: str, port: int) -> int:
    import os

    import uvicorn

    # The background jobs run in the API process unless told otherwise (several API
    # processes: set it to false and run ``stepwise worker``).
    os.environ.setdefault("STEPWISE_SCHEDULER_ENABLED", "true")
    # Read again with it: the settings read earlier (the signing-key check) were without it.
    get_settings.cache_clear()
    settings = get_settings()
    print(f"Serving Stepwise on http://{host}:{port}")
    print(f"Interactive API docs: http://{host}:{port}/schema/swagger")
    print(f"OpenAPI document:     http://{host}:{port}/schema/openapi.json")
    sys.stdout.flush()
    uvicorn.run(
        "api.web.app:create_app",
        factory=True,
        host=host,
        port=port,
        access_log=False,
        log_config=None,
        log_level=settings.service.log_level.lower(),
        proxy_headers=False,
        server_header=False,
    )
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    """Serve the API (run ``migrate`` first)."""
    get_settings().signing_key()  # refuse to start now, not on the first request
    return _serve(args.host, args.port)


def cmd_demo(args: argparse.Namespace) -> int:
    """Migrate, load demo data, print the logins and serve: the quick start."""
    get_settings().signing_key()
    cmd_migrate(args)
    cmd_load_demo(args)
    return _serve(args.host, args.port)


def cmd_worker(_: argparse.Namespace) -> int:
    """Run the background jobs (reminders, the outbox, escalation) without the API."""
    from api.core.logging import configure_logging
    from scheduling.jobs.worker import run_worker

    service = get_settings().service
    configure_logging(level=service.log_level, json_lines=service.is_production)
    print("Running background jobs; stop with Ctrl+C.")
    sys.stdout.flush()
    _run(run_worker)
    return 0


def _read_password(stream: Any) -> str:
    if stream.isatty():
        first = getpass.getpass("Password: ")
        if getpass.getpass("Again: ") != first:
            raise SystemExit("The passwords differ.")
        return first
    return str(stream.readline()).rstrip("\r\n")


def cmd_create_user(args: argparse.Namespace) -> int:
    """Create a staff account; the password is read from standard input."""
    from pydantic import ValidationError

    from api.core.errors import DomainError
    from api.identity import accounts
    from api.identity.schemas import StaffUserCreate

    try:
        new = StaffUserCreate(
            email=args.email,
            full_name=args.name or args.email.partition("@")[0],
            roles=[Role(role) for role in args.role],
        )
    except ValidationError as error:
        print(
            f"Not created: {error.errors()[0]['loc']} {error.errors()[0]['msg']}", file=sys.stderr
        )
        return 2
    password = _read_password(sys.stdin)
    try:
        user, _ = _run(
            lambda: accounts.create_staff_user(
                new, by=Actor.system(), now=clock.now(), password=password
            )
        )
    except DomainError as error:
        print(f"Not created: {error.detail}", file=sys.stderr)
        return 1
    print(f"Created {user.email} ({', '.join(user.roles)}), id {user.id}")
    return 0


def cmd_backup(args: argparse.Namespace) -> int:
    """Copy the SQLite database, consistently, while the service runs."""
    from api.core.backup import backup_sqlite

    database = get_settings().database
    if not database.is_sqlite:
        print("PostgreSQL: use pg_dump (see the README, Backups).", file=sys.stderr)
        return 2
    backup_sqlite(database.sqlite_path, Path(args.path))
    print(f"Backed up {database.sqlite_path} to {args.path}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The command line."""
    parser = argparse.ArgumentParser(prog="stepwise", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    def add(name: str, handler: Callable[[argparse.Namespace], int]) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=handler.__doc__, description=handler.__doc__)
        sub.set_defaults(handler=handler)
        return sub

    for name, handler in (("serve", cmd_serve), ("demo", cmd_demo)):
        sub = add(name, handler)
        sub.add_argument("--host", default=DEFAULT_HOST)
        sub.add_argument("--port", type=int, default=DEFAULT_PORT)
    add("migrate", cmd_migrate)
    add("worker", cmd_worker)
    add("check", cmd_check)
    add("load-demo", cmd_load_demo)
    create = add("create-user", cmd_create_user)
    create.add_argument("--email", required=True)
    create.add_argument("--name", help="full name (default: the email's local part)")
    create.add_argument(
        "--role", action="append", required=True, choices=[role.value for role in Role]
    )
    backup = add("backup", cmd_backup)
    backup.add_argument("path", help="where to write the copy")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``stepwise`` script."""
    args = build_parser().parse_args(argv)
    try:
        return int(args.handler(args))
    except RuntimeError as error:
        print(f"stepwise: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
