"""What the three feeds share: the window of dates they show, and how they name places.

A feed shows events from ``PAST_DAYS`` ago to ``AHEAD_DAYS`` ahead, so its cost follows
the service's pace, not its history.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from uuid import UUID

PAST_DAYS = 60
AHEAD_DAYS = 400
UID_DOMAIN = "stepwise"


@dataclass(frozen=True, slots=True)
class Window:
    """The instants a feed's events overlap, and the local dates they bound."""

    start: datetime
    end: datetime

    @property
    def first_day(self) -> date:
        """The window's first date."""
        return self.start.date()

    @property
    def last_day(self) -> date:
        """The window's last date."""
        return self.end.date()


def feed_window(now: datetime) -> Window:
    """From ``PAST_DAYS`` before ``now`` to ``AHEAD_DAYS`` after it."""
    return Window(start=now - timedelta(days=PAST_DAYS), end=now + timedelta(days=AHEAD_DAYS))


def session_uid(session_id: UUID) -> str:
    """A session's UID, the same in every feed and on every fetch."""
    return f"session-{session_id}@{UID_DOMAIN}"


def booking_uid(booking_id: UUID) -> str:
    """A room booking's UID, the same on every fetch."""
    return f"booking-{booking_id}@{UID_DOMAIN}"


ADDRESS_FIELDS = ("name", "address_line_1", "address_line_2", "town", "postcode")


def address(row: dict[str, Any], prefix: str) -> str:
    """``Name, line 1, line 2, town, postcode`` from the ``prefix``-ed columns, blanks left out."""
    parts = (str(row.get(f"{prefix}{name}") or "").strip() for name in ADDRESS_FIELDS)
    return ", ".join(part for part in parts if part)
