"""Demo venues: a rural service in west Devon, loaded through the scheduling services.

Three market towns (Tavistock, Okehampton, Holsworthy), five venues with rooms, opening
hours, a Christmas closure and a few bookings in the coming weeks. Everything goes through
the services, so every rule (postcodes, hours, closures, bank holidays, no overlap) holds by
construction; the whole load is one transaction, so a failure leaves nothing half-made.
Idempotent: if the first demo venue exists, nothing is created. Phone numbers are Ofcom's
drama ranges; door codes and key holders are invented.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from api.core.actor import Actor
from api.core.database import write_transaction
from scheduling import bookings, rooms, venue_hours, venues
from scheduling.booking_queries import service_zone
from scheduling.rules.booking import LocalSlot, rule_failures
from scheduling.rules.opening import ClosureSpan, OpeningRange, bank_holiday_in_england
from scheduling.schemas.bookings import BookingCreate, HeldStatus
from scheduling.schemas.rooms import Equipment, RoomCreate
from scheduling.schemas.venues import (
    ClosureCreate,
    OpeningHoursUpdate,
    OpeningRangeCreate,
    VenueCreate,
    VenueKind,
)
from scheduling.tables import Venue

CHRISTMAS_REASON = "Christmas and New Year"
FIRST_BOOKING_AFTER = timedelta(days=1)  # from tomorrow: never a booking in the past
MAX_WEEKS_SCANNED = 12  # a series skips closed weeks, within this horizon


def _hours(days: tuple[int, ...], *spans: tuple[str, str]) -> list[OpeningRangeCreate]:
    return [
        OpeningRangeCreate(weekday=day, opens_at=opens, closes_at=closes)
        for day in days
        for opens, closes in spans
    ]


@dataclass(frozen=True)
class DemoVenue:
    """A venue, its rooms and week, and whether it shuts over Christmas."""

    venue: VenueCreate
    rooms: tuple[RoomCreate, ...]
    hours: tuple[OpeningRangeCreate, ...]
    closes_for_christmas: bool


@dataclass(frozen=True)
class DemoSeries:
    """Weekly bookings of one room, the same local slot each week."""

    venue: str
    room: str
    weekday: int
    start: time
    end: time
    weeks: int
    purpose: str
    status: HeldStatus


MON_FRI = (0, 1, 2, 3, 4)
E = Equipment
DEMO_VENUES = (
    DemoVenue(
        VenueCreate(
            name="Tavistock Library",
            kind=VenueKind.LIBRARY,
            address_line_1="12 Abbey Rise",
            town="Tavistock",
            postcode="PL19 0AX",
            phone="01632 960101",
            email="tavistock.library@example.org",
            access_instructions="Staff door on Canal Walk, keypad 4729#. Out of hours the key "
            "is with the duty librarian (07700 900101).",
            step_free_access=True,
            accessible_toilet=True,
            hearing_loop=True,
            public_transport_notes="Bus station 3 minutes' walk (routes from Plymouth and "
            "Okehampton). Pay and display parking on The Wharf.",
            notes="Closed Wednesday afternoons and Sundays. Community Room is upstairs (lift).",
        ),
        (
            RoomCreate(name="Meeting Room", capacity=14, equipment=[E.FLIPCHART, E.WHITEBOARD]),
            RoomCreate(
                name="Community Room",
                capacity=24,
                equipment=[E.PROJECTOR, E.SCREEN, E.KITCHEN, E.HEARING_LOOP],
                layout_notes="First floor, lift. Chairs in a horseshoe; tea point at the back.",
            ),
        ),
        (
            *_hours((0, 1, 3, 4), ("09:30", "12:30"), ("13:30", "17:30")),
            *_hours((2, 5), ("09:30", "13:00")),
        ),
        True,
    ),
    DemoVenue(
        VenueCreate(
            name="Tavy Bridge Surgery",
            kind=VenueKind.GP_SURGERY,
            address_line_1="3 Bannawell Road",
            town="Tavistock",
            postcode="PL19 0HT",
            phone="01632 960102",
            email="reception.tavybridge@example.org",
            access_instructions="Sign in at reception; the education room key hangs in the "
            "practice manager's office (code 1866 on the key safe).",
            step_free_access=True,
            accessible_toilet=True,
            parking=True,
            notes="Education room free after 13:00 most days; ask the practice manager.",
        ),
        (
            RoomCreate(
                name="Education Room",
                capacity=12,
                equipment=[E.PROJECTOR, E.SCREEN, E.WHITEBOARD],
            ),
        ),
        tuple(_hours(MON_FRI, ("08:00", "18:30"))),
        False,
    ),
    DemoVenue(
        VenueCreate(
            name="Okehampton Community Centre",
            kind=VenueKind.COMMUNITY_CENTRE,
            address_line_1="Market Street",
            town="Okehampton",
            postcode="EX20 1EJ",
            phone="01632 960103",
            email="bookings.okecc@example.org",
            access_instructions="Side door keypad C3952; if it sticks, the caretaker "
            "(Mrs Pengelly, 07700 900103) holds the key and lives next door.",
            step_free_access=True,
            accessible_toilet=True,
            hearing_loop=True,
            parking=True,
            public_transport_notes="Buses stop outside (Exeter and Tavistock routes).",
            notes="Hosts the hospital's overspill clinics on Mondays in Meeting Room 2.",
        ),
        (
            RoomCreate(
                name="Main Hall",
                capacity=60,
                equipment=[E.PROJECTOR, E.SCREEN, E.KITCHEN, E.HEARING_LOOP],
                layout_notes="Stackable chairs and eight folding tables in the store.",
            ),
            RoomCreate(name="Garden Room", capacity=16, equipment=[E.FLIPCHART, E.KITCHEN]),
            RoomCreate(name="Meeting Room 2", capacity=10, equipment=[E.FLIPCHART, E.WHITEBOARD]),
        ),
        (*_hours(MON_FRI, ("08:30", "22:00")), *_hours((5,), ("09:00", "17:00"))),
        True,
    ),
    DemoVenue(
        VenueCreate(
            name="Okehampton Community Hospital",
            kind=VenueKind.COMMUNITY_HOSPITAL,
            address_line_1="Cavell Way",
            town="Okehampton",
            postcode="EX20 1PN",
            phone="01632 960104",
            email="okehampton.hospital@example.org",
            access_instructions="Out-patients entrance; swipe card from the ward clerk. "
            "Seminar room code 2580.",
            step_free_access=True,
            accessible_toilet=True,
            hearing_loop=True,
            parking=True,
            public_transport_notes="Hospital stop on the town loop bus, hourly.",
            opens_on_bank_holidays=True,
        ),
        (
            RoomCreate(
                name="Seminar Room",
                capacity=20,
                equipment=[E.PROJECTOR, E.SCREEN, E.HEARING_LOOP],
            ),
            RoomCreate(name="Therapy Room", capacity=8, equipment=[E.FLIPCHART]),
        ),
        tuple(_hours((0, 1, 2, 3, 4, 5, 6), ("08:00", "20:00"))),
        False,
    ),
    DemoVenue(
        VenueCreate(
            name="Holsworthy Children's Centre",
            kind=VenueKind.CHILDRENS_CENTRE,
            address_line_1="Trewyn Road",
            town="Holsworthy",
            postcode="EX22 6DQ",
            phone="01632 960105",
            email="holsworthy.cc@example.org",
            access_instructions="Ring the bell: the door is locked while children are in. "
            "Key holder: centre manager (07700 900105).",
            step_free_access=True,
            accessible_toilet=True,
            parking=True,
            public_transport_notes="Limited buses; most families drive. Pram park by the door.",
            notes="Closed 12:30-13:00 for lunch.",
        ),
        (
            RoomCreate(name="Family Room", capacity=12, equipment=[E.KITCHEN, E.FLIPCHART]),
            RoomCreate(
                name="Group Room",
                capacity=18,
                equipment=[E.PROJECTOR, E.SCREEN, E.FLIPCHART],
            ),
        ),
        (
            *_hours((0, 1, 2, 3), ("08:30", "12:30"), ("13:00", "17:00")),
            *_hours((4,), ("08:30", "12:30"), ("13:00", "16:00")),
        ),
        True,
    ),
)
DEMO_SERIES = (
    DemoSeries(
        venue="Okehampton Community Centre",
        room="Garden Room",
        weekday=1,
        start=time(10),
        end=time(12),
        weeks=6,
        purpose="Living Well with Low Mood (6-week course)",
        status="confirmed",
    ),
    DemoSeries(
        venue="Tavistock Library",
        room="Community Room",
        weekday=3,
        start=time(14),
        end=time(15, 30),
        weeks=4,
        purpose="Managing Worry group",
        status="confirmed",
    ),
    DemoSeries(
        venue="Holsworthy Children's Centre",
        room="Family Room",
        weekday=2,
        start=time(9, 30),
        end=time(11),
        weeks=1,
        purpose="Sleeping Well: a session for parents",
        status="provisional",
    ),
    DemoSeries(
        venue="Okehampton Community Hospital",
        room="Seminar Room",
        weekday=4,
        start=time(9, 30),
        end=time(16),
        weeks=1,
        purpose="Facilitator training day",
        status="provisional",
    ),
)


def christmas_closure(today: date) -> ClosureCreate:
    """24 December to 1 January of the holidays that have not yet ended on ``today``."""
    year = today.year - 1 if (today.month, today.day) == (1, 1) else today.year
    return ClosureCreate(
        start_date=date(year, 12, 24), end_date=date(year + 1, 1, 1), reason=CHRISTMAS_REASON
    )


def series_dates(series: DemoSeries, place: DemoVenue, today: date) -> list[date]:
    """The series' first ``weeks`` dates from tomorrow the venue allows, skipping any other.

    Bank holidays are skipped even where the venue opens on them: nobody runs a course then.
    """
    closures = [ClosureSpan(**christmas_closure(today).model_dump())]
    week = [
        OpeningRange(r.weekday, time.fromisoformat(r.opens_at), time.fromisoformat(r.closes_at))
        for r in place.hours
    ]
    first = today + FIRST_BOOKING_AFTER
    first += timedelta(days=(series.weekday - first.weekday()) % 7)
    found: list[date] = []
    for offset in range(MAX_WEEKS_SCANNED):
        day = first + timedelta(weeks=offset)
        failures = rule_failures(
            LocalSlot(day, series.start, series.end),
            opening=week,
            closures=closures if place.closes_for_christmas else [],
            opens_on_bank_holidays=place.venue.opens_on_bank_holidays,
        )
        if not failures and bank_holiday_in_england(day) is None:
            found.append(day)
        if len(found) == series.weeks:
            return found
    raise ValueError(f"no {series.weeks} open weeks for {series.purpose!r}")  # pragma: no cover


async def load_demo_venues(*, now: datetime) -> bool:
    """Create the demo venues and bookings unless they exist; whether they were created."""
    by = Actor.system()
    today = now.astimezone(service_zone()).date()
    async with write_transaction():
        if await Venue.exists().where(Venue.name == DEMO_VENUES[0].venue.name):
            return False
        room_ids = {}
        for place in DEMO_VENUES:
            venue = await venues.create_venue(place.venue, by=by, now=now)
            for room in place.rooms:
                made = await rooms.create_room(venue.id, room, by=by, now=now)
                room_ids[venue.name, room.name] = made.id
            await venue_hours.replace_opening_hours(
                venue.id, OpeningHoursUpdate(ranges=list(place.hours)), by=by, now=now
            )
            if place.closes_for_christmas:
                await venue_hours.create_closure(venue.id, christmas_closure(today), by=by, now=now)
        places = {place.venue.name: place for place in DEMO_VENUES}
        for series in DEMO_SERIES:
            for day in series_dates(series, places[series.venue], today):
                new = BookingCreate(
                    room_id=room_ids[series.venue, series.room],
                    starts_at=datetime.combine(day, series.start),
                    ends_at=datetime.combine(day, series.end),
                    purpose=series.purpose,
                    status=series.status,
                )
                await bookings.book_room(new, by=by, now=now)
    return True
