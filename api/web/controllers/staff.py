"""Staff accounts, for admins."""

from typing import cast
from uuid import UUID

from litestar import Controller, Response, get, patch, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from api.core import clock
from api.core.actor import Actor, Role
from api.core.schemas import DEFAULT_PAGE_SIZE, Page
from api.identity import accounts
from api.identity.schemas import (
    PasswordReset,
    StaffUserCreate,
    StaffUserCreated,
    StaffUserRead,
    StaffUserUpdate,
)
from api.web.etags import version_from_if_match
from api.web.openapi_docs import problems
from api.web.params import IfMatch, PageSize, with_etag
from api.web.security import requires


class StaffController(Controller):
    """/api/v1/staff: create, list, read, edit, deactivate, reset passwords."""

    path = "/staff"
    tags = ("staff",)
    guards = (requires(Role.ADMIN),)

    @get("/", summary="List staff accounts")
    async def list_staff(
        self,
        actor: NamedDependency[Actor],
        role: FromQuery[Role | None] = None,
        include_inactive: FromQuery[bool] = False,
        cursor: FromQuery[str | None] = None,
        limit: PageSize = DEFAULT_PAGE_SIZE,
    ) -> Response[Page[StaffUserRead]]:
        """In email order, a page at a time."""
        body = await accounts.staff_users_page_json(
            by=actor, role=role, include_inactive=include_inactive, cursor=cursor, limit=limit
        )
        # The page arrives already written as JSON (the same bytes pydantic would write);
        # Litestar sends bytes as they are. The annotation keeps the documented schema.
        return Response(cast("Page[StaffUserRead]", body))

    @post("/", status_code=HTTP_201_CREATED, opt=problems(409), summary="Create a staff account")
    async def create_staff(
        self, data: JSONBody[StaffUserCreate], actor: NamedDependency[Actor]
    ) -> StaffUserCreated:
        """The answer carries a one-time password, shown this once."""
        user, password = await accounts.create_staff_user(data, by=actor, now=clock.now())
        return StaffUserCreated(**user.model_dump(), one_time_password=password or "")

    @get("/{user_id:uuid}", opt=problems(404), summary="One staff account")
    async def get_staff(
        self, user_id: FromPath[UUID], actor: NamedDependency[Actor]
    ) -> Response[StaffUserRead]:
        """With its ETag, for a later edit's If-Match."""
        return with_etag(await accounts.get_staff_user(user_id, by=actor))

    @patch("/{user_id:uuid}", opt=problems(404, 409, 412, 428), summary="Edit a staff account")
    async def update_staff(
        self,
        user_id: FromPath[UUID],
        data: JSONBody[StaffUserUpdate],
        actor: NamedDependency[Actor],
        if_match: IfMatch = None,
    ) -> Response[StaffUserRead]:
        """Needs If-Match: two admins editing at once never overwrite each other."""
        user = await accounts.update_staff_user(
            user_id,
            data,
            expected_version=version_from_if_match(if_match),
            by=actor,
            now=clock.now(),
        )
        return with_etag(user)

    @post(
        "/{user_id:uuid}/deactivate",
        status_code=HTTP_200_OK,
        opt=problems(404, 409, 412, 428),
        summary="Deactivate a staff account",
    )
    async def deactivate_staff(
        self, user_id: FromPath[UUID], actor: NamedDependency[Actor], if_match: IfMatch = None
    ) -> Response[StaffUserRead]:
        """Their tokens stop working on the next request."""
        user = await accounts.set_active(
            user_id,
            active=False,
            expected_version=version_from_if_match(if_match),
            by=actor,
            now=clock.now(),
        )
        return with_etag(user)

    @post(
        "/{user_id:uuid}/reactivate",
        status_code=HTTP_200_OK,
        opt=problems(404, 409, 412, 428),
        summary="Reactivate a staff account",
    )
    async def reactivate_staff(
        self, user_id: FromPath[UUID], actor: NamedDependency[Actor], if_match: IfMatch = None
    ) -> Response[StaffUserRead]:
        """They can sign in again."""
        user = await accounts.set_active(
            user_id,
            active=True,
            expected_version=version_from_if_match(if_match),
            by=actor,
            now=clock.now(),
        )
        return with_etag(user)

    @post(
        "/{user_id:uuid}/password-reset",
        status_code=HTTP_200_OK,
        opt=problems(404),
        summary="Reset a password to a one-time password",
    )
    async def reset_password(
        self, user_id: FromPath[UUID], actor: NamedDependency[Actor]
    ) -> PasswordReset:
        """They must change it at their next sign-in; their sessions end now."""
        password = await accounts.reset_password(user_id, by=actor, now=clock.now())
        return PasswordReset(one_time_password=password)
