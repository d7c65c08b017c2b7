"""Seed a benchmark database: one admin made the normal way, then N staff rows in bulk.

Run by ``bench/run.py`` in a subprocess whose environment already names the bench
database (``STEPWISE_DATABASE_URL``) and production settings, after ``stepwise migrate``:
``api`` reads its settings at import and caches them, so they must be set before it loads.

The admin is created through :func:`api.identity.accounts.create_staff_user`, with its
password hashed at production cost. The other rows are inserted directly, in batches,
all sharing ONE precomputed argon2 hash: hashing 10,000 passwords at production cost
would take many minutes and measure nothing the benchmark cares about.

Prints one JSON object on stdout: the admin's email and id, and the id of the plain
staff user whose record the single-object read fetches.
"""

import argparse
import asyncio
import json
import os
import sys
import time
from typing import Any

import api  # noqa: F401 - sets PICCOLO_CONF before Piccolo looks for it
from api.core import clock
from api.core.actor import Actor, Role
from api.core.database import close_pool, write_transaction
from api.identity.accounts import create_staff_user
from api.identity.hashing import hash_password
from api.identity.schemas import StaffUserCreate
from api.identity.tables import StaffUser

ADMIN_EMAIL = "admin@bench.example"
PASSWORD_ENV = "BENCH_ADMIN_PASSWORD"  # noqa: S105 - the variable that carries it, not argv
BATCH_SIZE = 500  # 10 columns a row: 5,000 parameters, well under both engines' limits
_ROLE_MIX = (
    [Role.FACILITATOR.value],
    [Role.SUPERVISOR.value],
    [Role.FACILITATOR.value, Role.SUPERVISOR.value],
)


def _rows(count: int, password_hash: str) -> list[StaffUser]:
    now = clock.now()
    return [
        StaffUser(
            email=f"staff{number:06d}@bench.example",
            full_name=f"Bench Staff {number:06d}",
            roles=_ROLE_MIX[number % len(_ROLE_MIX)],
            password_hash=password_hash,
            must_change_password=False,
            is_active=True,
            created_at=now,
            updated_at=now,
        )
        for number in range(count)
    ]


async def seed(users: int, admin_password: str) -> dict[str, Any]:
    """Create the admin and ``users`` plain staff rows.

    Args:
        users: how many plain staff users to insert (the admin comes on top).
        admin_password: the admin's password, also the password of every seeded row.

    Returns:
        What the harness needs: the admin's email and id, and one plain user's id.
    """
    started = time.perf_counter()
    try:
        admin, _ = await create_staff_user(
            StaffUserCreate(email=ADMIN_EMAIL, full_name="Bench Admin", roles=[Role.ADMIN]),
            by=Actor.system(),
            now=clock.now(),
            password=admin_password,
        )
        shared_hash = await hash_password(admin_password)  # once, for every seeded row
        rows = _rows(users, shared_hash)
        for start in range(0, len(rows), BATCH_SIZE):
            async with write_transaction():
                await StaffUser.insert(*rows[start : start + BATCH_SIZE])
        total = await StaffUser.count()
        target = rows[len(rows) // 2].id if rows else admin.id
    finally:
        await close_pool()
    return {
        "admin_email": ADMIN_EMAIL,
        "admin_id": str(admin.id),
        "target_user_id": str(target),
        "staff_users": total,
        "seed_seconds": round(time.perf_counter() - started, 2),
    }


def main() -> int:
    """Seed, then print the result as one JSON line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=10_000, help="plain staff rows to insert")
    args = parser.parse_args()
    if args.users < 0:
        parser.error("--users must be 0 or more")
    admin_password = os.environ.get(PASSWORD_ENV)
    if not admin_password:
        parser.error(f"set {PASSWORD_ENV} to the admin's password")
    result = asyncio.run(seed(args.users, admin_password))
    print(json.dumps(result))
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
