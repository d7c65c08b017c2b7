"""Room bookings, a room's bookings and a venue's calendar: admins write, all staff read."""

from typing import Annotated
from uuid import UUID

from litestar import Controller, Response, get, patch, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from api.core import clock
from api.core.actor import Actor, Role
from api.core.schemas import DEFAULT_PAGE_SIZE, Page
from api.web.etags import version_from_if_match
from api.web.openapi_docs import problems
from api.web.params import IfMatch, PageSize, with_etag
from api.web.security import requires
from scheduling import booking_queries, bookings, calendars
from scheduling.schemas.bookings import (
    BookingCreate,
    BookingRead,
    BookingStatus,
    BookingUpdate,
    VenueCalendarRead,
)

CalendarSize = Annotated[int, QueryParameter(ge=1, le=calendars.CALENDAR_PAGE_SIZE)]
# Dates are parsed by the service, so a problem names "from" and "to" as sent (required).
FromDate = Annotated[
    str | None,
    QueryParameter(
        name="from", format="date", description="Required: first local date, inclusive."
    ),
]
ToDate = Annotated[
    str | None,
    QueryParameter(
        name="to",
        format="date",
        description="Required: last local date, inclusive; at most 93 days from `from`.",
    ),
]
WRITE = requires(Role.ADMIN)
READ = requires(Role.ADMIN, Role.FACILITATOR, Role.SUPERVISOR)


class BookingController(Controller):
    """/api/v1/bookings: book, read, move or edit, cancel."""

    path = "/bookings"
    tags = ("bookings",)

    @post(
        "/",
        guards=[WRITE],
        status_code=HTTP_201_CREATED,
        opt=problems(404, 409),
        summary="Book a room",
    )
    async def create_booking(
        self, data: JSONBody[BookingCreate], actor: NamedDependency[Actor]
    ) -> Response[BookingRead]:
        """Book a room; back-to-back bookings are fine.

        Refused with the rule that fails: archived, outside opening hours, closure, bank
        holiday, or another booking of the room (named).
        """
        booking = await bookings.book_room(data, by=actor, now=clock.now())
        return with_etag(booking, HTTP_201_CREATED)

    @get("/{booking_id:uuid}", guards=[READ], opt=problems(404), summary="One booking")
    async def get_booking(self, booking_id: FromPath[UUID]) -> Response[BookingRead]:
        """With its ETag, for a later edit's If-Match."""
        return with_etag(await booking_queries.get_booking(booking_id))

    @patch(
        "/{booking_id:uuid}",
        guards=[WRITE],
        opt=problems(404, 409, 412, 428),
        summary="Move, re-purpose or confirm a booking",
    )
    async def update_booking(
        self,
        booking_id: FromPath[UUID],
        data: JSONBody[BookingUpdate],
        actor: NamedDependency[Actor],
        if_match: IfMatch = None,
    ) -> Response[BookingRead]:
        """Needs If-Match. A move re-checks every rule; a cancelled booking cannot be edited."""
        booking = await bookings.update_booking(
            booking_id,
            data,
            expected_version=version_from_if_match(if_match),
            by=actor,
            now=clock.now(),
        )
        return with_etag(booking)

    @post(
        "/{booking_id:uuid}/cancel",
        guards=[WRITE],
        status_code=HTTP_200_OK,
        opt=problems(404, 409, 412, 428),
        summary="Cancel a booking",
    )
    async def cancel_booking(
        self, booking_id: FromPath[UUID], actor: NamedDependency[Actor], if_match: IfMatch = None
    ) -> Response[BookingRead]:
        """Needs If-Match. The booking stays, cancelled, and the slot is free.

        Cancelling a cancelled booking is a 409 (booking-cancelled).
        """
        booking = await bookings.cancel_booking(
            booking_id,
            expected_version=version_from_if_match(if_match),
            by=actor,
            now=clock.now(),
        )
        return with_etag(booking)


class BookingCalendarController(Controller):
    """A room's bookings and a venue's calendar over local dates."""

    path = "/"
    tags = ("bookings",)

    @get(
        "/rooms/{room_id:uuid}/bookings",
        guards=[READ],
        opt=problems(404),
        summary="A room's bookings",
    )
    async def list_room_bookings(
        self,
        room_id: FromPath[UUID],
        from_date: FromDate = None,
        to_date: ToDate = None,
        status: FromQuery[BookingStatus | None] = None,
        include_cancelled: FromQuery[bool] = False,
        cursor: FromQuery[str | None] = None,
        limit: PageSize = DEFAULT_PAGE_SIZE,
    ) -> Page[BookingRead]:
        """Bookings starting on those local dates, by start; cancelled ones only if asked."""
        first, last = booking_queries.local_dates(from_date, to_date)
        return await booking_queries.list_room_bookings(
            room_id,
            from_date=first,
            to_date=last,
            status=status,
            include_cancelled=include_cancelled,
            cursor=cursor,
            limit=limit,
        )

    @get(
        "/venues/{venue_id:uuid}/calendar",
        guards=[READ],
        opt=problems(404),
        summary="A venue's calendar",
    )
    async def venue_calendar(
        self,
        venue_id: FromPath[UUID],
        from_date: FromDate = None,
        to_date: ToDate = None,
        status: FromQuery[BookingStatus | None] = None,
        include_cancelled: FromQuery[bool] = False,
        cursor: FromQuery[str | None] = None,
        limit: CalendarSize = calendars.CALENDAR_PAGE_SIZE,
    ) -> VenueCalendarRead:
        """Everything about the venue over those local dates, in one answer.

        The venue, its rooms, opening hours, closures, bank holidays and its rooms' bookings
        (next_cursor past 1,000 bookings).
        """
        first, last = booking_queries.local_dates(from_date, to_date)
        return await calendars.venue_calendar(
            venue_id,
            from_date=first,
            to_date=last,
            status=status,
            include_cancelled=include_cancelled,
            cursor=cursor,
            limit=limit,
        )
