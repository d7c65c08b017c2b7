"""Rooms: admins write, every staff role reads."""

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
from scheduling import rooms
from scheduling.schemas.rooms import MAX_CAPACITY, Equipment, RoomCreate, RoomRead, RoomUpdate

CapacityMin = Annotated[
    int | None, QueryParameter(ge=1, le=MAX_CAPACITY, description="Seats at least this many.")
]
EquipmentFilter = Annotated[
    list[Equipment] | None,
    QueryParameter(description="Repeat for each item; a room must have all of them."),
]
WRITE = requires(Role.ADMIN)
READ = requires(Role.ADMIN, Role.FACILITATOR, Role.SUPERVISOR)


class VenueRoomController(Controller):
    """/api/v1/venues/{venue_id}/rooms: a venue's rooms, and adding one."""

    path = "/venues/{venue_id:uuid}/rooms"
    tags = ("rooms",)

    @get("/", guards=[READ], opt=problems(404), summary="A venue's rooms")
    async def list_venue_rooms(
        self,
        venue_id: FromPath[UUID],
        actor: NamedDependency[Actor],
        capacity_min: CapacityMin = None,
        equipment: EquipmentFilter = None,
        include_archived: FromQuery[bool] = False,
        cursor: FromQuery[str | None] = None,
        limit: PageSize = DEFAULT_PAGE_SIZE,
    ) -> Page[RoomRead]:
        """By name, a page at a time."""
        return await rooms.list_rooms(
            by=actor,
            venue_id=venue_id,
            capacity_min=capacity_min,
            equipment=equipment or (),
            include_archived=include_archived,
            cursor=cursor,
            limit=limit,
        )

    @post(
        "/",
        guards=[WRITE],
        status_code=HTTP_201_CREATED,
        opt=problems(404, 409),
        summary="Add a room to a venue",
    )
    async def create_room(
        self, venue_id: FromPath[UUID], data: JSONBody[RoomCreate], actor: NamedDependency[Actor]
    ) -> Response[RoomRead]:
        """An archived venue gets no new rooms (409)."""
        room = await rooms.create_room(venue_id, data, by=actor, now=clock.now())
        return with_etag(room, HTTP_201_CREATED)


class RoomController(Controller):
    """/api/v1/rooms: list across venues, read, edit, archive."""

    path = "/rooms"
    tags = ("rooms",)

    @get("/", guards=[READ], opt=problems(404), summary="List rooms")
    async def list_rooms(
        self,
        actor: NamedDependency[Actor],
        venue: Annotated[
            UUID | None, QueryParameter(description="Only this venue's rooms.")
        ] = None,
        capacity_min: CapacityMin = None,
        equipment: EquipmentFilter = None,
        include_archived: FromQuery[bool] = False,
        cursor: FromQuery[str | None] = None,
        limit: PageSize = DEFAULT_PAGE_SIZE,
    ) -> Page[RoomRead]:
        """By name, a page at a time; rooms of archived venues only with include_archived."""
        return await rooms.list_rooms(
            by=actor,
            venue_id=venue,
            capacity_min=capacity_min,
            equipment=equipment or (),
            include_archived=include_archived,
            cursor=cursor,
            limit=limit,
        )

    @get("/{room_id:uuid}", guards=[READ], opt=problems(404), summary="One room")
    async def get_room(
        self, room_id: FromPath[UUID], actor: NamedDependency[Actor]
    ) -> Response[RoomRead]:
        """With its ETag, for a later edit's If-Match."""
        return with_etag(await rooms.get_room(room_id, by=actor))

    @patch("/{room_id:uuid}", guards=[WRITE], opt=problems(404, 412, 428), summary="Edit a room")
    async def update_room(
        self,
        room_id: FromPath[UUID],
        data: JSONBody[RoomUpdate],
        actor: NamedDependency[Actor],
        if_match: IfMatch = None,
    ) -> Response[RoomRead]:
        """Needs If-Match; equipment, when sent, replaces the list."""
        room = await rooms.update_room(
            room_id,
            data,
            expected_version=version_from_if_match(if_match),
            by=actor,
            now=clock.now(),
        )
        return with_etag(room)

    @post(
        "/{room_id:uuid}/archive",
        guards=[WRITE],
        status_code=HTTP_200_OK,
        opt=problems(404, 412, 428),
        summary="Archive a room",
    )
    async def archive_room(
        self, room_id: FromPath[UUID], actor: NamedDependency[Actor], if_match: IfMatch = None
    ) -> Response[RoomRead]:
        """Hidden from lists and closed to new bookings; its history stays."""
        room = await rooms.set_archived(
            room_id,
            archived=True,
            expected_version=version_from_if_match(if_match),
            by=actor,
            now=clock.now(),
        )
        return with_etag(room)

    @post(
        "/{room_id:uuid}/unarchive",
        guards=[WRITE],
        status_code=HTTP_200_OK,
        opt=problems(404, 409, 412, 428),
        summary="Unarchive a room",
    )
    async def unarchive_room(
        self, room_id: FromPath[UUID], actor: NamedDependency[Actor], if_match: IfMatch = None
    ) -> Response[RoomRead]:
        """Its venue must be active (409 otherwise)."""
        room = await rooms.set_archived(
            room_id,
            archived=False,
            expected_version=version_from_if_match(if_match),
            by=actor,
            now=clock.now(),
        )
        return with_etag(room)
