"""The session calendar: schedule preview and commit, move, cancel, interpreters."""

from uuid import UUID

from litestar import Controller, Response, delete, get, patch, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from api.core import clock
from api.core.actor import Actor, Role
from api.core.schemas import DEFAULT_PAGE_SIZE, Page
from api.web.etags import version_from_if_match
from api.web.openapi_docs import problems
from api.web.params import IfMatch, PageSize, with_etag
from api.web.security import requires
from groups import interpreters, session_services
from groups.schemas.sessions import (
    CancelRequest,
    GroupCancelled,
    InterpreterCreate,
    InterpreterRead,
    ScheduleCommitted,
    SchedulePreview,
    SessionMove,
    SessionRead,
)

WRITE = requires(Role.ADMIN)
READ = requires(Role.ADMIN, Role.FACILITATOR, Role.SUPERVISOR)


class GroupScheduleController(Controller):
    """/api/v1/groups/{id}: schedule (preview, commit), its sessions, cancel the group."""

    path = "/groups/{group_id:uuid}"
    tags = ("sessions",)

    @post(
        "/schedule/preview",
        guards=[WRITE],
        status_code=HTTP_200_OK,
        opt=problems(404, 409),
        summary="Preview a group's schedule",
    )
    async def preview_schedule(
        self,
        group_id: FromPath[UUID],
        actor: NamedDependency[Actor],
    ) -> SchedulePreview:
        """The sessions committing would create, the weeks skipped and why, every problem.

        Problems: room clashes, opening hours, facilitator clashes. Writes nothing and
        reads no body (one sent, such as ``{}``, is ignored).
        """
        return await session_services.preview_schedule(group_id, by=actor)

    @post(
        "/schedule",
        guards=[WRITE],
        status_code=HTTP_201_CREATED,
        opt=problems(404, 409, 412, 428),
        summary="Schedule a group",
    )
    async def commit_schedule(
        self, group_id: FromPath[UUID], actor: NamedDependency[Actor], if_match: IfMatch = None
    ) -> Response[ScheduleCommitted]:
        """Needs If-Match (the group's ETag). Books every session's room, all or nothing.

        Any clash refuses the whole schedule with a 409 listing every clashing date. The
        group becomes scheduled; the answer carries its new ETag.
        """
        committed = await session_services.commit_schedule(
            group_id,
            expected_version=version_from_if_match(if_match),
            by=actor,
            now=clock.now(),
        )
        return with_etag(committed, HTTP_201_CREATED)

    @get("/sessions", guards=[READ], opt=problems(404), summary="A group's sessions")
    async def list_sessions(
        self,
        group_id: FromPath[UUID],
        actor: NamedDependency[Actor],
        include_cancelled: FromQuery[bool] = True,
        cursor: FromQuery[str | None] = None,
        limit: PageSize = DEFAULT_PAGE_SIZE,
    ) -> Page[SessionRead]:
        """By number, a page at a time; for the group's facilitators, admins, supervisors."""
        return await session_services.list_group_sessions(
            group_id, by=actor, include_cancelled=include_cancelled, cursor=cursor, limit=limit
        )

    @post(
        "/cancel",
        guards=[WRITE],
        status_code=HTTP_200_OK,
        opt=problems(404, 409, 412, 428),
        summary="Cancel a group",
    )
    async def cancel_group(
        self,
        group_id: FromPath[UUID],
        data: JSONBody[CancelRequest],
        actor: NamedDependency[Actor],
        if_match: IfMatch = None,
    ) -> Response[GroupCancelled]:
        """Needs If-Match. Every future session and its booking is cancelled.

        Each patient holding a place is queued one message per consented channel.
        """
        cancelled = await session_services.cancel_group(
            group_id,
            data,
            expected_version=version_from_if_match(if_match),
            by=actor,
            now=clock.now(),
        )
        return with_etag(cancelled)


class SessionController(Controller):
    """/api/v1/sessions/{id}: read, move, cancel one session; its interpreters."""

    path = "/sessions/{session_id:uuid}"
    tags = ("sessions",)

    @get("/", guards=[READ], opt=problems(404), summary="One session")
    async def get_session(
        self, session_id: FromPath[UUID], actor: NamedDependency[Actor]
    ) -> Response[SessionRead]:
        """With its ETag, for a later move or cancel."""
        return with_etag(await session_services.get_session(session_id, by=actor))

    @patch("/", guards=[WRITE], opt=problems(404, 409, 412, 428), summary="Move a session")
    async def move_session(
        self,
        session_id: FromPath[UUID],
        data: JSONBody[SessionMove],
        actor: NamedDependency[Actor],
        if_match: IfMatch = None,
    ) -> Response[SessionRead]:
        """Needs If-Match. The room booking moves with it (every booking rule re-checked).

        A room or facilitator clash is a 409 naming it. Patients holding a place are told.
        """
        moved = await session_services.move_session(
            session_id,
            data,
            expected_version=version_from_if_match(if_match),
            by=actor,
            now=clock.now(),
        )
        return with_etag(moved)

    @post(
        "/cancel",
        guards=[WRITE],
        status_code=HTTP_200_OK,
        opt=problems(404, 409, 412, 428),
        summary="Cancel a session",
    )
    async def cancel_session(
        self,
        session_id: FromPath[UUID],
        data: JSONBody[CancelRequest],
        actor: NamedDependency[Actor],
        if_match: IfMatch = None,
    ) -> Response[SessionRead]:
        """Needs If-Match. Its booking is cancelled (the row kept); patients are told."""
        cancelled = await session_services.cancel_session(
            session_id,
            data,
            expected_version=version_from_if_match(if_match),
            by=actor,
            now=clock.now(),
        )
        return with_etag(cancelled)

    @post(
        "/interpreters",
        guards=[WRITE],
        status_code=HTTP_201_CREATED,
        opt=problems(404, 409),
        summary="Book an interpreter for a session",
    )
    async def add_interpreter(
        self,
        session_id: FromPath[UUID],
        data: JSONBody[InterpreterCreate],
        actor: NamedDependency[Actor],
    ) -> InterpreterRead:
        """The patient named must hold a place in the session's group (else 409)."""
        return await interpreters.add_interpreter(session_id, data, by=actor, now=clock.now())

    @get("/interpreters", guards=[READ], opt=problems(404), summary="A session's interpreters")
    async def list_interpreters(
        self,
        session_id: FromPath[UUID],
        actor: NamedDependency[Actor],
        cursor: FromQuery[str | None] = None,
        limit: PageSize = DEFAULT_PAGE_SIZE,
    ) -> Page[InterpreterRead]:
        """Oldest first; the patients named are audited as read."""
        return await interpreters.list_interpreters(
            session_id, by=actor, now=clock.now(), cursor=cursor, limit=limit
        )

    @delete(
        "/interpreters/{interpreter_id:uuid}",
        guards=[WRITE],
        opt=problems(404),
        summary="Remove a session's interpreter",
    )
    async def remove_interpreter(
        self,
        session_id: FromPath[UUID],
        interpreter_id: FromPath[UUID],
        actor: NamedDependency[Actor],
    ) -> None:
        """The booking of the interpreter is removed (audited)."""
        await interpreters.remove_interpreter(session_id, interpreter_id, by=actor, now=clock.now())


# Registered by the app factory under /api/v1 (staff, signed in, role-guarded per route).
CONTROLLERS: list[type[Controller]] = [GroupScheduleController, SessionController]
