"""Pure: feed events in, an RFC 5545 calendar out (the ``icalendar`` package writes it).

Times are written in the service's zone (``DTSTART;TZID=Europe/London:...``) with the
zone's VTIMEZONE, so an 18:00 session reads 18:00 on both sides of a clock change.
Nothing here reads the clock: ``DTSTAMP`` is the row's last change, so the same rows give
the same bytes (and the same ETag) on every fetch.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event, Timezone

PRODID = "-//Stepwise//Calendar feeds//EN"
# How often a subscribing client is asked to fetch again (RFC 7986, and the de facto
# X-PUBLISHED-TTL that older clients read).
REFRESH = timedelta(hours=1)
CANCELLED_PREFIX = "Cancelled: "


@dataclass(frozen=True, slots=True)
class FeedEvent:
    """One session or booking as a calendar shows it. Instants are timezone-aware."""

    uid: str
    starts_at: datetime
    ends_at: datetime
    summary: str
    sequence: int
    last_modified: datetime
    cancelled: bool = False
    tentative: bool = False
    location: str = ""
    description: str = ""


@lru_cache(maxsize=32)
def _timezone(tzid: str, first_year: int, last_year: int) -> Timezone:
    # Building a VTIMEZONE walks the zone's transitions: once per zone and span of years.
    return Timezone.from_tzid(
        tzid, first_date=date(first_year, 1, 1), last_date=date(last_year + 1, 1, 1)
    )


def _utc(instant: datetime) -> datetime:
    return instant.astimezone(UTC)


def _status(event: FeedEvent) -> str:
    if event.cancelled:
        return "CANCELLED"
    return "TENTATIVE" if event.tentative else "CONFIRMED"


def _vevent(event: FeedEvent, zone: ZoneInfo) -> Event:
    vevent = Event()
    vevent.add("UID", event.uid)
    vevent.add("DTSTAMP", _utc(event.last_modified))
    vevent.add("LAST-MODIFIED", _utc(event.last_modified))
    vevent.add("DTSTART", event.starts_at.astimezone(zone))
    vevent.add("DTEND", event.ends_at.astimezone(zone))
    vevent.add("SEQUENCE", max(event.sequence, 0))
    vevent.add("STATUS", _status(event))
    summary = f"{CANCELLED_PREFIX}{event.summary}" if event.cancelled else event.summary
    vevent.add("SUMMARY", summary)
    if event.location:
        vevent.add("LOCATION", event.location)
    if event.description:
        vevent.add("DESCRIPTION", event.description)
    # A cancelled event keeps its place in the feed (so calendars drop it) but no time.
    vevent.add("TRANSP", "TRANSPARENT" if event.cancelled else "OPAQUE")
    return vevent


def build_calendar(
    name: str, events: Iterable[FeedEvent], *, zone: ZoneInfo, first_day: date, last_day: date
) -> bytes:
    """The calendar named ``name``; ``first_day``..``last_day`` bound the events' dates.

    Events keep the order given. The VTIMEZONE covers whole years around the window, so
    it changes once a year, not each day the window moves.
    """
    calendar = Calendar()
    calendar.add("PRODID", PRODID)
    calendar.add("VERSION", "2.0")
    calendar.add("CALSCALE", "GREGORIAN")
    calendar.add("NAME", name)
    calendar.add("X-WR-CALNAME", name)
    calendar.add("X-WR-TIMEZONE", zone.key)
    calendar.add("REFRESH-INTERVAL", REFRESH, parameters={"VALUE": "DURATION"})
    calendar.add("X-PUBLISHED-TTL", "PT1H")
    for event in events:
        calendar.add_component(_vevent(event, zone))
    for tzid in sorted(calendar.get_missing_tzids()):
        # Before the events that name it; a zone the database does not know is left out.
        try:
            timezone = _timezone(tzid, first_day.year - 1, last_day.year + 1)
        except ValueError:
            continue
        calendar.subcomponents.insert(0, timezone)
    body: bytes = calendar.to_ical()
    return body
