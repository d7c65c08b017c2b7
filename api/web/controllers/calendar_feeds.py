"""Calendar feeds: staff manage secret feed URLs; subscribers fetch them by token."""

from typing import Annotated
from uuid import UUID

from litestar import Controller, Response, delete, get, post
from litestar.datastructures import ResponseHeader
from litestar.di import NamedDependency
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath, FromQuery, HeaderParameter, JSONBody, PathParameter
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED, HTTP_304_NOT_MODIFIED

from api.core import clock
from api.core.actor import Actor, Role
from api.core.schemas import DEFAULT_PAGE_SIZE, Page
from api.web.openapi_docs import problems
from api.web.params import PageSize
from api.web.security import PUBLIC_OPT, requires
from scheduling.feeds import tokens
from scheduling.feeds.download import feed_document
from scheduling.schemas.feeds import (
    CalendarFeedCreate,
    CalendarFeedCreated,
    CalendarFeedRead,
    FeedOwnerKind,
)

# Litestar adds "; charset=utf-8" to text types: the answer reads text/calendar; charset=utf-8.
CALENDAR_MEDIA_TYPE = "text/calendar"
# Calendar apps poll; five minutes of reuse spares the database, and "private" keeps the
# secret URL's answer out of shared caches.
CACHE_CONTROL = "private, max-age=300"
MANAGE = requires(Role.ADMIN, Role.FACILITATOR)


class CalendarFeedController(Controller):
    """/api/v1/calendar-feeds: make (the URL shown once), list and revoke feed URLs."""

    path = "/calendar-feeds"
    tags = ("calendar feeds",)

    @post(
        "/",
        guards=[MANAGE],
        status_code=HTTP_201_CREATED,
        opt=problems(404),
        summary="Make a calendar feed URL",
    )
    async def create_feed(
        self, data: JSONBody[CalendarFeedCreate], actor: NamedDependency[Actor]
    ) -> CalendarFeedCreated:
        """The answer's ``url_path`` is the only time the feed's URL is ever shown.

        Facilitators make their own feed and feeds of their groups' patients; admins make
        any facilitator's, venue's or patient's.
        """
        return await tokens.create_feed(data, by=actor, now=clock.now())

    @get("/", guards=[MANAGE], summary="List calendar feeds")
    async def list_feeds(
        self,
        actor: NamedDependency[Actor],
        owner_kind: FromQuery[FeedOwnerKind | None] = None,
        owner_id: FromQuery[UUID | None] = None,
        include_revoked: FromQuery[bool] = False,
        cursor: FromQuery[str | None] = None,
        limit: PageSize = DEFAULT_PAGE_SIZE,
    ) -> Page[CalendarFeedRead]:
        """Newest first, never with their URLs.

        The feeds you made or that show your sessions; or, with owner_kind and owner_id
        together, one owner's feeds, where you may manage them.
        """
        return await tokens.list_feeds(
            by=actor,
            now=clock.now(),
            owner_kind=owner_kind,
            owner_id=owner_id,
            include_revoked=include_revoked,
            cursor=cursor,
            limit=limit,
        )

    @delete("/{feed_id:uuid}", guards=[MANAGE], opt=problems(404), summary="Revoke a calendar feed")
    async def revoke_feed(self, feed_id: FromPath[UUID], actor: NamedDependency[Actor]) -> None:
        """At once: the next fetch of its URL is a 404. The record stays, marked revoked."""
        await tokens.revoke_feed(feed_id, by=actor, now=clock.now())


_CALENDAR_HEADERS = [
    ResponseHeader(
        name="ETag", description="Changes when the calendar does.", documentation_only=True
    ),
    ResponseHeader(name="Cache-Control", description=CACHE_CONTROL, documentation_only=True),
]


class CalendarFeedDownloadController(Controller):
    """/feeds/{token}.ics: the calendar, for a calendar app subscribed to the secret URL."""

    path = "/feeds"
    tags = ("calendar feeds",)

    @get(
        "/{filename:str}",
        # Public: the secret token in the path is the credential (see public_routes.py).
        opt={PUBLIC_OPT: True, **problems(404)},
        media_type=CALENDAR_MEDIA_TYPE,
        response_headers=_CALENDAR_HEADERS,
        responses={
            HTTP_304_NOT_MODIFIED: ResponseSpec(
                data_container=None, description="Unchanged since the ETag in If-None-Match."
            )
        },
        summary="A calendar feed (iCalendar)",
    )
    async def download(
        self,
        filename: Annotated[str, PathParameter(description="The feed's token and .ics, as made.")],
        if_none_match: Annotated[
            str | None,
            HeaderParameter(name="If-None-Match", description="The ETag of a copy you hold."),
        ] = None,
    ) -> Response[bytes]:
        """RFC 5545, times in the service's zone with its VTIMEZONE.

        An unknown, malformed or revoked token is a 404, the same for each.
        """
        document = await feed_document(filename, now=clock.now())
        headers = {"ETag": document.etag, "Cache-Control": CACHE_CONTROL}
        if if_none_match is not None and _matches(if_none_match, document.etag):
            return Response(b"", status_code=HTTP_304_NOT_MODIFIED, headers=headers)
        return Response(
            document.body, status_code=HTTP_200_OK, media_type=CALENDAR_MEDIA_TYPE, headers=headers
        )


def _matches(if_none_match: str, etag: str) -> bool:
    """Whether If-None-Match names this ETag, or "*" (RFC 9110 13.1.2: weak comparison)."""
    tags = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
    return etag in tags or "*" in tags


# Staff routes, registered under /api/v1.
CONTROLLERS: list[type[Controller]] = [CalendarFeedController]
# Feed downloads, authenticated by the secret token in the path (see public_routes.py).
PUBLIC_CONTROLLERS: list[type[Controller]] = [CalendarFeedDownloadController]
