"""Exponential backoff between delivery attempts."""

from datetime import timedelta


def retry_delay(attempts: int, *, base_seconds: int, max_seconds: int) -> timedelta:
    """The wait after the ``attempts``-th failed attempt: base, 2x, 4x... capped."""
    exponent = max(attempts - 1, 0)
    seconds = base_seconds * 2 ** min(exponent, 30)
    return timedelta(seconds=min(seconds, max_seconds))


def gives_up(attempts: int, *, max_attempts: int) -> bool:
    """Whether ``attempts`` attempts are all a message gets."""
    return attempts >= max_attempts
