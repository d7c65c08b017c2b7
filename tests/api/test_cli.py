"""The ``stepwise`` command, run as a real process against a SQLite file of its own."""

import json
import os
import re
import shutil
import socket
import sqlite3
import stat
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from argon2 import PasswordHasher
from argon2.exceptions import VerifyMismatchError

from api.demo import DEMO_STAFF, LOGINS_FILE

pytestmark = pytest.mark.sqlite_only  # every command here runs on its own SQLite file

REPO = Path(__file__).resolve().parents[2]
STEPWISE = Path(sys.executable).with_name("stepwise")
GOOD_PASSWORD = "a-good-long-passphrase-9"
DEMO_EMAILS = sorted(login.email for login in DEMO_STAFF)
CHEAP_ARGON2 = {
    "STEPWISE_ARGON2_TIME_COST": "1",
    "STEPWISE_ARGON2_MEMORY_KIB": "8",
    "STEPWISE_ARGON2_PARALLELISM": "1",
}


@dataclass
class Cli:
    """The command line pointed at one database file and one var dir."""

    database: Path
    var_dir: Path

    @property
    def env(self) -> dict[str, str]:
        """The environment the command runs with."""
        inherited = {k: v for k, v in os.environ.items() if not k.startswith("STEPWISE_")}
        return {
            **inherited,
            **CHEAP_ARGON2,
            "STEPWISE_DATABASE_URL": f"sqlite:///{self.database}",
            "STEPWISE_VAR_DIR": str(self.var_dir),
        }

    def run(
        self, *args: str, stdin: str = "", env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        """Run ``stepwise ARGS`` to the end."""
        return subprocess.run(  # noqa: S603 - our own script, fixed arguments
            [str(STEPWISE), *args],
            input=stdin,
            env={**self.env, **(env or {})},
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    def rows(self, sql: str, database: Path | None = None) -> list[tuple[object, ...]]:
        """Query the database file directly."""
        with closing(sqlite3.connect(database or self.database)) as connection:
            return connection.execute(sql).fetchall()


@pytest.fixture(scope="module")
def migrated_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated database file, made once and copied for each test."""
    folder = tmp_path_factory.mktemp("cli-template")
    template = Cli(database=folder / "template.sqlite3", var_dir=folder / "var")
    result = template.run("migrate")
    assert result.returncode == 0, result.stderr
    return template.database


def _fresh(migrated_file: Path, folder: Path) -> Cli:
    folder.mkdir(parents=True, exist_ok=True)
    database = folder / "stepwise.sqlite3"
    shutil.copyfile(migrated_file, database)
    return Cli(database=database, var_dir=folder / "var")


@pytest.fixture
def cli(migrated_file: Path, tmp_path: Path) -> Cli:
    """The command line on a freshly migrated database of this test's own."""
    return _fresh(migrated_file, tmp_path / "one")


# -- create-user ---------------------------------------------------------------------------


def test_create_user_two_roles_reads_password_from_stdin_and_never_prints_it(cli: Cli) -> None:
    result = cli.run(
        "create-user",
        "--email",
        "Nurse@Test.Example",
        "--role",
        "admin",
        "--role",
        "supervisor",
        stdin=GOOD_PASSWORD + "\n",
    )

    rows = cli.rows(
        "SELECT id, email, full_name, roles, must_change_password, is_active, password_hash "
        "FROM staff_user"
    )
    assert len(rows) == 1
    user_id, email, full_name, roles, must_change, active, password_hash = rows[0]
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout == f"Created nurse@test.example (admin, supervisor), id {user_id}\n"
    assert (email, full_name, json.loads(str(roles)), must_change, active) == (
        "nurse@test.example",
        "Nurse",  # the local part as typed
        ["admin", "supervisor"],
        0,
        1,
    )
    assert PasswordHasher().verify(str(password_hash), GOOD_PASSWORD) is True
    assert GOOD_PASSWORD not in result.stdout + result.stderr


@pytest.mark.parametrize(
    ("password", "message"),
    [
        (
            "password123",
            "Not created: password: must be at least 12 characters; "
            "password: is a commonly used password\n",
        ),
        ("PasswordPassword", "Not created: password: is a commonly used password\n"),
    ],
    ids=["short-and-common", "long-but-common"],
)
def test_create_user_weak_password_is_refused_and_no_user_is_created(
    cli: Cli, password: str, message: str
) -> None:
    result = cli.run(
        "create-user", "--email", "weak@test.example", "--role", "admin", stdin=password + "\n"
    )

    assert (result.returncode, result.stdout, result.stderr) == (1, "", message)
    assert cli.rows("SELECT count(*) FROM staff_user") == [(0,)]


def test_create_user_duplicate_email_is_refused(cli: Cli) -> None:
    first = cli.run(
        "create-user", "--email", "twice@test.example", "--role", "admin", stdin=GOOD_PASSWORD
    )

    second = cli.run(
        "create-user",
        "--email",
        "TWICE@test.example",
        "--role",
        "facilitator",
        stdin="another-long-passphrase-7",
    )

    assert first.returncode == 0
    assert (second.returncode, second.stdout, second.stderr) == (
        1,
        "",
        "Not created: A staff account with this email already exists.\n",
    )
    assert cli.rows("SELECT email, roles FROM staff_user") == [("twice@test.example", '["admin"]')]


# -- load-demo -----------------------------------------------------------------------------

_LOGIN_LINE = re.compile(r"^  (\S+)\s+(\S+)$")


def _printed_logins(stdout: str) -> list[tuple[str, str]]:
    lines = stdout.splitlines()
    assert lines[0] == "Demo staff logins (also in var/demo-logins.txt):"
    matches = [_LOGIN_LINE.match(line) for line in lines[1:]]
    return [(m.group(1), m.group(2)) for m in matches if m is not None]


def test_load_demo_twice_is_idempotent_and_keeps_logins_owner_only(
    cli: Cli, migrated_file: Path, tmp_path: Path
) -> None:
    first = cli.run("load-demo")
    second = cli.run("load-demo")
    elsewhere = _fresh(migrated_file, tmp_path / "two").run("load-demo")

    logins = _printed_logins(first.stdout)
    logins_file = cli.var_dir / LOGINS_FILE
    assert (first.returncode, first.stderr, second.returncode, second.stderr) == (0, "", 0, "")
    assert second.stdout == first.stdout
    assert _verified(cli, logins) == [(email, True) for email in DEMO_EMAILS]
    assert cli.rows("SELECT email FROM staff_user ORDER BY email") == [
        (email,) for email in DEMO_EMAILS
    ]
    assert stat.S_IMODE(logins_file.stat().st_mode) == 0o600
    assert logins_file.read_text() == "".join(f"{e} {p}\n" for e, p in logins)
    assert {p for _, p in logins}.isdisjoint({p for _, p in _printed_logins(elsewhere.stdout)})


def _verified(cli: Cli, logins: list[tuple[str, str]]) -> list[tuple[str, bool]]:
    """Each printed login and whether its password matches the stored hash."""
    hashes = dict(cli.rows("SELECT email, password_hash FROM staff_user"))

    def matches(email: str, password: str) -> bool:
        try:
            return PasswordHasher().verify(str(hashes[email]), password)
        except VerifyMismatchError:
            return False

    return sorted((email, matches(email, password)) for email, password in logins)


def test_load_demo_on_a_new_database_prints_only_the_new_logins(
    cli: Cli, migrated_file: Path, tmp_path: Path
) -> None:
    old = cli.run("load-demo")
    # The database file is replaced but var/ (with demo-logins.txt) is kept.
    replaced = Cli(database=_fresh(migrated_file, tmp_path / "two").database, var_dir=cli.var_dir)

    new = replaced.run("load-demo")

    logins = _printed_logins(new.stdout)
    assert (old.returncode, new.returncode, new.stderr) == (0, 0, "")
    assert _verified(replaced, logins) == [(email, True) for email in DEMO_EMAILS]
    assert (cli.var_dir / LOGINS_FILE).read_text() == "".join(f"{e} {p}\n" for e, p in logins)


# -- serve and the signing key -------------------------------------------------------------


def test_serve_in_production_without_secret_key_exits_at_once_naming_it(cli: Cli) -> None:
    started = time.monotonic()

    result = cli.run("serve", "--port", "1", env={"STEPWISE_ENVIRONMENT": "production"})

    assert (result.returncode, result.stdout, result.stderr) == (
        1,
        "",
        "stepwise: STEPWISE_SECRET_KEY is not set: production mode refuses to start without one\n",
    )
    assert time.monotonic() - started < 10
    assert not (cli.var_dir / "secret_key").exists()


def _free_port() -> int:
    with closing(socket.socket()) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@pytest.fixture
def serve_once(cli: Cli) -> Iterator[Callable[[], None]]:
    """Start ``stepwise serve``, wait until it answers, stop it; any process left is killed."""
    running: list[subprocess.Popen[str]] = []

    def serve() -> None:
        port = _free_port()
        process = subprocess.Popen(  # noqa: S603 - our own script, fixed arguments
            [str(STEPWISE), "serve", "--port", str(port)],
            env=cli.env,
            cwd=REPO,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        running.append(process)
        deadline = time.monotonic() + 20
        while True:
            assert process.poll() is None, "stepwise serve exited early"
            try:
                if httpx.get(f"http://127.0.0.1:{port}/health/live", timeout=1).is_success:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "stepwise serve did not answer"
            time.sleep(0.05)
        process.terminate()
        process.wait(timeout=10)

    yield serve
    for process in running:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_serve_in_development_makes_owner_only_secret_key_and_reuses_it(
    cli: Cli, serve_once: Callable[[], None]
) -> None:
    key_file = cli.var_dir / "secret_key"

    serve_once()
    first_key = key_file.read_text()
    first_mode = stat.S_IMODE(key_file.stat().st_mode)
    serve_once()

    assert first_mode == 0o600
    assert len(first_key.strip()) >= 32
    assert key_file.read_text() == first_key


# -- backup --------------------------------------------------------------------------------


def test_backup_sqlite_while_a_writer_is_open_copies_committed_data_that_restores(
    cli: Cli, tmp_path: Path
) -> None:
    assert cli.run("load-demo").returncode == 0
    target = tmp_path / "backups" / "copy.sqlite3"
    with closing(sqlite3.connect(cli.database, isolation_level=None)) as writer:
        writer.execute("BEGIN IMMEDIATE")
        writer.execute(
            "INSERT INTO login_attempt (email, client_address, attempted_at, succeeded) "
            "VALUES ('uncommitted@test.example', '127.0.0.1', '2026-01-05T09:30:00+00:00', 0)"
        )
        result = cli.run("backup", str(target))
        writer.execute("ROLLBACK")
    restored = tmp_path / "restored" / "stepwise.sqlite3"
    restored.parent.mkdir()
    shutil.copyfile(target, restored)

    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout == f"Backed up {cli.database} to {target}\n"
    assert list(target.parent.iterdir()) == [target]  # no .partial left behind
    assert cli.rows("PRAGMA integrity_check", restored) == [("ok",)]
    assert cli.rows("SELECT email FROM staff_user ORDER BY email", restored) == [
        (email,) for email in DEMO_EMAILS
    ]
    assert cli.rows("SELECT count(*) FROM login_attempt", restored) == [(0,)]


def test_backup_with_postgresql_url_exits_2_pointing_to_pg_dump(cli: Cli, tmp_path: Path) -> None:
    target = tmp_path / "copy.sqlite3"

    result = cli.run(
        "backup",
        str(target),
        env={"STEPWISE_DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none"},
    )

    assert (result.returncode, result.stdout, result.stderr) == (
        2,
        "",
        "PostgreSQL: use pg_dump (see the README, Backups).\n",
    )
    assert not target.exists()
