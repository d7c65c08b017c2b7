"""Texts patients send back: Notify's received-text callback, and the staff view of them."""

import hmac
from typing import Annotated
from uuid import UUID

from litestar import Controller, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, HeaderParameter, JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_204_NO_CONTENT

from api.core import clock
from api.core.actor import Actor, Role
from api.core.errors import NotAuthenticated, NotFound
from api.core.schemas import DEFAULT_PAGE_SIZE, Page
from api.core.settings import get_settings
from api.web.openapi_docs import problems
from api.web.params import PageSize
from api.web.security import PUBLIC_OPT, requires
from scheduling import replies
from scheduling.schemas.replies import InboundMessageRead, NotifyReceivedText

STAFF = requires(Role.ADMIN, Role.FACILITATOR, Role.SUPERVISOR)


def _check_callback_token(authorization: str | None) -> None:
    """Admit only ``Bearer <STEPWISE_NOTIFY_CALLBACK_TOKEN>``.

    With no token configured the callback is shut: every call answers the same 404 as a
    path with no route (the callback does not exist until a token is set).
    """
    configured = get_settings().messaging.notify_callback_token
    expected = configured.get_secret_value() if configured is not None else ""
    if not expected:
        raise NotFound("Not Found")
    given = authorization or ""
    # compare_digest on bytes: constant time whatever the content, no error on non-ASCII.
    if not hmac.compare_digest(given.encode(), f"Bearer {expected}".encode()):
        raise NotAuthenticated("The callback's bearer token is missing or wrong.")


class NotifyCallbackController(Controller):
    """/callbacks/notify: what GOV.UK Notify posts to us."""

    path = "/callbacks/notify"
    tags = ("replies",)

    @post(
        "/received-text",
        # Public: Notify's bearer token is the credential (see public_routes.py).
        opt={PUBLIC_OPT: True, **problems(401, 404)},
        status_code=HTTP_204_NO_CONTENT,
        summary="A text a patient sent (GOV.UK Notify's received-text callback)",
    )
    async def received_text(
        self,
        data: JSONBody[NotifyReceivedText],
        authorization: Annotated[
            str | None,
            HeaderParameter(name="Authorization", description="Bearer <the callback token>."),
        ] = None,
    ) -> Response[None]:
        """Stored once per Notify id; a YES confirms, a NO cancels that session (code 2).

        401 unless the Authorization header carries the configured callback token; 404
        for every call while no token is configured.
        """
        _check_callback_token(authorization)
        await replies.receive_text(data, now=clock.now())
        return Response(None, status_code=HTTP_204_NO_CONTENT)


class ReplyController(Controller):
    """/api/v1/replies: patients' texts, for the staff who may read them."""

    path = "/replies"
    tags = ("replies",)

    @get("/", guards=[STAFF], summary="Patients' replies to reminders")
    async def list_replies(
        self,
        actor: NamedDependency[Actor],
        unread: FromQuery[bool | None] = None,
        cursor: FromQuery[str | None] = None,
        limit: PageSize = DEFAULT_PAGE_SIZE,
    ) -> Page[InboundMessageRead]:
        """Newest first; ``unread=true`` only unread ones, ``false`` only read ones.

        Facilitators: matched replies about their groups' patients.

        Admins: unmatched and ambiguous replies (a number, no patient). Supervisors: all.
        """
        return await replies.list_replies(
            by=actor, now=clock.now(), unread=unread, cursor=cursor, limit=limit
        )

    @post(
        "/{reply_id:uuid}/read",
        guards=[STAFF],
        status_code=HTTP_200_OK,
        opt=problems(404),
        summary="Mark a reply read",
    )
    async def mark_read(
        self, reply_id: FromPath[UUID], actor: NamedDependency[Actor]
    ) -> InboundMessageRead:
        """The first reader and time are kept; 404 for a reply the caller may not see."""
        return await replies.mark_read(reply_id, by=actor, now=clock.now())


# Staff routes, registered under /api/v1.
CONTROLLERS: list[type[Controller]] = [ReplyController]
# Notify's callback, authenticated by its bearer token (see public_routes.py).
PUBLIC_CONTROLLERS: list[type[Controller]] = [NotifyCallbackController]
