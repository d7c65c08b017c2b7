"""The one place the service reads the time; services take ``now`` as an argument."""

from datetime import UTC, datetime


def now() -> datetime:
    """The current instant, in UTC."""
    return datetime.now(UTC)
