"""A feed fetched by its secret URL, in three queries whatever its size.

The token's hash finds the feed, the owner's loader finds the events, the pure builder
writes the calendar.

An unknown, malformed or revoked token, and an owner who no longer qualifies (a
deactivated facilitator, a venue gone), all answer the same 404: a caller learns nothing
about which. The token itself is never logged or kept.
"""

import asyncio
import hashlib
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from uuid import UUID
from zoneinfo import ZoneInfo

from api.core.database import read_transaction
from api.core.errors import NotFound
from scheduling.booking_queries import service_zone
from scheduling.feeds.common import feed_window
from scheduling.feeds.facilitator import facilitator_events
from scheduling.feeds.ical import FeedEvent, build_calendar
from scheduling.feeds.patient import patient_events
from scheduling.feeds.tokens import hash_token, token_from_filename
from scheduling.feeds.venue import venue_events
from scheduling.schemas.feeds import FeedOwnerKind
from scheduling.tables import CalendarFeed

NO_FEED = "No calendar feed at this address."
# icalendar writes about 3,000 events a second: a feed that large is written off the event
# loop, and the last few hundred documents are kept, so a calendar app polling an
# unchanged feed costs the three queries and no writing.
THREAD_FROM_EVENTS = 200
RENDERED_KEPT = 256

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
    # Whole years, so the cache key does not change each day the window moves.
    years = (window.first_day.year, window.last_day.year)
    if len(events) < THREAD_FROM_EVENTS:
        return _render(name, tuple(events), service_zone(), years)
    return await asyncio.to_thread(_render, name, tuple(events), service_zone(), years)


@lru_cache(maxsize=RENDERED_KEPT)
def _render(
    name: str, events: tuple[FeedEvent, ...], zone: ZoneInfo, years: tuple[int, int]
) -> FeedDocument:
    # Keyed by the events themselves (compared whole, not by a hash), so two feeds share a
    # document only when they would show exactly the same thing.
    first_day, last_day = date(years[0], 1, 1), date(years[1], 12, 31)
    body = build_calendar(name, events, zone=zone, first_day=first_day, last_day=last_day)
    return FeedDocument(body=body, etag=f'"{hashlib.sha256(body).hexdigest()[:32]}"')
