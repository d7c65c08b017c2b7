"""What the session services share: who may do what, and a session as the API shows it."""

from datetime import UTC, datetime
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from api.core.actor import Actor, Role
from api.core.errors import Forbidden
from groups.schemas.sessions import SessionRead
from groups.tables import GroupSession

SCHEDULED = "scheduled"
CANCELLED = "cancelled"
SESSION_ENTITY = "group_session"
GROUP_ENTITY = "group"
SESSION_COLUMNS = (
    GroupSession.id,
    GroupSession.group.as_alias("group_id"),
    GroupSession.number,
    GroupSession.title,
    GroupSession.status,
    GroupSession.cancel_reason,
    GroupSession.cancelled_at,
    GroupSession.starts_at,
    GroupSession.ends_at,
    GroupSession.booking.as_alias("booking_id"),
    GroupSession.group.room.as_alias("room_id"),
    GroupSession.group.venue.as_alias("venue_id"),
    GroupSession.sequence,
    GroupSession.version,
    GroupSession.created_at,
    GroupSession.updated_at,
)


def require_admin(by: Actor) -> None:
    """Only admins (or the system) change the calendar."""
    if by.user_id is not None and not by.has_any(Role.ADMIN):
        raise Forbidden("Only admins change the session calendar.")


def require_staff_reader(by: Actor) -> None:
    """Any staff role may ask; group access then decides which groups."""
    if by.user_id is not None and not by.has_any(Role.ADMIN, Role.FACILITATOR, Role.SUPERVISOR):
        raise Forbidden("Your role does not allow this.")


def utc(value: datetime) -> datetime:
    """An aware instant in UTC."""
    return value.astimezone(UTC)


def session_read(row: dict[str, Any], zone: ZoneInfo) -> SessionRead:
    """A selected session row (SESSION_COLUMNS) as the API shows it."""
    start, end = row["starts_at"].astimezone(zone), row["ends_at"].astimezone(zone)
    return SessionRead.model_validate(
        {
            **row,
            "starts_at": utc(row["starts_at"]),
            "ends_at": utc(row["ends_at"]),
            "local_date": start.date(),
            "local_start": start.time().replace(tzinfo=None),
            "local_end": end.time().replace(tzinfo=None),
            "time_zone": zone.key,
        }
    )


async def session_rows(*conditions: Any, limit: int | None = None) -> list[dict[str, Any]]:
    """Sessions matching the conditions, with their group's room and venue, by number."""
    query = GroupSession.select(*SESSION_COLUMNS).where(*conditions).order_by(GroupSession.number)
    if limit is not None:
        query = query.limit(limit)
    rows: list[dict[str, Any]] = await query
    return rows


def as_uuid(value: Any) -> UUID:
    """A UUID from a row value (SQLite may give text)."""
    return value if isinstance(value, UUID) else UUID(str(value))
