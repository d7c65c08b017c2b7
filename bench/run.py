"""Benchmark Stepwise against a bare Litestar endpoint, on SQLite and/or PostgreSQL.

For each database it: makes a fresh database of its own (a temp SQLite file, or a new
PostgreSQL database that it drops afterwards), runs ``stepwise migrate``, seeds N staff
users (``bench/seed.py``), for the venues and groups suites venues, rooms and bookings
(``bench/seed_venues.py``), for the groups suite courses, groups, sessions, patients and
enrolments (``bench/seed_groups.py``), serves the bare app (``bench/bare_app.py``) and then the
service with production settings on 127.0.0.1, and drives each endpoint with ``wrk``
(or, without wrk, ``bench/loadgen.py``) for a warm-up and then a timed run.

stdout gets one JSON line per endpoint; stderr gets progress and, at the end, one verdict
line per aim. See bench/README.md.

    .venv/bin/python bench/run.py --db both --users 10000 --duration 10 --connections 32
    .venv/bin/python bench/run.py --db both --suite venues --compare-bookings 20000
    .venv/bin/python bench/run.py --db both --suite groups --bookings 20000
    .venv/bin/python bench/run.py --db both --suite clinical --bookings 20000
    .venv/bin/python bench/run.py --db both --suite outbox
"""

import argparse
import asyncio
import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import IO, Any
from urllib.parse import urlencode, urlsplit, urlunsplit

from booking_plan import BookingPlan, load
from enrol_plan import EnrolPlan, load_enrol_plan
from request_plan import RequestPlan, load_request_plan

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
BIN = Path(sys.executable).parent
LOOPBACK = "127.0.0.1"
WRK_SCRIPT = BENCH / "wrk" / "bench.lua"
RESULT_PREFIX = "BENCH_RESULT "
REQUEST_TIMEOUT_S = 30  # generous: a queued login at 32 connections takes seconds
READY_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 15.0
SETTLE_S = 0.5
NOISY_PCT = 10.0  # other processes' share of the server's core that makes a run suspect
DEFAULT_PG_ADMIN_URL = f"postgresql://postgres@{LOOPBACK}:5432/postgres"
SERVER_CPU = 0
GENERATOR_CPU = 1
BARE = "bare GET /"
HEALTH = "GET /health/ready"
LOGIN = "POST /api/v1/auth/login"
STAFF_ONE = "GET /api/v1/staff/{id}"
STAFF_PAGE = "GET /api/v1/staff?limit=50"
VENUE_PAGE = "GET /api/v1/venues?limit=50"
VENUE_CALENDAR = "GET /api/v1/venues/{id}/calendar (a month)"
AVAILABILITY = "GET /api/v1/availability (capacity 12, 10:00-11:30, 6 weeks)"
BOOKING_CREATE = "POST /api/v1/bookings"
VENUE_ENDPOINTS = (VENUE_PAGE, VENUE_CALENDAR, AVAILABILITY, BOOKING_CREATE)
GROUP_DETAIL = "GET /api/v1/groups/{id} (8 sessions, enrolments)"
SCHEDULE_PREVIEW = "POST /api/v1/groups/{id}/schedule/preview (6 sessions)"
ENROL = "POST /api/v1/groups/{id}/enrolments"
GROUP_ENDPOINTS = (GROUP_DETAIL, SCHEDULE_PREVIEW, ENROL)
REGISTER = "PUT /api/v1/sessions/{id}/register (12 patients, first submission)"
MEASURE = "POST /api/v1/sessions/{id}/measures (PHQ-9, new set)"
SUPERVISION = "GET /api/v1/supervision?limit=50 (supervisor)"
CLINICAL_ENDPOINTS = (SUPERVISION, REGISTER, MEASURE)
MODULE_FETCH = "GET /api/v1/module-versions/{id} (published, 200)"
MODULE_NOT_MODIFIED = "GET /api/v1/module-versions/{id} (If-None-Match, 304)"
HOMEWORK = "PUT /api/v1/assignments/{id}/submission (7-night sleep diary, staff entry)"
MATERIALS_ENDPOINTS = (MODULE_FETCH, MODULE_NOT_MODIFIED, HOMEWORK)
SUITES = ("foundation", "venues", "groups", "clinical", "materials", "all", "outbox")
SCALING_AIM = 0.8  # each venues endpoint's rps at --bookings over its rps at the comparison
PYTHON_NOTE = (
    "python generator: a ceiling on what it can measure, not the server's capacity (httpx "
    "spends more CPU per request than the server, on the same two cores); install wrk"
)
# (endpoint, engine or None for both, "ratio" or "p99_ms", threshold)
AIMS: tuple[tuple[str, str | None, str, float], ...] = (
    (STAFF_ONE, "sqlite", "ratio", 0.20),
    (STAFF_ONE, "postgres", "ratio", 0.15),
    (STAFF_PAGE, None, "ratio", 0.08),
    (STAFF_ONE, None, "p99_ms", 50.0),
    (STAFF_PAGE, None, "p99_ms", 100.0),
    (VENUE_PAGE, None, "ratio", 0.08),
    (VENUE_CALENDAR, None, "ratio", 0.08),
    (AVAILABILITY, None, "p99_ms", 50.0),
    (BOOKING_CREATE, None, "p99_ms", 50.0),
)


class Stop(Exception):
    """SIGTERM or SIGHUP arrived: unwind and clean up, as Ctrl-C does."""


def log(message: str) -> None:
    """Progress on stderr, so stdout holds only the JSON lines."""
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# -- processes -----------------------------------------------------------------------


@dataclass
class Processes:
    """Every process the harness starts, so they all stop however it ends."""

    taskset: str | None
    running: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def start(
        self,
        command: list[str],
        *,
        env: dict[str, str],
        cpu: int | None,
        stdout: IO[bytes] | int,
    ) -> subprocess.Popen[bytes]:
        """Start a command in its own session (Ctrl-C reaches only the harness).

        Args:
            command: the program and its arguments.
            env: its whole environment.
            cpu: the core to pin it to with taskset (when taskset exists), or None.
            stdout: where its stdout and stderr go.

        Returns:
            The started process.
        """
        if cpu is not None and self.taskset is not None:
            command = [self.taskset, "-c", str(cpu), *command]
        process = subprocess.Popen(
            command,
            env=env,
            cwd=ROOT,
            stdin=subprocess.DEVNULL,
            stdout=stdout,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.running.append(process)
        return process

    def stop(self, process: subprocess.Popen[bytes]) -> None:
        """SIGTERM its process group, wait, then SIGKILL what is left."""
        if process in self.running:
            self.running.remove(process)
        if process.poll() is not None:
            return
        for sig, wait_s in ((signal.SIGTERM, STOP_TIMEOUT_S), (signal.SIGKILL, 5.0)):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, sig)  # its own group: start_new_session=True
            try:
                process.wait(timeout=wait_s)
                return
            except subprocess.TimeoutExpired:
                continue

    def stop_all(self) -> None:
        """Stop every process still running, newest first."""
        for process in reversed(list(self.running)):
            self.stop(process)


def busy_ticks(cpu: int | None) -> int | None:
    """Clock ticks one core (or, with None, all cores) spent running tasks, from /proc/stat.

    Counts user, nice, system and steal time; not idle or iowait, and not irq or softirq,
    which belong to no process and are mostly the benchmark's own loopback traffic.
    None where /proc/stat does not exist.
    """
    prefix = "cpu " if cpu is None else f"cpu{cpu} "
    try:
        with open("/proc/stat") as stat:
            for line in stat:
                if line.startswith(prefix):
                    user, nice, system, _, _, _, _, steal = map(int, line.split()[1:9])
                    return user + nice + system + steal
    except OSError:
        return None
    return None


def wait_for_quiet(max_wait_s: float, threshold_cores: float) -> None:
    """Wait until other work on the machine uses under ``threshold_cores`` (nothing of ours runs).

    A test suite or a build running beside the benchmark takes the server's core and skews
    every figure. Samples one second at a time, for at most ``max_wait_s``, then goes on
    regardless (each JSON line's ``server_core_other_pct`` still shows what it cost).
    """
    if max_wait_s <= 0 or busy_ticks(None) is None:
        return
    deadline = time.monotonic() + max_wait_s
    announced = False
    while True:
        before, began = busy_ticks(None) or 0, time.monotonic()
        time.sleep(1.0)
        used = ((busy_ticks(None) or 0) - before) / os.sysconf("SC_CLK_TCK")
        cores = used / (time.monotonic() - began)
        if cores < threshold_cores:
            return
        if time.monotonic() >= deadline:
            log(f"machine still busy ({cores:.2f} cores in use by others): measuring anyway")
            return
        if not announced:
            log(f"waiting for the machine to be quiet ({cores:.2f} cores in use by others)")
            announced = True


def process_ticks(pid: int) -> int | None:
    """Clock ticks of CPU a process (all its threads) has used, or None."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rpartition(")")[2].split()
    except OSError:
        return None
    return int(fields[11]) + int(fields[12])  # utime + stime


def postgres_ticks() -> int | None:
    """Clock ticks of CPU all PostgreSQL server processes on this machine have used."""
    proc = Path("/proc")
    if not proc.is_dir():
        return None
    total = 0
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            head, _, rest = (entry / "stat").read_text().rpartition(")")
        except OSError:
            continue  # gone meanwhile, or not ours to read
        if head.endswith("(postgres"):
            fields = rest.split()
            total += int(fields[11]) + int(fields[12])
    return total


def children_cpu_seconds() -> float | None:
    """CPU seconds of this process's finished children (None where unsupported)."""
    try:
        import resource
    except ImportError:
        return None
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


@dataclass
class CoreWatch:
    """How much of each pinned core went to other processes during a timed run.

    Other people's work on the machine (a test suite, a build) shares the cores and lowers
    the figures: on the server's core it slows the server, on the generator's core it can
    make wrk the bottleneck (the bare endpoint first). This says by how much, so a noisy
    run is visible as one. The generator's own CPU is what the children reaped during the
    run used: the generator is the only child that ends inside it.
    """

    server_pid: int
    engine: str
    began: float = 0.0
    readings: tuple[float | None, ...] = ()

    def _read(self) -> tuple[float | None, ...]:
        return (
            busy_ticks(SERVER_CPU),
            process_ticks(self.server_pid),
            busy_ticks(GENERATOR_CPU),
            children_cpu_seconds(),
            postgres_ticks() if self.engine == "postgres" else None,
        )

    def start(self) -> None:
        """Take the first reading."""
        self.began = time.monotonic()
        self.readings = self._read()

    def other_pct(self) -> tuple[float | None, float | None, float | None]:
        """Percent of the server's core and of the generator's busy with other work.

        Returns:
            Those two, and the percent of one core PostgreSQL's processes used (they run
            on either core, so part of each "other" figure may be theirs).
        """
        elapsed = time.monotonic() - self.began
        tick = os.sysconf("SC_CLK_TCK")
        server_core, server, generator_core, generator, database = (
            None if before is None or after is None else after - before
            for before, after in zip(self.readings, self._read(), strict=True)
        )
        on_server = on_generator = database_pct = None
        if server_core is not None and server is not None:
            on_server = round(max(server_core - server, 0) / tick / elapsed * 100, 1)
        if generator_core is not None and generator is not None:
            other = generator_core / tick - generator
            on_generator = round(max(other, 0) / elapsed * 100, 1)
        if database is not None:
            database_pct = round(database / tick / elapsed * 100, 1)
        return on_server, on_generator, database_pct


def free_port() -> int:
    """A TCP port nobody listens on at the moment, on the loopback address."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((LOOPBACK, 0))
        return int(probe.getsockname()[1])


def http_json(
    port: int,
    path: str,
    *,
    body: dict[str, Any] | None = None,
    token: str | None = None,
    method: str | None = None,
    header: str | None = None,
) -> tuple[int, Any]:
    """One request to 127.0.0.1 with the standard library; answers (status, parsed JSON).

    A body that is not JSON comes back as its text. ``header`` is one more, "Name: value".
    """
    headers = {"Accept": "application/json"}
    if header is not None:
        name, _, value = header.partition(":")
        headers[name.strip()] = value.strip()
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(
        f"http://{LOOPBACK}:{port}{path}", data=data, headers=headers, method=method
    )
    try:
        with urllib.request.urlopen(request, timeout=REQUEST_TIMEOUT_S) as response:  # noqa: S310
            status, raw = response.status, response.read()
    except urllib.error.HTTPError as error:
        status, raw = error.code, error.read()
    try:
        return status, json.loads(raw or b"null")
    except ValueError:
        return status, raw.decode(errors="replace")


def wait_ready(process: subprocess.Popen[bytes], port: int, path: str, log_path: Path) -> None:
    """Poll ``path`` until it answers 200; fail with the server's log if it dies or stalls."""
    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}:\n{tail(log_path)}")
        with contextlib.suppress(OSError, ValueError):
            if http_json(port, path)[0] == 200:
                return
        time.sleep(0.1)
    raise RuntimeError(f"server not ready after {READY_TIMEOUT_S:.0f} s:\n{tail(log_path)}")


def summarise_log(path: Path) -> list[str]:
    """The service's JSON log lines, counted by level, message and exception's last line."""
    counts: Counter[str] = Counter()
    for raw in path.read_text(errors="replace").splitlines() if path.exists() else []:
        try:
            entry = json.loads(raw)
        except ValueError:
            continue  # uvicorn's and the CLI's plain lines
        if not isinstance(entry, dict):
            continue
        exception = str(entry.get("exception") or "").strip().splitlines()
        key = f"{entry.get('level', '?')} {entry.get('message', '')!r}"
        if exception:
            key += f" ({exception[-1][:200]})"
        counts[key] += 1
    return [f"{count} x {key}" for key, count in counts.most_common()]


def tail(path: Path, lines: int = 30) -> str:
    """The end of a log file."""
    if not path.exists():
        return "(no log)"
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


# -- configuration -------------------------------------------------------------------


@dataclass(frozen=True)
class Options:
    """The command line, checked."""

    engines: tuple[str, ...]
    users: int
    duration: int
    warmup: int
    connections: int
    generator: str  # "wrk" or "python"
    server: str  # "stepwise" (the CLI) or "uvicorn" (its CLI, explicit flags)
    pg_admin_url: str
    max_requests: int
    skip_login: bool
    quiet_wait: float
    quiet_cores: float
    keep_logs: Path | None
    noisy_retries: int
    suite: str  # one of SUITES
    venues: int
    rooms: int
    bookings: int
    compare_bookings: int | None
    groups: int
    patients: int
    active_enrolments: int
    assignments: int
    outbox_sessions: int
    outbox_dispatch: int
    jobs: bool


@dataclass
class PlanCursor:
    """A booking or enrol plan and the first index not yet handed to any request."""

    path: Path
    plan: BookingPlan | EnrolPlan | RequestPlan
    next_index: int = 0

    def take_body(self) -> str:
        """The body of one more request, outside the load generator (checks, settling)."""
        return self.take()[1]

    def take(self) -> tuple[str | None, str]:
        """The path (None: the target's own) and body of one more request."""
        index = self.next_index
        self.next_index += 1
        path = self.plan.path(index) if isinstance(self.plan, EnrolPlan | RequestPlan) else None
        return path, self.plan.body(index)


@dataclass(frozen=True)
class Target:
    """One endpoint to drive."""

    name: str
    path: str
    method: str = "GET"
    body: str | None = None
    authorization: str | None = None
    plan: PlanCursor | None = None  # a different slot of the plan for each request
    expected_status: int | None = None  # count statuses and report the share of others
    header: str | None = None  # one more request header, "Name: value"


@dataclass(frozen=True)
class Server:
    """A running server: its process and its port on 127.0.0.1."""

    process: subprocess.Popen[bytes]
    port: int


def uvicorn_flags(port: int) -> list[str]:
    """The flags both servers share when uvicorn's CLI serves them."""
    return [
        "--host",
        LOOPBACK,
        "--port",
        str(port),
        "--loop",
        "uvloop",
        "--http",
        "httptools",
        "--workers",
        "1",
        "--no-access-log",
        "--log-level",
        "warning",
        "--no-proxy-headers",
        "--no-server-header",
    ]


def clean_environment() -> dict[str, str]:
    """This process's environment without any Stepwise, Piccolo or database settings."""
    return {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("STEPWISE_", "PICCOLO_")) and name != "DATABASE_URL"
    }


def service_environment(database_url: str, var_dir: Path) -> dict[str, str]:
    """Production settings, a random key, no access log: what migrate, seed and serve see."""
    return {
        **clean_environment(),
        "STEPWISE_DATABASE_URL": database_url,
        "STEPWISE_ENVIRONMENT": "production",
        "STEPWISE_SECRET_KEY": secrets.token_urlsafe(48),
        "STEPWISE_ACCESS_LOG": "false",
        "STEPWISE_LOG_LEVEL": "WARNING",
        "STEPWISE_VAR_DIR": str(var_dir),
        "PYTHONUNBUFFERED": "1",
    }


# -- databases -----------------------------------------------------------------------


def loopback_only(url: str) -> None:
    """Refuse any PostgreSQL URL that does not name 127.0.0.1."""
    if urlsplit(url).hostname != LOOPBACK:
        raise SystemExit(f"bench: --pg-admin-url must name {LOOPBACK}, not {url!r}")


async def _pg_admin(admin_url: str, statement: str) -> None:
    import asyncpg  # the project's PostgreSQL driver (piccolo[postgres])

    connection = await asyncpg.connect(admin_url, timeout=10)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


@contextlib.contextmanager
def bench_database(engine: str, options: Options, work_dir: Path) -> Iterator[str]:
    """A fresh, empty database for one pass, removed afterwards; yields its URL."""
    if engine == "sqlite":
        yield f"sqlite:///{work_dir / 'bench.sqlite3'}"
        return  # the file goes with work_dir
    name = f"stepwise_bench_{secrets.token_hex(6)}"
    asyncio.run(_pg_admin(options.pg_admin_url, f'CREATE DATABASE "{name}"'))
    log(f"created PostgreSQL database {name}")
    try:
        parts = urlsplit(options.pg_admin_url)
        yield urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, ""))
    finally:
        asyncio.run(
            _pg_admin(options.pg_admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        )
        log(f"dropped PostgreSQL database {name}")


def _run_step(command: list[str], env: dict[str, str]) -> dict[str, Any] | None:
    """Run one preparation step; answers the JSON object on its last stdout line, if any."""
    done = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command[:2])} failed:\n{done.stdout}{done.stderr}")
    lines = done.stdout.strip().splitlines()
    try:
        result = json.loads(lines[-1]) if lines else None
    except ValueError:
        return None
    return result if isinstance(result, dict) else None


def prepare(
    env: dict[str, str],
    options: Options,
    admin_password: str,
    *,
    bookings: int | None,
    plan_file: Path,
    enrol_plan_file: Path | None = None,
    clinical_dir: Path | None = None,
    materials: bool = False,
) -> dict[str, Any]:
    """Migrate with the CLI, then seed in subprocesses; answers what the seeds printed.

    With ``bookings`` (the venues suite) it also seeds venues, rooms and that many
    bookings and writes the booking plan to ``plan_file``; what ``seed_venues.py``
    printed is under the ``"venues"`` key.
    """
    run_env = {**env, "BENCH_ADMIN_PASSWORD": admin_password}
    _run_step([str(BIN / "stepwise"), "migrate"], run_env)
    seeded = _run_step(
        [sys.executable, str(BENCH / "seed.py"), "--users", str(options.users)], run_env
    )
    if seeded is None:
        raise RuntimeError("seed.py printed no result")
    if bookings is not None:
        venues = _run_step(
            [
                sys.executable,
                str(BENCH / "seed_venues.py"),
                "--venues",
                str(options.venues),
                "--rooms",
                str(options.rooms),
                "--bookings",
                str(bookings),
                "--booked-by",
                seeded["admin_id"],
                "--plan-file",
                str(plan_file),
            ],
            run_env,
        )
        if venues is None:
            raise RuntimeError("seed_venues.py printed no result")
        seeded["venues"] = venues
    if enrol_plan_file is not None:
        groups = _run_step(
            [
                sys.executable,
                str(BENCH / "seed_groups.py"),
                "--groups",
                str(options.groups),
                "--patients",
                str(options.patients),
                "--plan-file",
                str(enrol_plan_file),
            ],
            run_env,
        )
        if groups is None:
            raise RuntimeError("seed_groups.py printed no result")
        seeded["groups"] = groups
    if clinical_dir is not None:
        seeded["clinical"] = _seed_step(
            run_env,
            "seed_clinical.py",
            "--active-enrolments",
            str(options.active_enrolments),
            "--register-plan",
            str(clinical_dir / "register-plan.txt"),
            "--measure-plan",
            str(clinical_dir / "measure-plan.txt"),
        )
        if materials:
            seeded["materials"] = _seed_step(
                run_env,
                "seed_materials.py",
                "--assignments",
                str(options.assignments),
                "--plan-file",
                str(clinical_dir / "homework-plan.txt"),
            )
    return seeded


def _seed_step(env: dict[str, str], script: str, *args: str) -> dict[str, Any]:
    """Run one of bench's seeders; answers the JSON object it printed."""
    result = _run_step([sys.executable, str(BENCH / script), *args], env)
    if result is None:
        raise RuntimeError(f"{script} printed no result")
    return result


# -- load ----------------------------------------------------------------------------


def wrk_threads() -> int:
    """One wrk thread on its own pinned core; two when nothing is pinned."""
    return 1 if shutil.which("taskset") else 2


def generator_command(target: Target, port: int, seconds: int, options: Options) -> list[str]:
    """The wrk or loadgen.py command line for one run."""
    url = f"http://{LOOPBACK}:{port}{target.path}"
    if options.generator == "wrk":
        return [
            "wrk",
            "-t",
            str(wrk_threads()),
            "-c",
            str(options.connections),
            "-d",
            f"{seconds}s",
            "--timeout",
            f"{REQUEST_TIMEOUT_S}s",
            "-s",
            str(WRK_SCRIPT),
            url,
        ]
    command = [
        sys.executable,
        str(BENCH / "loadgen.py"),
        url,
        "--method",
        target.method,
        "--duration",
        str(seconds),
        "--connections",
        str(options.connections),
        "--max-requests",
        str(options.max_requests),
        "--timeout",
        str(REQUEST_TIMEOUT_S),
    ]
    if target.body is not None:
        command += ["--body", target.body]
    if target.authorization is not None:
        command += ["--header", f"Authorization: {target.authorization}"]
    if target.header is not None:
        command += ["--header", target.header]
    if target.plan is not None:
        command += ["--plan", str(target.plan.path), "--plan-start", str(target.plan.next_index)]
    if target.expected_status is not None:
        command.append("--count-status")
    return command


def drive(
    processes: Processes, target: Target, port: int, seconds: int, options: Options
) -> dict[str, Any]:
    """Run the generator once against ``target``; answers its BENCH_RESULT fields."""
    env = {
        **clean_environment(),
        "BENCH_METHOD": target.method,
        "BENCH_BODY": target.body or "",
        "BENCH_AUTHORIZATION": target.authorization or "",
        "BENCH_PLAN": str(target.plan.path) if target.plan else "",
        "BENCH_PLAN_START": str(target.plan.next_index) if target.plan else "0",
        "BENCH_THREADS": str(wrk_threads()),
        "BENCH_COUNT_STATUS": "1" if target.expected_status is not None else "",
        "BENCH_HEADER": target.header or "",
    }
    process = processes.start(
        generator_command(target, port, seconds, options),
        env=env,
        cpu=GENERATOR_CPU,
        stdout=subprocess.PIPE,
    )
    try:
        output, _ = process.communicate(timeout=seconds + REQUEST_TIMEOUT_S + 30)
    except subprocess.TimeoutExpired as error:
        raise RuntimeError(f"the load generator did not finish: {error}") from error
    finally:
        processes.stop(process)
    text = output.decode(errors="replace")
    for line in text.splitlines():
        if line.startswith(RESULT_PREFIX):
            result: dict[str, Any] = json.loads(line.removeprefix(RESULT_PREFIX))
            if target.plan is not None:
                # Every index the run handed out, answered or not, is spent: the server
                # may have booked the slot of a request the generator gave up on.
                target.plan.next_index += int(result["issued_span"])
                if target.plan.next_index > target.plan.plan.size:
                    log(f"warning: the plan's {target.plan.plan.size} requests ran out")
            return result
    raise RuntimeError(f"the load generator printed no result:\n{text}")


def noise(line: dict[str, Any]) -> list[tuple[str, float]]:
    """The pinned cores on which other work took more than NOISY_PCT during a line's run.

    PostgreSQL's processes serving the benchmark run on either core, so their CPU is
    discounted from both, except on the bare line, which never touches a database.
    """
    database = 0.0 if line["endpoint"] == BARE else line.get("postgres_cpu_pct") or 0.0
    found = []
    for key, whose in (
        ("server_core_other_pct", "server's"),
        ("generator_core_other_pct", "generator's"),
    ):
        other = line.get(key)
        if other is not None and other - database > NOISY_PCT:
            found.append((whose, float(other)))
    return found


def measure_quietly(
    processes: Processes, target: Target, server: Server, engine: str, options: Options
) -> dict[str, Any]:
    """Measure; while other work disturbed the run, measure again (``--noisy-retries``).

    Answers the least disturbed of the attempts.
    """
    best = measure(processes, target, server, engine, options)
    for _ in range(options.noisy_retries):
        if not noise(best):
            break
        log(f"{engine}: {target.name}: other work disturbed the run; measuring again")
        line = measure(processes, target, server, engine, options)
        if _worst(line) < _worst(best):
            best = line
    return best


def _worst(line: dict[str, Any]) -> float:
    return max((other for _, other in noise(line)), default=0.0)


def settle(port: int, target: Target) -> None:
    """Let the warm-up's backlog drain before the timed run starts.

    When wrk stops it drops its connections, but the server still finishes the requests
    in flight: for login that is up to one argon2 hash per connection, seconds of CPU.
    One more request of the same kind queues behind them (the hashes share one thread
    pool, first come first served), so when it answers the backlog is done.
    """
    path, text = target.plan.take() if target.plan is not None else (None, target.body)
    body = json.loads(text) if text else None
    token = target.authorization.removeprefix("Bearer ") if target.authorization else None
    with contextlib.suppress(OSError):  # a timeout here only means a longer backlog
        http_json(
            port,
            path or target.path,
            body=body,
            token=token,
            method=target.method,
            header=target.header,
        )
    time.sleep(SETTLE_S)


def measure(
    processes: Processes, target: Target, server: Server, engine: str, options: Options
) -> dict[str, Any]:
    """Warm up, then the timed run; answers the endpoint's JSON line (ratio filled later)."""
    wait_for_quiet(options.quiet_wait, options.quiet_cores)
    log(f"{engine}: {target.name}: warm-up {options.warmup} s, then {options.duration} s")
    if options.warmup > 0:
        drive(processes, target, server.port, options.warmup, options)
        settle(server.port, target)
    watch = CoreWatch(server.process.pid, engine)
    watch.start()
    raw = drive(processes, target, server.port, options.duration, options)
    other_pct, generator_other_pct, database_pct = (
        watch.other_pct() if processes.taskset else (None, None, None)
    )
    seconds = raw["duration_us"] / 1e6
    errors = sum(int(raw[key]) for key in raw if key.startswith("errors_"))
    line: dict[str, Any] = {
        "endpoint": target.name,
        "db": engine,
        "requests": int(raw["requests"]),
        "rps": round(raw["requests"] / seconds, 1) if seconds > 0 else 0.0,
        "p50_ms": round(raw["p50_us"] / 1000, 2),
        "p99_ms": round(raw["p99_us"] / 1000, 2),
        "ratio_to_bare": None,
        "generator": options.generator,
        "connections": options.connections,
        "duration_s": round(seconds, 2),
        "errors": errors,
        "server_core_other_pct": other_pct,
        "generator_core_other_pct": generator_other_pct,
        "postgres_cpu_pct": database_pct,
    }
    if errors:
        line["error_detail"] = {key: raw[key] for key in raw if key.startswith("errors_")}
    if target.expected_status is not None:
        statuses = {str(code): int(count) for code, count in raw.get("statuses", {}).items()}
        answered = sum(statuses.values())
        expected = statuses.get(str(target.expected_status), 0)
        line["statuses"] = dict(sorted(statuses.items()))
        line[f"non_{target.expected_status}_share"] = (
            round(1 - expected / answered, 4) if answered else None
        )
    if target.plan is not None and isinstance(target.plan.plan, RequestPlan):
        # Past the plan's end requests repeat earlier ones: corrections, not first writes.
        line["plan_size"] = target.plan.plan.size
        line["plan_exhausted"] = target.plan.next_index > target.plan.plan.size
    if options.generator == "python":
        line["note"] = PYTHON_NOTE
    return line


@contextlib.contextmanager
def serving(
    processes: Processes,
    command: list[str],
    env: dict[str, str],
    *,
    port: int,
    ready_path: str,
    log_path: Path,
) -> Iterator[Server]:
    """A server pinned to its core for the duration of the block, its output in a log."""
    with log_path.open("wb") as server_log:
        process = processes.start(command, env=env, cpu=SERVER_CPU, stdout=server_log)
        try:
            wait_ready(process, port, ready_path, log_path)
            yield Server(process, port)
        finally:
            processes.stop(process)


def service_command(options: Options, port: int) -> list[str]:
    """Serve Stepwise as a user would: ``stepwise serve``, or uvicorn's CLI with the factory."""
    if options.server == "stepwise":
        # uvicorn.run with loop and http left at "auto": uvloop and httptools when installed.
        return [str(BIN / "stepwise"), "serve", "--host", LOOPBACK, "--port", str(port)]
    return [
        sys.executable,
        "-m",
        "uvicorn",
        "api.web.app:create_app",
        "--factory",
        *uvicorn_flags(port),
    ]


def bare_command(port: int) -> list[str]:
    """Serve the bare app with uvicorn's CLI and the shared flags."""
    return [
        sys.executable,
        "-m",
        "uvicorn",
        "bare_app:app",
        "--app-dir",
        str(BENCH),
        *uvicorn_flags(port),
    ]


def check_endpoints(port: int, token: str, seeded: dict[str, Any]) -> None:
    """One request to each measured endpoint first: a benchmark of errors is worthless."""
    status, page = http_json(port, "/api/v1/staff?limit=50", token=token)
    if status != 200 or not isinstance(page, dict) or len(page.get("items", [])) != 50:
        raise RuntimeError(f"staff list answered {status}: {str(page)[:300]}")
    status, one = http_json(port, f"/api/v1/staff/{seeded['target_user_id']}", token=token)
    if status != 200 or not isinstance(one, dict) or one.get("id") != seeded["target_user_id"]:
        raise RuntimeError(f"staff read answered {status}: {str(one)[:300]}")
    status, ready = http_json(port, "/health/ready")
    if status != 200:
        raise RuntimeError(f"/health/ready answered {status}: {ready}")


def venue_targets(seeded: dict[str, Any], bearer: str, plan: PlanCursor) -> list[Target]:
    """The venues suite's requests; booking create last, as it writes."""
    venues = seeded["venues"]
    search = urlencode(
        {
            "capacity": 12,
            "from_date": venues["availability_from"],
            "start_time": "10:00",
            "end_time": "11:30",
            "weeks": 6,
        }
    )
    month = urlencode({"from": venues["calendar_from"], "to": venues["calendar_to"]})
    return [
        Target(VENUE_PAGE, "/api/v1/venues?limit=50", authorization=bearer),
        Target(
            VENUE_CALENDAR,
            f"/api/v1/venues/{venues['calendar_venue_id']}/calendar?{month}",
            authorization=bearer,
        ),
        Target(AVAILABILITY, f"/api/v1/availability?{search}", authorization=bearer),
        Target(
            BOOKING_CREATE,
            "/api/v1/bookings",
            "POST",
            authorization=bearer,
            plan=plan,
            expected_status=201,
        ),
    ]


def check_venue_endpoints(port: int, token: str, seeded: dict[str, Any], plan: PlanCursor) -> None:
    """One request to each venues endpoint: the answers the benchmark expects, or stop."""
    targets = {target.name: target for target in venue_targets(seeded, "", plan)}
    status, page = http_json(port, targets[VENUE_PAGE].path, token=token)
    if status != 200 or not isinstance(page, dict) or len(page.get("items", [])) != 50:
        raise RuntimeError(f"venue list answered {status}: {str(page)[:300]}")
    status, month = http_json(port, targets[VENUE_CALENDAR].path, token=token)
    expected = min(seeded["venues"]["calendar_bookings"], 1000)  # a calendar page holds 1,000
    if status != 200 or not isinstance(month, dict) or len(month.get("bookings", [])) != expected:
        raise RuntimeError(
            f"venue calendar answered {status} (expected {expected} bookings): {str(month)[:300]}"
        )
    status, found = http_json(port, targets[AVAILABILITY].path, token=token)
    if status != 200 or not isinstance(found, dict) or not found.get("items"):
        raise RuntimeError(f"availability search answered {status}: {str(found)[:300]}")
    status, booked = http_json(
        port, "/api/v1/bookings", body=json.loads(plan.take_body()), token=token
    )
    if status != 201:
        raise RuntimeError(f"booking create answered {status}: {str(booked)[:300]}")


def group_targets(seeded: dict[str, Any], bearer: str, plan: PlanCursor) -> list[Target]:
    """The groups suite's requests; enrol last, as it writes."""
    groups = seeded["groups"]
    return [
        Target(GROUP_DETAIL, f"/api/v1/groups/{groups['detail_group_id']}", authorization=bearer),
        Target(
            SCHEDULE_PREVIEW,
            f"/api/v1/groups/{groups['preview_group_id']}/schedule/preview",
            "POST",
            authorization=bearer,
        ),
        Target(
            ENROL,
            plan.plan.path(0) if isinstance(plan.plan, EnrolPlan) else "/",
            "POST",
            authorization=bearer,
            plan=plan,
            expected_status=201,
        ),
    ]


def check_group_endpoints(port: int, token: str, seeded: dict[str, Any], plan: PlanCursor) -> None:
    """One request to each groups endpoint: the answers the benchmark expects, or stop."""
    targets = {target.name: target for target in group_targets(seeded, "", plan)}
    status, detail = http_json(port, targets[GROUP_DETAIL].path, token=token)
    if status != 200 or not isinstance(detail, dict) or len(detail.get("sessions", [])) != 8:
        raise RuntimeError(f"group detail answered {status}: {str(detail)[:300]}")
    status, preview = http_json(port, targets[SCHEDULE_PREVIEW].path, body={}, token=token)
    if status != 200 or not isinstance(preview, dict) or len(preview.get("sessions", [])) != 6:
        raise RuntimeError(f"schedule preview answered {status}: {str(preview)[:300]}")
    path, body = plan.take()
    status, enrolled = http_json(port, path or "/", body=json.loads(body), token=token)
    if status != 201:
        raise RuntimeError(f"enrol answered {status}: {str(enrolled)[:300]}")


def clinical_targets(
    bearer: str, register_plan: PlanCursor, measure_plan: PlanCursor
) -> list[Target]:
    """The clinical suite's requests, as the seeded supervisor; the writes last."""
    return [
        Target(SUPERVISION, "/api/v1/supervision?limit=50", authorization=bearer),
        Target(
            REGISTER,
            register_plan.plan.path(0) if isinstance(register_plan.plan, RequestPlan) else "/",
            "PUT",
            authorization=bearer,
            plan=register_plan,
            expected_status=200,
        ),
        Target(
            MEASURE,
            measure_plan.plan.path(0) if isinstance(measure_plan.plan, RequestPlan) else "/",
            "POST",
            authorization=bearer,
            plan=measure_plan,
            expected_status=201,
        ),
    ]


def _planned(port: int, token: str, plan: PlanCursor, method: str) -> tuple[int, Any]:
    """Send the plan's next request once (a check, outside the load generator)."""
    path, body = plan.take()
    return http_json(port, path or "/", body=json.loads(body), token=token, method=method)


def check_clinical_endpoints(
    port: int, token: str, register_plan: PlanCursor, measure_plan: PlanCursor
) -> None:
    """One request to each clinical endpoint: the answers the benchmark expects, or stop."""
    status, page = http_json(port, "/api/v1/supervision?limit=50", token=token)
    if status != 200 or not isinstance(page, dict) or len(page.get("items", [])) != 50:
        raise RuntimeError(f"supervision list answered {status}: {str(page)[:300]}")
    status, register = _planned(port, token, register_plan, "PUT")
    if status != 200 or not isinstance(register, dict) or len(register.get("entries", [])) != 12:
        raise RuntimeError(f"register submit answered {status}: {str(register)[:300]}")
    status, measured = _planned(port, token, measure_plan, "POST")
    if status != 201:
        raise RuntimeError(f"measure set submit answered {status}: {str(measured)[:300]}")


def materials_targets(
    seeded: dict[str, Any], admin_bearer: str, bearer: str, homework_plan: PlanCursor
) -> list[Target]:
    """The materials suite's requests: module reads as the admin, homework as the supervisor."""
    materials = seeded["materials"]
    module = f"/api/v1/module-versions/{materials['module_version_id']}"
    first = homework_plan.plan.path(0) if isinstance(homework_plan.plan, RequestPlan) else "/"
    return [
        Target(MODULE_FETCH, module, authorization=admin_bearer),
        Target(
            MODULE_NOT_MODIFIED,
            module,
            authorization=admin_bearer,
            header=f"If-None-Match: {materials['module_etag']}",
            expected_status=304,
        ),
        Target(
            HOMEWORK,
            first,
            "PUT",
            authorization=bearer,
            plan=homework_plan,
            expected_status=200,
        ),
    ]


def check_materials_endpoints(
    port: int, admin_token: str, token: str, seeded: dict[str, Any], homework_plan: PlanCursor
) -> None:
    """One request to each materials endpoint: the answers the benchmark expects, or stop."""
    materials = seeded["materials"]
    module = f"/api/v1/module-versions/{materials['module_version_id']}"
    status, version = http_json(port, module, token=admin_token)
    if status != 200 or not isinstance(version, dict) or not version.get("body_html"):
        raise RuntimeError(f"module fetch answered {status}: {str(version)[:300]}")
    header = f"If-None-Match: {materials['module_etag']}"
    status, unchanged = http_json(port, module, token=admin_token, header=header)
    if status != 304:
        raise RuntimeError(f"module fetch with If-None-Match answered {status}: {unchanged}")
    status, saved = _planned(port, token, homework_plan, "PUT")
    submission = saved.get("submission") if isinstance(saved, dict) else None
    if status != 200 or not isinstance(submission, dict) or submission.get("status") != "submitted":
        raise RuntimeError(f"homework submission answered {status}: {str(saved)[:300]}")


def checked_targets(
    port: int,
    token: str,
    seeded: dict[str, Any],
    suite: str,
    options: Options,
    credentials: dict[str, str],
    plan_file: Path,
    enrol_plan_file: Path,
    supervisor_token: str | None = None,
    clinical_dir: Path | None = None,
) -> list[Target]:
    """The suite's requests, in the order they are measured, each checked once first."""
    bearer = f"Bearer {token}"
    targets: list[Target] = []
    if suite in ("foundation", "all"):
        check_endpoints(port, token, seeded)
        targets += [
            Target(HEALTH, "/health/ready"),
            Target(STAFF_ONE, f"/api/v1/staff/{seeded['target_user_id']}", authorization=bearer),
            Target(STAFF_PAGE, "/api/v1/staff?limit=50", authorization=bearer),
        ]
    if suite in ("venues", "all"):
        plan = PlanCursor(plan_file, load(plan_file))
        check_venue_endpoints(port, token, seeded, plan)
        targets += venue_targets(seeded, bearer, plan)
    if suite in ("groups", "all"):
        enrol_plan = PlanCursor(enrol_plan_file, load_enrol_plan(enrol_plan_file))
        check_group_endpoints(port, token, seeded, enrol_plan)
        targets += group_targets(seeded, bearer, enrol_plan)
    if supervisor_token is not None and clinical_dir is not None:
        supervisor = f"Bearer {supervisor_token}"
        if suite in ("clinical", "all"):
            register_plan = _request_plan(clinical_dir / "register-plan.txt")
            measure_plan = _request_plan(clinical_dir / "measure-plan.txt")
            check_clinical_endpoints(port, supervisor_token, register_plan, measure_plan)
            targets += clinical_targets(supervisor, register_plan, measure_plan)
        if suite in ("materials", "all"):
            homework_plan = _request_plan(clinical_dir / "homework-plan.txt")
            check_materials_endpoints(port, token, supervisor_token, seeded, homework_plan)
            targets += materials_targets(seeded, bearer, supervisor, homework_plan)
    if suite in ("foundation", "all") and not options.skip_login:
        # Last: every sign-in writes a session, a login attempt and an audit row.
        targets.append(Target(LOGIN, "/api/v1/auth/login", "POST", json.dumps(credentials)))
    return targets


def _seeding(options: Options, suite: str, bookings: int | None) -> str:
    """What a pass seeds, for the progress log."""
    seeding = f"{options.users} staff users"
    if bookings is not None:
        seeding += f", {options.venues} venues, {options.rooms} rooms, {bookings} bookings"
    if suite in ("groups", "clinical", "materials", "all"):
        seeding += f", {options.groups} groups, {options.patients} patients"
    if suite in ("clinical", "materials", "all"):
        seeding += f", clinical groups up to {options.active_enrolments} active enrolments"
    if suite in ("materials", "all"):
        seeding += f", materials and {options.assignments} sleep-diary assignments"
    return seeding


def _supervisor_token(port: int, seeded: dict[str, Any], password: str) -> str | None:
    """Sign in as the clinical seed's supervisor (None when it was not seeded)."""
    if "clinical" not in seeded:
        return None
    credentials = {"email": seeded["clinical"]["supervisor_email"], "password": password}
    status, grant = http_json(port, "/api/v1/auth/login", body=credentials)
    if status != 200:
        raise RuntimeError(f"supervisor login answered {status}: {grant}")
    return str(grant["access_token"])


def _request_plan(path: Path) -> PlanCursor:
    return PlanCursor(path, load_request_plan(path))


def run_pass(
    engine: str,
    options: Options,
    processes: Processes,
    work_dir: Path,
    *,
    suite: str,
    bookings: int | None,
) -> list[dict[str, Any]]:
    """One database: fresh database, seed, bare baseline, then the service's endpoints.

    ``suite`` is foundation, venues or all; ``bookings`` how many to seed for the venues
    endpoints (None when they do not run).
    """
    lines: list[dict[str, Any]] = []
    pass_dir = work_dir / (engine if bookings is None else f"{engine}-{bookings}")
    pass_dir.mkdir()
    plan_file = pass_dir / "booking-plan.txt"
    enrol_plan_file = pass_dir / "enrol-plan.txt"
    with_clinical = suite in ("clinical", "materials", "all")
    with_groups = suite in ("groups", "all") or with_clinical
    if suite == "outbox":
        return outbox_pass(engine, options, pass_dir)
    with bench_database(engine, options, pass_dir) as database_url:
        env = service_environment(database_url, pass_dir / "var")
        if not options.jobs:
            # `stepwise serve` runs the background jobs unless this says otherwise.
            env["STEPWISE_SCHEDULER_ENABLED"] = "false"
        admin_password = secrets.token_urlsafe(18)
        log(f"{engine}: migrating and seeding {_seeding(options, suite, bookings)}")
        seeded = prepare(
            env,
            options,
            admin_password,
            bookings=bookings,
            plan_file=plan_file,
            enrol_plan_file=enrol_plan_file if with_groups else None,
            clinical_dir=pass_dir if with_clinical else None,
            materials=suite in ("materials", "all"),
        )
        log(f"{engine}: seeded {seeded['staff_users']} users in {seeded['seed_seconds']} s")
        if "venues" in seeded:
            log(f"{engine}: seeded venues: {json.dumps(seeded['venues'])}")
        for part in ("groups", "clinical", "materials"):
            if part in seeded:
                log(f"{engine}: seeded {part}: {json.dumps(seeded[part])}")

        port = free_port()
        bare_log = pass_dir / "bare.log"
        with serving(
            processes, bare_command(port), env, port=port, ready_path="/", log_path=bare_log
        ) as bare:
            lines.append(measure_quietly(processes, Target(BARE, "/"), bare, engine, options))

        port = free_port()
        service_log = pass_dir / "service.log"
        with serving(
            processes,
            service_command(options, port),
            env,
            port=port,
            ready_path="/health/live",
            log_path=service_log,
        ) as service:
            credentials = {"email": seeded["admin_email"], "password": admin_password}
            status, grant = http_json(port, "/api/v1/auth/login", body=credentials)
            if status != 200:
                raise RuntimeError(f"login answered {status}: {grant}")
            supervisor_token = _supervisor_token(port, seeded, admin_password)
            targets = checked_targets(
                port,
                grant["access_token"],
                seeded,
                suite,
                options,
                credentials,
                plan_file,
                enrol_plan_file,
                supervisor_token,
                pass_dir if with_clinical else None,
            )
            lines += [
                measure_quietly(processes, target, service, engine, options) for target in targets
            ]
        for summary in summarise_log(service_log):
            log(f"{engine}: the service logged {summary}")
        if options.keep_logs is not None:
            options.keep_logs.mkdir(parents=True, exist_ok=True)
            stem = engine if bookings is None else f"{engine}-{bookings}"
            for kept in (bare_log, service_log):
                shutil.copyfile(kept, options.keep_logs / f"{stem}-{kept.name}")
    annotate(lines, seeded)
    return lines


def outbox_pass(engine: str, options: Options, pass_dir: Path) -> list[dict[str, Any]]:
    """The outbox suite: fresh database, migrate, then ``bench/measure_outbox.py``.

    No server runs: the reminders and dispatch services are called in that process.
    """
    with bench_database(engine, options, pass_dir) as database_url:
        env = service_environment(database_url, pass_dir / "var")
        log(f"{engine}: migrating, then the outbox: {options.outbox_sessions} sessions of 12")
        _run_step([str(BIN / "stepwise"), "migrate"], env)
        wait_for_quiet(options.quiet_wait, options.quiet_cores)
        done = subprocess.run(
            [
                sys.executable,
                str(BENCH / "measure_outbox.py"),
                "--sessions",
                str(options.outbox_sessions),
                "--dispatch",
                str(options.outbox_dispatch),
            ],
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        )
        for progress in done.stderr.strip().splitlines():
            log(progress)
        if done.returncode != 0:
            raise RuntimeError(f"measure_outbox.py failed:\n{done.stdout}{done.stderr}")
        lines = [json.loads(raw) for raw in done.stdout.splitlines() if raw.startswith("{")]
    for line in lines:
        line.setdefault("errors", 0)
    return lines


def annotate(lines: list[dict[str, Any]], seeded: dict[str, Any]) -> None:
    """Add each line's ratio to bare and the data sizes it was measured at."""
    bare_rps = lines[0]["rps"]
    for line in lines:
        line["ratio_to_bare"] = round(line["rps"] / bare_rps, 4) if bare_rps else None
        line["users"] = seeded["staff_users"]
        if "venues" in seeded:
            line["bookings"] = seeded["venues"]["bookings"]
            if line["endpoint"] == VENUE_CALENDAR:
                line["calendar_bookings"] = seeded["venues"]["calendar_bookings"]
        if "groups" in seeded and line["endpoint"] in GROUP_ENDPOINTS:
            line["groups"] = seeded["groups"]["groups"]
            line["patients"] = seeded["groups"]["patients"]
        if "clinical" in seeded and line["endpoint"] in (*CLINICAL_ENDPOINTS, HOMEWORK):
            clinical = seeded["clinical"]
            line["active_enrolments"] = clinical["active_enrolments"]
            line["clinical_sessions"] = clinical["clinical_sessions"]
            if line["endpoint"] == SUPERVISION:
                line["never_discussed"] = clinical["never_discussed"]


def compare_sizes(lines: list[dict[str, Any]], compared: list[dict[str, Any]]) -> None:
    """Add to each venues line of the main run its throughput over the comparison run's."""
    smaller = {line["endpoint"]: line for line in compared}
    for line in lines:
        other = smaller.get(line["endpoint"])
        if line["endpoint"] not in VENUE_ENDPOINTS or other is None:
            continue
        line["compared_bookings"] = other["bookings"]
        line["compared_rps"] = other["rps"]
        line["rps_ratio_to_compared"] = (
            round(line["rps"] / other["rps"], 4) if other["rps"] else None
        )
        line["compared_ratio_to_bare"] = other["ratio_to_bare"]


# -- verdicts ------------------------------------------------------------------------


def _caveats(lines: list[dict[str, Any]]) -> str:
    """Why the figure made of these lines may not be a fair one."""
    caveat = " [python generator: ceiling only]" if lines[0]["generator"] == "python" else ""
    for line in lines:
        for whose, other in noise(line):
            caveat += (
                f" [noisy: other processes took {other:.0f}% of the {whose} core"
                f" during {line['endpoint']}]"
            )
    return caveat


def verdicts(lines: list[dict[str, Any]], main_bookings: int | None = None) -> list[str]:
    """One line per aim and database measured: met or not met, with the figure.

    Lines of a comparison run (``bookings`` other than ``main_bookings``) get no verdict
    of their own; they are the denominator of the scaling aims.
    """
    found = {
        (line["endpoint"], line["db"]): line
        for line in lines
        if line.get("bookings") in (None, main_bookings)
    }
    said: list[str] = []
    for endpoint, only_engine, metric, threshold in AIMS:
        for engine in ("sqlite", "postgres"):
            line = found.get((endpoint, engine))
            if line is None or (only_engine is not None and engine != only_engine):
                continue
            used = [line]
            if metric == "ratio":
                value = line["ratio_to_bare"] or 0.0
                met = value >= threshold
                aim, figure = f"ratio_to_bare >= {threshold:.2f}", f"{value:.3f}"
                used.append(found[(BARE, engine)])  # a ratio is as fair as its baseline
            else:
                value = line["p99_ms"]
                met = value < threshold
                aim, figure = f"p99 < {threshold:.0f} ms", f"{value:.1f} ms"
            if line["errors"]:
                met, figure = False, f"{figure}, {line['errors']} errors"
            share = line.get("non_201_share")
            if share:
                figure += f", {share:.1%} not 201"
            said.append(
                f"aim {endpoint} {aim} on {engine} at {_where(line)}: "
                f"{'met' if met else 'NOT MET'} ({figure}){_caveats(used)}"
            )
    said += _scaling_verdicts(lines, found)
    return said


def _where(line: dict[str, Any]) -> str:
    where = f"{line['connections']} connections"
    if line["endpoint"] in VENUE_ENDPOINTS:
        where += f", {line['bookings']} bookings"
    return where


def _scaling_verdicts(
    lines: list[dict[str, Any]], found: dict[tuple[str, str], dict[str, Any]]
) -> list[str]:
    """The throughput at the main size within 20% of the comparison's, per endpoint."""
    said = []
    for endpoint in VENUE_ENDPOINTS:
        for engine in ("sqlite", "postgres"):
            line = found.get((endpoint, engine))
            if line is None or line.get("rps_ratio_to_compared") is None:
                continue
            compared = next(
                other
                for other in lines
                if (other["endpoint"], other["db"]) == (endpoint, engine)
                and other.get("bookings") == line["compared_bookings"]
            )
            value = line["rps_ratio_to_compared"]
            met = value >= SCALING_AIM and not line["errors"] and not compared["errors"]
            figure = f"{value:.3f}: {line['rps']:.0f} / {line['compared_rps']:.0f} rps"
            said.append(
                f"aim {endpoint} rps at {line['bookings']} bookings >= {SCALING_AIM:.2f} x rps "
                f"at {line['compared_bookings']} on {engine}: "
                f"{'met' if met else 'NOT MET'} ({figure}){_caveats([line, compared])}"
            )
    return said


# -- main ----------------------------------------------------------------------------


def parse_options(argv: list[str] | None) -> Options:
    """Read and check the command line."""
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--db", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--users", type=int, default=10_000, help="staff users to seed")
    parser.add_argument("--duration", type=int, default=10, help="seconds per timed run")
    parser.add_argument("--warmup", type=int, default=2, help="seconds of warm-up per endpoint")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument(
        "--generator",
        choices=("auto", "wrk", "python"),
        default="auto",
        help="auto: wrk when installed, else the Python generator",
    )
    parser.add_argument(
        "--server",
        choices=("stepwise", "uvicorn"),
        default="stepwise",
        help="serve the service with `stepwise serve` or uvicorn's CLI (--factory)",
    )
    parser.add_argument("--pg-admin-url", default=DEFAULT_PG_ADMIN_URL)
    parser.add_argument(
        "--max-requests", type=int, default=1_000_000, help="Python generator's count bound"
    )
    parser.add_argument("--skip-login", action="store_true", help="do not measure login")
    parser.add_argument(
        "--quiet-wait",
        type=float,
        default=300,
        help="before each endpoint, wait up to this many seconds for other work on the "
        "machine to stop (0: do not wait)",
    )
    parser.add_argument(
        "--noisy-retries",
        type=int,
        default=2,
        help="measure an endpoint again, up to this many times, when other work disturbed it",
    )
    parser.add_argument(
        "--keep-logs", type=Path, default=None, help="copy the servers' logs to this directory"
    )
    parser.add_argument(
        "--quiet-cores",
        type=float,
        default=0.15,
        help="'quiet' means other processes use less than this many cores",
    )
    parser.add_argument(
        "--suite",
        choices=SUITES,
        default="all",
        help="foundation: health, staff and login; venues: venue list, calendar, availability "
        "search and booking create; groups: group detail, schedule preview and enrol (seeds "
        "venues too); clinical: supervision list, register and measure set submit (seeds "
        "groups too); materials: module fetch (200, 304) and homework submission (seeds "
        "clinical too); all: every one of those; outbox: reminders queued and dispatched "
        "per second (bench/measure_outbox.py, no server; not part of all)",
    )
    parser.add_argument(
        "--jobs",
        choices=("on", "off"),
        default="off",
        help="off (the default, so the figures are the endpoints' own): "
        "STEPWISE_SCHEDULER_ENABLED=false; on: the served service runs its background jobs "
        "over the seeded data meanwhile, as `stepwise serve` does in production",
    )
    parser.add_argument(
        "--active-enrolments",
        type=int,
        default=10_000,
        help="clinical suite: add full groups until this many enrolments are active",
    )
    parser.add_argument(
        "--assignments", type=int, default=20_000, help="materials suite: sleep diaries to hand out"
    )
    parser.add_argument(
        "--outbox-sessions", type=int, default=10_000, help="outbox suite: upcoming sessions"
    )
    parser.add_argument(
        "--outbox-dispatch",
        type=int,
        default=20_000,
        help="outbox suite: stop dispatching after this many messages",
    )
    parser.add_argument("--groups", type=int, default=2000, help="groups to seed (groups suite)")
    parser.add_argument(
        "--patients", type=int, default=50_000, help="patients to seed (groups suite)"
    )
    parser.add_argument("--venues", type=int, default=500, help="venues to seed (venues suite)")
    parser.add_argument("--rooms", type=int, default=2000, help="rooms to seed (venues suite)")
    parser.add_argument(
        "--bookings", type=int, default=200_000, help="bookings to seed (venues suite)"
    )
    parser.add_argument(
        "--compare-bookings",
        type=int,
        default=None,
        metavar="N",
        help="also run the venues suite on a database of N bookings (e.g. 20000), first, and "
        "report each endpoint's throughput at --bookings over its throughput at N",
    )
    args = parser.parse_args(argv)
    if args.venues < 60 or args.rooms < args.venues or args.bookings < 0:
        parser.error(
            "need --venues >= 60 (a full page of 50), --rooms >= --venues, --bookings >= 0"
        )
    if args.compare_bookings is not None and (
        args.suite in ("foundation", "outbox") or args.compare_bookings < 0
    ):
        parser.error("--compare-bookings needs the venues suite and a count >= 0")
    if args.users < 50:
        parser.error("--users must be at least 50 (the page of 50 must be full)")
    if min(args.duration, args.connections) < 1 or args.warmup < 0:
        parser.error("--duration and --connections must be positive, --warmup not negative")
    generator = args.generator
    if generator == "auto":
        generator = "wrk" if shutil.which("wrk") else "python"
    elif generator == "wrk" and not shutil.which("wrk"):
        parser.error("wrk is not installed (apt-get install wrk), use --generator python")
    loopback_only(args.pg_admin_url)
    return Options(
        engines=("sqlite", "postgres") if args.db == "both" else (args.db,),
        users=args.users,
        duration=args.duration,
        warmup=args.warmup,
        connections=args.connections,
        generator=generator,
        server=args.server,
        pg_admin_url=args.pg_admin_url,
        max_requests=args.max_requests,
        skip_login=args.skip_login,
        quiet_wait=args.quiet_wait,
        quiet_cores=args.quiet_cores,
        keep_logs=args.keep_logs.resolve() if args.keep_logs else None,
        noisy_retries=max(args.noisy_retries, 0),
        suite=args.suite,
        venues=args.venues,
        rooms=args.rooms,
        bookings=args.bookings,
        compare_bookings=args.compare_bookings,
        groups=args.groups,
        patients=args.patients,
        active_enrolments=args.active_enrolments,
        assignments=args.assignments,
        outbox_sessions=args.outbox_sessions,
        outbox_dispatch=args.outbox_dispatch,
        jobs=args.jobs == "on",
    )


def _raise_stop(signum: int, _: FrameType | None) -> None:
    raise Stop(signal.Signals(signum).name)


def run_engine(
    engine: str, options: Options, processes: Processes, work_dir: Path, bookings: int | None
) -> list[dict[str, Any]]:
    """The comparison pass if asked for (venues suite only), then the main pass.

    Prints each pass's lines as soon as it is done; answers them all.
    """
    compared: list[dict[str, Any]] = []
    if options.compare_bookings is not None:
        compared = run_pass(
            engine, options, processes, work_dir, suite="venues", bookings=options.compare_bookings
        )
        for line in compared:
            print(json.dumps(line), flush=True)
    measured = run_pass(
        engine, options, processes, work_dir, suite=options.suite, bookings=bookings
    )
    compare_sizes(measured, compared)
    for line in measured:
        print(json.dumps(line), flush=True)
    return compared + measured


def main(argv: list[str] | None = None) -> int:
    """Run every pass, print the JSON lines and the verdicts; stop everything at the end."""
    options = parse_options(argv)
    for name in ("uvloop", "httptools"):
        if not _importable(name):
            log(f"warning: {name} is not installed; both servers fall back to uvicorn's default")
    # Ctrl-C even when started from a script that ignores SIGINT for background jobs.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _raise_stop)
    processes = Processes(taskset=shutil.which("taskset"))
    if processes.taskset is None:
        log("taskset not found: server and generator are not pinned to separate cores")
    log(f"generator: {options.generator}; server: {options.server}")
    lines: list[dict[str, Any]] = []
    work_dir = Path(tempfile.mkdtemp(prefix="stepwise-bench-"))
    bookings = None if options.suite in ("foundation", "outbox") else options.bookings
    try:
        for engine in options.engines:
            lines += run_engine(engine, options, processes, work_dir, bookings)
    except (KeyboardInterrupt, Stop):
        log("interrupted: servers stopped, bench database dropped; removing the temp directory")
        return 130
    except RuntimeError as error:
        log(f"failed: {error}")
        return 2
    finally:
        processes.stop_all()
        shutil.rmtree(work_dir, ignore_errors=True)
    for verdict in verdicts(lines, bookings):
        print(verdict, file=sys.stderr, flush=True)
    return 1 if any(line.get("errors") for line in lines) else 0


def _importable(module: str) -> bool:
    try:
        __import__(module)
    except ImportError:
        return False
    return True


if __name__ == "__main__":
    raise SystemExit(main())
