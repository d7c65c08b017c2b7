"""The outbox: what is queued, sent and failed; resend; the message templates."""

from uuid import UUID

from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery
from litestar.status_codes import HTTP_200_OK

from api.core import clock
from api.core.actor import Actor, Role
from api.core.schemas import DEFAULT_PAGE_SIZE, Page
from api.web.openapi_docs import problems
from api.web.params import PageSize
from api.web.security import requires
from scheduling import outbox_queries
from scheduling.schemas.outbox import MessageTemplateRead, OutboxMessageRead

STAFF = requires(Role.ADMIN, Role.FACILITATOR, Role.SUPERVISOR)
OFFICE = requires(Role.ADMIN, Role.SUPERVISOR)


class OutboxController(Controller):
    """/api/v1/outbox: delivery status per patient and group, failures, resend, templates."""

    path = "/outbox"
    tags = ("outbox",)

    @get(
        "/patients/{patient_id:uuid}/messages",
        guards=[STAFF],
        opt=problems(404),
        summary="A patient's messages",
    )
    async def patient_messages(
        self,
        patient_id: FromPath[UUID],
        actor: NamedDependency[Actor],
        cursor: FromQuery[str | None] = None,
        limit: PageSize = DEFAULT_PAGE_SIZE,
    ) -> Page[OutboxMessageRead]:
        """Newest first: status, attempts and errors, never the text."""
        return await outbox_queries.patient_messages(
            patient_id, by=actor, now=clock.now(), cursor=cursor, limit=limit
        )

    @get(
        "/groups/{group_id:uuid}/messages",
        guards=[STAFF],
        opt=problems(404),
        summary="Messages to a group's patients",
    )
    async def group_messages(
        self,
        group_id: FromPath[UUID],
        actor: NamedDependency[Actor],
        cursor: FromQuery[str | None] = None,
        limit: PageSize = DEFAULT_PAGE_SIZE,
    ) -> Page[OutboxMessageRead]:
        """Messages to everyone enrolled in the group, newest first."""
        return await outbox_queries.group_messages(
            group_id, by=actor, now=clock.now(), cursor=cursor, limit=limit
        )

    @get("/failed", guards=[OFFICE], summary="Failed messages")
    async def failed_messages(
        self,
        actor: NamedDependency[Actor],
        cursor: FromQuery[str | None] = None,
        limit: PageSize = DEFAULT_PAGE_SIZE,
    ) -> Page[OutboxMessageRead]:
        """Messages that failed for good, newest first, with the reason."""
        return await outbox_queries.failed_messages(
            by=actor, now=clock.now(), cursor=cursor, limit=limit
        )

    @post(
        "/messages/{message_id:uuid}/resend",
        guards=[OFFICE],
        status_code=HTTP_200_OK,
        opt=problems(404, 409),
        summary="Send a failed message again",
    )
    async def resend(
        self, message_id: FromPath[UUID], actor: NamedDependency[Actor]
    ) -> OutboxMessageRead:
        """Back in the queue, due now, attempts from zero; 409 unless it failed."""
        return await outbox_queries.resend_message(message_id, by=actor, now=clock.now())

    @get("/templates", guards=[STAFF], summary="Message templates")
    async def templates(self) -> Page[MessageTemplateRead]:
        """Every message kind's wording per language and its Notify template id."""
        return outbox_queries.message_templates()


# Registered by the app factory under /api/v1 (staff, signed in, role-guarded per route).
CONTROLLERS: list[type[Controller]] = [OutboxController]
