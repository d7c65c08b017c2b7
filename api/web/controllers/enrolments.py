"""Enrolments: invite, opt in, transitions, waiting lists."""

from uuid import UUID

from litestar import Controller, Response, get, post
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
from groups import enrolments
from groups.group_services import enrolment_reads
from groups.schemas.enrolments import (
    EnrolmentCreate,
    EnrolmentRead,
    TransitionCreate,
    TransitionRead,
    WaitingListEntry,
)

WRITE = requires(Role.ADMIN)
MOVE = requires(Role.ADMIN, Role.FACILITATOR)
READ = requires(Role.ADMIN, Role.FACILITATOR, Role.SUPERVISOR)


class GroupEnrolmentController(Controller):
    """/api/v1/groups/{group_id}/enrolments and the waiting list."""

    path = "/groups/{group_id:uuid}"
    tags = ("enrolments",)

    @post(
        "/enrolments",
        guards=[WRITE],
        status_code=HTTP_201_CREATED,
        opt=problems(404, 409),
        summary="Enrol a patient",
    )
    async def enrol(
        self,
        group_id: FromPath[UUID],
        data: JSONBody[EnrolmentCreate],
        actor: NamedDependency[Actor],
    ) -> Response[EnrolmentRead]:
        """Invited while a place is free, else waitlisted in order; 409 if already enrolled."""
        enrolment = await enrolments.enrol(group_id, data, by=actor, now=clock.now())
        return with_etag(enrolment, HTTP_201_CREATED)

    @get("/enrolments", guards=[READ], opt=problems(404), summary="A group's enrolments")
    async def list_enrolments(
        self,
        group_id: FromPath[UUID],
        actor: NamedDependency[Actor],
        cursor: FromQuery[str | None] = None,
        limit: PageSize = DEFAULT_PAGE_SIZE,
    ) -> Page[EnrolmentRead]:
        """In the order they were made, with effective status; the read is audited."""
        return await enrolment_reads.list_enrolments(
            group_id, by=actor, now=clock.now(), cursor=cursor, limit=limit
        )

    @get("/waiting-list", guards=[READ], opt=problems(404), summary="A group's waiting list")
    async def waiting_list(
        self,
        group_id: FromPath[UUID],
        actor: NamedDependency[Actor],
        cursor: FromQuery[str | None] = None,
        limit: PageSize = DEFAULT_PAGE_SIZE,
    ) -> Page[WaitingListEntry]:
        """In order: position 1 is offered the next free place. Audited."""
        return await enrolment_reads.waiting_list(
            group_id, by=actor, now=clock.now(), cursor=cursor, limit=limit
        )


class EnrolmentController(Controller):
    """/api/v1/enrolments/{id}: read, move on, history."""

    path = "/enrolments/{enrolment_id:uuid}"
    tags = ("enrolments",)

    @get("/", guards=[READ], opt=problems(404), summary="One enrolment")
    async def get_enrolment(
        self, enrolment_id: FromPath[UUID], actor: NamedDependency[Actor]
    ) -> Response[EnrolmentRead]:
        """With its ETag for a transition's If-Match; audited."""
        return with_etag(
            await enrolment_reads.get_enrolment(enrolment_id, by=actor, now=clock.now())
        )

    @post(
        "/transitions",
        guards=[MOVE],
        status_code=HTTP_200_OK,
        opt=problems(404, 409, 412, 428),
        summary="Move an enrolment on",
    )
    async def transition(
        self,
        enrolment_id: FromPath[UUID],
        data: JSONBody[TransitionCreate],
        actor: NamedDependency[Actor],
        if_match: IfMatch = None,
    ) -> Response[EnrolmentRead]:
        """Needs If-Match. 409 names the allowed moves; a freed place goes to the next waiting."""
        enrolment = await enrolments.transition(
            enrolment_id,
            data,
            expected_version=version_from_if_match(if_match),
            by=actor,
            now=clock.now(),
        )
        return with_etag(enrolment)

    @get("/transitions", guards=[READ], opt=problems(404), summary="An enrolment's history")
    async def history(
        self,
        enrolment_id: FromPath[UUID],
        actor: NamedDependency[Actor],
        cursor: FromQuery[str | None] = None,
        limit: PageSize = DEFAULT_PAGE_SIZE,
    ) -> Page[TransitionRead]:
        """Every status change, oldest first."""
        return await enrolment_reads.transition_history(
            enrolment_id, by=actor, cursor=cursor, limit=limit
        )


# Registered by the app factory under /api/v1 (staff, signed in, role-guarded per route).
CONTROLLERS: list[type[Controller]] = [GroupEnrolmentController, EnrolmentController]
