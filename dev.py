#!/usr/bin/env python3
"""The two quick-start commands: ``python3 dev.py demo`` and ``python3 dev.py test``.

Needs only Python 3.11+ (standard library). Makes ``.venv`` and installs the project
into it the first time, and again whenever ``pyproject.toml`` changes.

    demo   migrate an SQLite database under ./var, load demo data, print the demo
           logins and serve the API on http://127.0.0.1:8000
    test   run the whole suite: once on SQLite, once on PostgreSQL
           (STEPWISE_TEST_POSTGRES_URL, default postgresql://postgres@127.0.0.1:5432/test;
           that pass skips with the reason when no server answers). Extra arguments go
           to pytest, e.g. ``python3 dev.py test tests/unit -x``.
"""

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
REPORTS = ROOT / "var" / "test-reports"
ENGINES = ("sqlite", "postgres")


def _wanted_stamp() -> str:
    return hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()


def ensure_environment(extras: str) -> None:
    """Create the virtualenv and install the project (with ``extras``, e.g. ``test,dev``)."""
    if sys.version_info < (3, 11):  # noqa: UP036 - dev.py may be run by any python3
        sys.exit(f"Stepwise needs Python 3.11 or newer; this is {sys.version.split()[0]}.")
    if not (BIN / "python").exists():
        print("Creating .venv ...", flush=True)
        venv.EnvBuilder(with_pip=True, clear=True).create(VENV)
    stamp = VENV / f".stepwise-installed-{extras.replace(',', '-') or 'base'}"
    if stamp.exists() and stamp.read_text() == _wanted_stamp():
        return
    print("Installing Stepwise and its dependencies into .venv ...", flush=True)
    pip = [str(BIN / "python"), "-m", "pip", "--disable-pip-version-check", "-q"]
    subprocess.run([*pip, "install", "--upgrade", "pip"], check=True)
    target = f"{ROOT}[{extras}]" if extras else str(ROOT)
    subprocess.run([*pip, "install", "-e", target], check=True, cwd=ROOT)
    stamp.write_text(_wanted_stamp())


def demo() -> int:
    """Migrate, load demo data and serve."""
    os.chdir(ROOT)
    os.execv(str(BIN / "stepwise"), [str(BIN / "stepwise"), "demo"])  # noqa: S606
    return 0  # not reached


def test(pytest_args: list[str]) -> int:
    """One pytest pass per database engine; fails if either fails."""
    REPORTS.mkdir(parents=True, exist_ok=True)
    failed = []
    for engine in ENGINES:
        print(f"\n=== test pass on {engine} ===", flush=True)
        env = {**os.environ, "STEPWISE_TEST_ENGINE": engine}
        command = [
            str(BIN / "python"),
            "-m",
            "pytest",
            f"--junitxml={REPORTS / f'{engine}.xml'}",
            *pytest_args,
        ]
        if subprocess.run(command, cwd=ROOT, env=env, check=False).returncode != 0:
            failed.append(engine)
    if failed:
        print(f"\nFAILED on: {', '.join(failed)}")
        return 1
    print("\nBoth passes succeeded (SQLite and PostgreSQL).")
    return 0


def main() -> int:
    """Dispatch ``demo`` or ``test``."""
    command, *rest = sys.argv[1:] or ["help"]
    if command not in {"demo", "test"}:
        print(__doc__)
        return 2
    if command == "demo":
        ensure_environment("")  # the service alone: a first start need not wait for test tools
        return demo()
    ensure_environment("test,dev")
    return test(rest)


if __name__ == "__main__":
    sys.exit(main())
