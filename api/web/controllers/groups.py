"""Groups: create, list, read (with sessions, facilitators and counts), edit, go/no-go."""

from datetime import date
from uuid import UUID

from litestar import Controller, Response, get, patch, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody
from litestar.status_codes import HTTP_201_CREATED

from api.core import clock
from api.core.actor import Actor, Role
from api.core.schemas import DEFAULT_PAGE_SIZE, Page
from api.web.etags import version_from_if_match
from api.web.openapi_docs import problems
from api.web.params import IfMatch, PageSize, with_etag
from api.web.security import requires
from groups import go_no_go, groups
from groups.group_services import detail, listing
from groups.rules.groups import GroupStatus
from groups.schemas.groups import GoNoGoEntry, GroupCreate, GroupDetail, GroupRead, GroupUpdate

WRITE = requires(Role.ADMIN)
READ = requires(Role.ADMIN, Role.FACILITATOR, Role.SUPERVISOR)
PLANNERS = requires(Role.ADMIN, Role.SUPERVISOR)


class GroupController(Controller):
    """/api/v1/groups: create, list, read, edit; the go/no-go list."""

    path = "/groups"
    tags = ("groups",)

    @get("/", guards=[READ], summary="List groups")
    async def list_groups(
        self,
        actor: NamedDependency[Actor],
        course_id: FromQuery[UUID | None] = None,
        venue_id: FromQuery[UUID | None] = None,
        status: FromQuery[GroupStatus | None] = None,
        starting_from: FromQuery[date | None] = None,
        cursor: FromQuery[str | None] = None,
        limit: PageSize = DEFAULT_PAGE_SIZE,
    ) -> Page[GroupRead]:
        """By first session date; facilitators see only the groups they run."""
        return await listing.list_groups(
            by=actor,
            course_id=course_id,
            venue_id=venue_id,
            status=status,
            starting_from=starting_from,
            cursor=cursor,
            limit=limit,
        )

    @post(
        "/",
        guards=[WRITE],
        status_code=HTTP_201_CREATED,
        opt=problems(404, 409),
        summary="Set up a group",
    )
    async def create_group(
        self, data: JSONBody[GroupCreate], actor: NamedDependency[Actor]
    ) -> Response[GroupRead]:
        """A draft group with the course's plan frozen into it; the answer carries the ETag."""
        group = await groups.create_group(data, by=actor, now=clock.now())
        return with_etag(group, HTTP_201_CREATED)

    @get("/go-no-go", guards=[PLANNERS], summary="Groups short of their minimum")
    async def go_no_go(
        self,
        actor: NamedDependency[Actor],
        cursor: FromQuery[str | None] = None,
        limit: PageSize = DEFAULT_PAGE_SIZE,
    ) -> Page[GoNoGoEntry]:
        """Draft or scheduled groups under their minimum as the go/no-go date nears."""
        return await go_no_go.go_no_go_list(by=actor, now=clock.now(), cursor=cursor, limit=limit)

    @get("/{group_id:uuid}", guards=[READ], opt=problems(404), summary="One group in full")
    async def get_group(
        self, group_id: FromPath[UUID], actor: NamedDependency[Actor]
    ) -> Response[GroupDetail]:
        """With facilitators, sessions, enrolment counts, places and the waiting list length."""
        return with_etag(await detail.get_group(group_id, by=actor, now=clock.now()))

    @patch(
        "/{group_id:uuid}",
        guards=[WRITE],
        opt=problems(404, 409, 412, 428),
        summary="Edit a group",
    )
    async def update_group(
        self,
        group_id: FromPath[UUID],
        data: JSONBody[GroupUpdate],
        actor: NamedDependency[Actor],
        if_match: IfMatch = None,
    ) -> Response[GroupRead]:
        """Needs If-Match. A larger capacity offers the new places to the waiting list."""
        group = await groups.update_group(
            group_id,
            data,
            expected_version=version_from_if_match(if_match),
            by=actor,
            now=clock.now(),
        )
        return with_etag(group)


# Registered by the app factory under /api/v1 (staff, signed in, role-guarded per route).
CONTROLLERS: list[type[Controller]] = [GroupController]
