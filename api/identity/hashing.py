"""Argon2id password hashing with the cost from settings, run off the event loop."""

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from typing import TypeVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from api.core.settings import SecuritySettings, get_settings

# Verified against when the account does not exist, so a wrong email costs as long as a
# wrong password and response times do not reveal which accounts exist.
T = TypeVar("T")
_DUMMY_PASSWORD = "not-a-real-password-but-costs-the-same"  # noqa: S105 - never an account's


# Hashing gets threads of its own: in the loop's default pool a burst of logins would
# queue every other request's thread work behind 0.1 s hashes.
_HASHING_THREADS = ThreadPoolExecutor(max_workers=2, thread_name_prefix="argon2")


async def _in_hashing_thread(work: Callable[[], T]) -> T:
    return await asyncio.get_running_loop().run_in_executor(_HASHING_THREADS, work)


@cache
def _hasher_for(time_cost: int, memory_kib: int, parallelism: int) -> PasswordHasher:
    return PasswordHasher(time_cost=time_cost, memory_cost=memory_kib, parallelism=parallelism)


def hasher(settings: SecuritySettings | None = None) -> PasswordHasher:
    """The configured argon2id hasher."""
    s = settings or get_settings().security
    return _hasher_for(s.argon2_time_cost, s.argon2_memory_kib, s.argon2_parallelism)


@cache
def _dummy_hash() -> str:
    return hasher().hash(_DUMMY_PASSWORD)


async def hash_password(password: str) -> str:
    """Hash a new password (about 0.1 s at production cost, so in a worker thread)."""
    chosen = hasher()
    return await _in_hashing_thread(lambda: chosen.hash(password))


async def verify_password(password_hash: str | None, password: str) -> bool:
    """Check a password; with no stored hash, spend the same time and answer no."""

    def _verify() -> bool:
        try:
            return hasher().verify(password_hash or _dummy_hash(), password) and (
                password_hash is not None
            )
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    return await _in_hashing_thread(_verify)
