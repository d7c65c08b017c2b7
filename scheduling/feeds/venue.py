"""A venue's feed: the bookings of its rooms (room and purpose), for venue staff and admins."""

from datetime import datetime
from typing import Any
from uuid import UUID

from scheduling.feeds.common import Window, address, booking_uid
from scheduling.feeds.ical import FeedEvent
from scheduling.tables import RoomBooking, Venue

CANCELLED = "cancelled"
PROVISIONAL = "provisional"
_VENUE_COLUMNS = (
    Venue.name,
    Venue.address_line_1,
    Venue.address_line_2,
    Venue.town,
    Venue.postcode,
)


def _event(row: dict[str, Any], place: str) -> FeedEvent:
    return FeedEvent(
        uid=booking_uid(row["id"]),
        starts_at=row["starts_at"],
        ends_at=row["ends_at"],
        summary=f"{row['room']}: {row['purpose']}",
        sequence=row["version"] - 1,
        last_modified=row["updated_at"],
        cancelled=row["status"] == CANCELLED,
        tentative=row["status"] == PROVISIONAL,
        location=place,
        description=f"Room: {row['room']}\nPurpose: {row['purpose']}",
    )


async def venue_events(
    venue_id: UUID, window: Window, *, now: datetime
) -> tuple[str, list[FeedEvent]] | None:
    """The calendar's name and events; None when there is no such venue."""
    venue = await Venue.select(*_VENUE_COLUMNS).where(Venue.id == venue_id).first()
    if venue is None:
        return None
    rows = (
        await RoomBooking.select(
            RoomBooking.id,
            RoomBooking.starts_at,
            RoomBooking.ends_at,
            RoomBooking.purpose,
            RoomBooking.status,
            RoomBooking.version,
            RoomBooking.updated_at,
            RoomBooking.room.name.as_alias("room"),
        )
        .where(
            RoomBooking.room.venue == venue_id,
            RoomBooking.starts_at < window.end,
            RoomBooking.ends_at > window.start,
        )
        .order_by(RoomBooking.starts_at, RoomBooking.id)
    )
    place = address(venue, "")
    return f"Stepwise: {venue['name']}", [_event(row, place) for row in rows]
