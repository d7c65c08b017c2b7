"""A feed fetched by its secret URL, in three queries whatever its size.

The token's hash finds the feed, the owner's loader finds the events, the pure builder
writes the calendar.

An unknown, malformed or revoked token, and an owner who no longer qualifies (a
deactivated facilitator, a venue gone), all answer the same 404: a caller learns nothing
about which. The token itself is never logged or kept.
"""

import hashlib
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from api.core.database import read_transaction
from api.core.errors import NotFound
from scheduling.booking_queries import service_zone
from scheduling.feeds.common import feed_window
from scheduling.feeds.facilitator import facilitator_events
from scheduling.feeds.ical import build_calendar
from scheduling.feeds.patient import patient_events
from scheduling.feeds.tokens import hash_token, token_from_filename
from scheduling.feeds.venue import venue_events
from scheduling.schemas.feeds import FeedOwnerKind
from scheduling.tables import CalendarFeed

NO_FEED = "No calendar feed at this address."

_LOADERS = {
    FeedOwnerKind.FACILITATOR: facilitator_events,
    FeedOwnerKind.VENUE: venue_events,
    FeedOwnerKind.PATIENT: patient_events,
}


@dataclass(frozen=True, slots=True)
class FeedDocument:
    """The calendar's bytes and their strong ETag."""

    body: bytes
    etag: str


async def feed_document(filename: str, *, now: datetime) -> FeedDocument:
    """The calendar at ``/feeds/{filename}``, or 404."""
    token = token_from_filename(filename)
    if token is None:
        raise NotFound(NO_FEED)
    window = feed_window(now)
    async with read_transaction():  # the feed and its events from one snapshot
        feed = (
            await CalendarFeed.select(CalendarFeed.owner_kind, CalendarFeed.owner_id)
            .where(CalendarFeed.token_hash == hash_token(token), CalendarFeed.revoked_at.is_null())
            .first()
        )
        if feed is None:
            raise NotFound(NO_FEED)
        loader = _LOADERS[FeedOwnerKind(feed["owner_kind"])]
        loaded = await loader(UUID(feed["owner_id"]), window, now=now)
    if loaded is None:
        raise NotFound(NO_FEED)
    name, events = loaded
    body = build_calendar(
        name, events, zone=service_zone(), first_day=window.first_day, last_day=window.last_day
    )
    return FeedDocument(body=body, etag=f'"{hashlib.sha256(body).hexdigest()[:32]}"')
