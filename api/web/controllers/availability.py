"""Availability search: which rooms are free at a weekly slot, for staff placing a course."""

from datetime import date
from typing import Annotated, cast

from litestar import Controller, Response, get
from litestar.di import NamedDependency
from litestar.params import FromQuery, QueryParameter

from api.core.actor import Actor, Role
from api.core.schemas import Page
from api.web.security import requires
from scheduling import availability
from scheduling.schemas.availability import (
    MAX_ROOMS_PER_PAGE,
    MAX_SEATS,
    MAX_WEEKS,
    AvailableRoomRead,
    parse_search,
)

Capacity = Annotated[
    int, QueryParameter(ge=1, le=MAX_SEATS, description="Seats needed: rooms with at least this.")
]
FirstDate = Annotated[
    date,
    QueryParameter(
        description="The first session's local date (YYYY-MM-DD); it fixes the weekday."
    ),
]
Weekday = Annotated[
    int | None,
    QueryParameter(
        ge=0, le=6, description="Optional check: 0 Monday .. 6 Sunday; must be from_date's."
    ),
]
ClockParameter = Annotated[
    str, QueryParameter(description='Local wall-clock time (Europe/London), "HH:MM".')
]
Weeks = Annotated[
    int, QueryParameter(ge=1, le=MAX_WEEKS, description="How many consecutive weeks (K).")
]
Required = Annotated[bool, QueryParameter(description="true: the venue must have it.")]
RoomsPerPage = Annotated[int, QueryParameter(ge=1, le=MAX_ROOMS_PER_PAGE)]


class AvailabilityController(Controller):
    """/api/v1/availability: rooms free at one weekly slot for K weeks."""

    path = "/availability"
    tags = ("availability",)
    guards = (requires(Role.ADMIN, Role.FACILITATOR, Role.SUPERVISOR),)

    @get("/", summary="Rooms free at a weekly slot, best matches first")
    async def search_availability(
        self,
        actor: NamedDependency[Actor],
        capacity: Capacity,
        from_date: FirstDate,
        start_time: ClockParameter,
        end_time: ClockParameter,
        weeks: Weeks,
        weekday: Weekday = None,
        step_free_access: Required = False,
        accessible_toilet: Required = False,
        hearing_loop: Required = False,
        parking: Required = False,
        town: FromQuery[str | None] = None,
        postcode_district: FromQuery[str | None] = None,
        cursor: FromQuery[str | None] = None,
        limit: RoomsPerPage = MAX_ROOMS_PER_PAGE,
    ) -> Response[Page[AvailableRoomRead]]:
        """Every room that fits, each with all K weeks: free, or blocked with the reasons.

        Week i is ``from_date + 7*i`` at ``start_time``-``end_time`` local time. Best
        matches first: most free weeks, then the smallest room that fits, then venue
        name, room name and id.
        """
        search = parse_search(
            {
                "capacity": capacity,
                "from_date": from_date,
                "weekday": weekday,
                "start_time": start_time,
                "end_time": end_time,
                "weeks": weeks,
                "step_free_access": step_free_access,
                "accessible_toilet": accessible_toilet,
                "hearing_loop": hearing_loop,
                "parking": parking,
                "town": town,
                "postcode_district": postcode_district,
                "cursor": cursor,
                "limit": limit,
            }
        )
        found = await availability.search_availability(search, by=actor)
        # The service answers the page already in the model's JSON shape, unvalidated
        # (see scheduling.availability); the annotation documents that shape.
        return Response(cast("Page[AvailableRoomRead]", found))
