"""Supervision lists, discussions and step-up decisions (clinical: never admins)."""

from uuid import UUID

from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from api.core import clock
from api.core.actor import Actor, Role
from api.core.schemas import DEFAULT_PAGE_SIZE, Page
from api.web.openapi_docs import problems
from api.web.params import PageSize
from api.web.security import requires
from groups import step_up, supervision
from groups.schemas.supervision import (
    DiscussionCreate,
    DiscussionRead,
    StepUpCreate,
    StepUpRead,
    SupervisionItem,
)

CLINICAL = requires(Role.FACILITATOR, Role.SUPERVISOR)


class SupervisionController(Controller):
    """/api/v1/supervision: flagged enrolments, a page at a time."""

    path = "/supervision"
    tags = ("supervision",)

    @get("/", guards=[CLINICAL], opt=problems(404), summary="The supervision list")
    async def supervision_list(
        self,
        actor: NamedDependency[Actor],
        group_id: FromQuery[UUID | None] = None,
        cursor: FromQuery[str | None] = None,
        limit: PageSize = DEFAULT_PAGE_SIZE,
    ) -> Page[SupervisionItem]:
        """Supervisors: every flagged active or opted-in enrolment; facilitators: their groups'.

        ``group_id`` narrows the list to one group (404 unknown, 403 not yours).
        """
        return await supervision.supervision_list(
            by=actor, now=clock.now(), group_id=group_id, cursor=cursor, limit=limit
        )


class EnrolmentDecisionController(Controller):
    """/api/v1/enrolments/{enrolment_id}: supervision discussions and step-up."""

    path = "/enrolments/{enrolment_id:uuid}"
    tags = ("supervision",)

    @post(
        "/discussions",
        guards=[CLINICAL],
        status_code=HTTP_201_CREATED,
        opt=problems(404),
        summary="Record a supervision discussion",
    )
    async def record_discussion(
        self,
        enrolment_id: FromPath[UUID],
        data: JSONBody[DiscussionCreate],
        actor: NamedDependency[Actor],
    ) -> DiscussionRead:
        """Who, when, the note; clears the new, not-recently-discussed and DNA-review flags."""
        return await supervision.record_discussion(enrolment_id, data, by=actor, now=clock.now())

    @get(
        "/discussions",
        guards=[CLINICAL],
        opt=problems(404),
        summary="An enrolment's supervision discussions",
    )
    async def list_discussions(
        self,
        enrolment_id: FromPath[UUID],
        actor: NamedDependency[Actor],
        cursor: FromQuery[str | None] = None,
        limit: PageSize = DEFAULT_PAGE_SIZE,
    ) -> Page[DiscussionRead]:
        """Newest first, a page at a time; audited."""
        return await supervision.list_discussions(
            enrolment_id, by=actor, now=clock.now(), cursor=cursor, limit=limit
        )

    @post(
        "/step-up",
        guards=[CLINICAL],
        status_code=HTTP_200_OK,
        opt=problems(404, 409),
        summary="Step up or refer on",
    )
    async def step_up(
        self,
        enrolment_id: FromPath[UUID],
        data: JSONBody[StepUpCreate],
        actor: NamedDependency[Actor],
    ) -> StepUpRead:
        """Only from active or opted-in (else 409); the enrolment ends as stepped up."""
        return await step_up.step_up(enrolment_id, data, by=actor, now=clock.now())


# Registered by the app factory under /api/v1 (staff, signed in, role-guarded per route).
CONTROLLERS: list[type[Controller]] = [SupervisionController, EnrolmentDecisionController]
