"""Venues, their opening hours and closures: admins write, every staff role reads."""

from datetime import date
from typing import Annotated, cast
from uuid import UUID

from litestar import Controller, Response, delete, get, patch, post, put
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED, HTTP_204_NO_CONTENT

from api.core import clock
from api.core.actor import Actor, Role
from api.core.schemas import DEFAULT_PAGE_SIZE, Page
from api.web.etags import version_from_if_match
from api.web.openapi_docs import problems
from api.web.params import IfMatch, PageSize, with_etag
from api.web.security import requires
from scheduling import venue_hours, venues
from scheduling.schemas.venues import (
    ClosureCreate,
    ClosureCreated,
    ClosureRead,
    OpeningHoursRead,
    OpeningHoursUpdate,
    VenueCreate,
    VenueKind,
    VenueRead,
    VenueUpdate,
)

WRITE = requires(Role.ADMIN)
READ = requires(Role.ADMIN, Role.FACILITATOR, Role.SUPERVISOR)


class VenueController(Controller):
    """/api/v1/venues: create, list, read, edit, archive."""

    path = "/venues"
    tags = ("venues",)

    @get("/", guards=[READ], summary="List venues")
    async def list_venues(
        self,
        actor: NamedDependency[Actor],
        town: FromQuery[str | None] = None,
        postcode_district: FromQuery[str | None] = None,
        kind: FromQuery[VenueKind | None] = None,
        q: Annotated[str | None, QueryParameter(description="Name prefix, any case.")] = None,
        include_archived: FromQuery[bool] = False,
        step_free_access: FromQuery[bool | None] = None,
        accessible_toilet: FromQuery[bool | None] = None,
        hearing_loop: FromQuery[bool | None] = None,
        parking: FromQuery[bool | None] = None,
        cursor: FromQuery[str | None] = None,
        limit: PageSize = DEFAULT_PAGE_SIZE,
    ) -> Response[Page[VenueRead]]:
        """By name, a page at a time; archived venues only with include_archived."""
        asked = {
            "step_free_access": step_free_access,
            "accessible_toilet": accessible_toilet,
            "hearing_loop": hearing_loop,
            "parking": parking,
        }
        body = await venues.venues_page_json(
            by=actor,
            town=town,
            postcode_district=postcode_district,
            kind=kind,
            q=q,
            include_archived=include_archived,
            facilities={name: value for name, value in asked.items() if value is not None},
            cursor=cursor,
            limit=limit,
        )
        # The page arrives already written as JSON (the same bytes pydantic would write);
        # Litestar sends bytes as they are. The annotation keeps the documented schema.
        return Response(cast("Page[VenueRead]", body))

    @post("/", guards=[WRITE], status_code=HTTP_201_CREATED, summary="Add a venue")
    async def create_venue(
        self, data: JSONBody[VenueCreate], actor: NamedDependency[Actor]
    ) -> Response[VenueRead]:
        """The postcode is normalised and its district stored; the answer carries the ETag."""
        venue = await venues.create_venue(data, by=actor, now=clock.now())
        return with_etag(venue, HTTP_201_CREATED)

    @get("/{venue_id:uuid}", guards=[READ], opt=problems(404), summary="One venue")
    async def get_venue(
        self, venue_id: FromPath[UUID], actor: NamedDependency[Actor]
    ) -> Response[VenueRead]:
        """With its ETag, for a later edit's If-Match."""
        return with_etag(await venues.get_venue(venue_id, by=actor))

    @patch("/{venue_id:uuid}", guards=[WRITE], opt=problems(404, 412, 428), summary="Edit a venue")
    async def update_venue(
        self,
        venue_id: FromPath[UUID],
        data: JSONBody[VenueUpdate],
        actor: NamedDependency[Actor],
        if_match: IfMatch = None,
    ) -> Response[VenueRead]:
        """Needs If-Match: two admins editing at once never overwrite each other."""
        venue = await venues.update_venue(
            venue_id,
            data,
            expected_version=version_from_if_match(if_match),
            by=actor,
            now=clock.now(),
        )
        return with_etag(venue)

    @post(
        "/{venue_id:uuid}/archive",
        guards=[WRITE],
        status_code=HTTP_200_OK,
        opt=problems(404, 412, 428),
        summary="Archive a venue",
    )
    async def archive_venue(
        self, venue_id: FromPath[UUID], actor: NamedDependency[Actor], if_match: IfMatch = None
    ) -> Response[VenueRead]:
        """Hidden from lists and closed to new rooms and bookings; its history stays."""
        venue = await venues.set_archived(
            venue_id,
            archived=True,
            expected_version=version_from_if_match(if_match),
            by=actor,
            now=clock.now(),
        )
        return with_etag(venue)

    @post(
        "/{venue_id:uuid}/unarchive",
        guards=[WRITE],
        status_code=HTTP_200_OK,
        opt=problems(404, 412, 428),
        summary="Unarchive a venue",
    )
    async def unarchive_venue(
        self, venue_id: FromPath[UUID], actor: NamedDependency[Actor], if_match: IfMatch = None
    ) -> Response[VenueRead]:
        """Back in lists and bookable."""
        venue = await venues.set_archived(
            venue_id,
            archived=False,
            expected_version=version_from_if_match(if_match),
            by=actor,
            now=clock.now(),
        )
        return with_etag(venue)


class VenueHoursController(Controller):
    """/api/v1/venues/{venue_id}/opening-hours and /closures."""

    path = "/venues/{venue_id:uuid}"
    tags = ("venues",)

    @get("/opening-hours", guards=[READ], opt=problems(404), summary="A venue's opening hours")
    async def get_opening_hours(
        self, venue_id: FromPath[UUID], actor: NamedDependency[Actor]
    ) -> OpeningHoursRead:
        """Every range of the week, by weekday (0 Monday) then opening time."""
        return await venue_hours.get_opening_hours(venue_id, by=actor)

    @put(
        "/opening-hours",
        guards=[WRITE],
        opt=problems(404),
        summary="Replace a venue's opening hours",
    )
    async def replace_opening_hours(
        self,
        venue_id: FromPath[UUID],
        data: JSONBody[OpeningHoursUpdate],
        actor: NamedDependency[Actor],
    ) -> OpeningHoursRead:
        """The whole week at once; a reversed or overlapping range is a 400 naming it."""
        return await venue_hours.replace_opening_hours(venue_id, data, by=actor, now=clock.now())

    @get("/closures", guards=[READ], opt=problems(404), summary="A venue's closures")
    async def list_closures(
        self,
        venue_id: FromPath[UUID],
        actor: NamedDependency[Actor],
        from_date: Annotated[
            date | None, QueryParameter(name="from", description="Closures ending on or after.")
        ] = None,
        to_date: Annotated[
            date | None, QueryParameter(name="to", description="Closures starting on or before.")
        ] = None,
        cursor: FromQuery[str | None] = None,
        limit: PageSize = DEFAULT_PAGE_SIZE,
    ) -> Page[ClosureRead]:
        """By start date, a page at a time."""
        return await venue_hours.list_closures(
            venue_id, by=actor, from_date=from_date, to_date=to_date, cursor=cursor, limit=limit
        )

    @post(
        "/closures",
        guards=[WRITE],
        status_code=HTTP_201_CREATED,
        opt=problems(404),
        summary="Close a venue for some dates",
    )
    async def create_closure(
        self, venue_id: FromPath[UUID], data: JSONBody[ClosureCreate], actor: NamedDependency[Actor]
    ) -> ClosureCreated:
        """Allowed over existing bookings (they stand); the answer lists those it overlaps."""
        return await venue_hours.create_closure(venue_id, data, by=actor, now=clock.now())

    @delete(
        "/closures/{closure_id:uuid}",
        guards=[WRITE],
        status_code=HTTP_204_NO_CONTENT,
        opt=problems(404),
        summary="Remove a closure",
    )
    async def delete_closure(
        self, venue_id: FromPath[UUID], closure_id: FromPath[UUID], actor: NamedDependency[Actor]
    ) -> None:
        """The venue's audit history keeps that it was removed."""
        await venue_hours.delete_closure(venue_id, closure_id, by=actor, now=clock.now())
