"""Self-help modules, versions and attachments: admins write, every staff role reads."""

from typing import Annotated, Any, cast
from uuid import UUID

from litestar import Controller, Request, Response, get, patch, post
from litestar.di import NamedDependency
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath, FromQuery, HeaderParameter, JSONBody, QueryParameter
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED, HTTP_304_NOT_MODIFIED

from api.core import clock
from api.core.actor import Actor, Role
from api.core.schemas import DEFAULT_PAGE_SIZE, Page
from api.web.etags import etag, version_from_if_match
from api.web.openapi_docs import problems
from api.web.params import IfMatch, PageSize, with_etag
from api.web.security import requires
from materials import attachments, modules
from materials.schemas.modules import (
    AttachmentRead,
    ModuleChoiceRead,
    ModuleCreate,
    ModuleRead,
    ModuleVersionCreate,
    ModuleVersionRead,
    ModuleVersionUpdate,
)

WRITE = requires(Role.ADMIN)
READ = requires(Role.ADMIN, Role.FACILITATOR, Role.SUPERVISOR)

NOT_MODIFIED = ResponseSpec(
    None, description="Not modified: the ETag named in If-None-Match is current."
)
IfNoneMatch = Annotated[
    str | None,
    HeaderParameter(name="If-None-Match", description="The ETag you hold: 304 when unchanged."),
]


def _matches(if_none_match: str, etag: str) -> bool:
    """Whether If-None-Match names this ETag (weak comparison, as RFC 9110 asks) or is *."""
    tags = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
    return "*" in tags or etag in tags


class ModuleController(Controller):
    """/api/v1/modules: modules and their variants' versions."""

    path = "/modules"
    tags = ("materials",)

    @get("/", guards=[READ], summary="List modules")
    async def list_modules(
        self,
        actor: NamedDependency[Actor],
        cursor: FromQuery[str | None] = None,
        limit: PageSize = DEFAULT_PAGE_SIZE,
    ) -> Page[ModuleRead]:
        """By slug, each with its variants' published and draft versions."""
        return await modules.list_modules(by=actor, cursor=cursor, limit=limit)

    @post(
        "/",
        guards=[WRITE],
        status_code=HTTP_201_CREATED,
        opt=problems(409),
        summary="Add a module (its first draft)",
    )
    async def create_module(
        self, data: JSONBody[ModuleCreate], actor: NamedDependency[Actor]
    ) -> Response[ModuleVersionRead]:
        """A taken slug is a 409 naming ``slug``; the draft carries its ETag."""
        version = await modules.create_module(data, by=actor, now=clock.now())
        return with_etag(version, HTTP_201_CREATED)

    @get("/{module_id:uuid}", guards=[READ], opt=problems(404), summary="One module")
    async def get_module(
        self, module_id: FromPath[UUID], actor: NamedDependency[Actor]
    ) -> ModuleRead:
        """Its variants, each with its latest published and its draft version."""
        return await modules.get_module(module_id, by=actor)

    @get(
        "/{module_id:uuid}/versions",
        guards=[READ],
        opt=problems(404),
        summary="A module's versions",
    )
    async def list_versions(
        self,
        module_id: FromPath[UUID],
        actor: NamedDependency[Actor],
        cursor: FromQuery[str | None] = None,
        limit: PageSize = DEFAULT_PAGE_SIZE,
    ) -> Page[ModuleVersionRead]:
        """Oldest first, a page at a time."""
        return await modules.list_versions(module_id, by=actor, cursor=cursor, limit=limit)

    @post(
        "/{module_id:uuid}/versions",
        guards=[WRITE],
        status_code=HTTP_201_CREATED,
        opt=problems(404, 409),
        summary="Start a new draft version of a variant",
    )
    async def create_version(
        self,
        module_id: FromPath[UUID],
        data: JSONBody[ModuleVersionCreate],
        actor: NamedDependency[Actor],
    ) -> Response[ModuleVersionRead]:
        """A new language or form, or the next version of one: 409 when a draft exists."""
        version = await modules.create_version(module_id, data, by=actor, now=clock.now())
        return with_etag(version, HTTP_201_CREATED)

    @get(
        "/{module_id:uuid}/choice",
        guards=[READ],
        opt=problems(404),
        summary="What a patient with these preferences would be given",
    )
    async def choose(
        self,
        module_id: FromPath[UUID],
        actor: NamedDependency[Actor],
        language: Annotated[
            str, QueryParameter(description='Preferred language, BCP 47, e.g. "cy".', max_length=35)
        ] = "en",
        needs: Annotated[
            list[str] | None,
            QueryParameter(
                description="Accessibility needs, e.g. easy_read, large_print.", max_items=5
            ),
        ] = None,
    ) -> ModuleChoiceRead:
        """Their language in the variant their needs ask for, or the named fallback."""
        return await modules.choose_for_patient(
            module_id, language=language, needs=[need[:30] for need in needs or []], by=actor
        )


class ModuleVersionController(Controller):
    """/api/v1/module-versions: read, edit a draft, publish."""

    path = "/module-versions"
    tags = ("materials",)

    @get(
        "/{version_id:uuid}",
        guards=[READ],
        opt=problems(404),
        summary="One module version",
        responses={304: NOT_MODIFIED},
    )
    async def get_version(
        self,
        version_id: FromPath[UUID],
        actor: NamedDependency[Actor],
        if_none_match: IfNoneMatch = None,
    ) -> Response[ModuleVersionRead]:
        """Markdown and sanitised HTML, with the ETag for an edit; If-None-Match: 304."""
        if if_none_match is not None:
            current = etag(await modules.current_version_number(version_id, by=actor))
            if _matches(if_none_match, current):
                unchanged = Response(
                    None, status_code=HTTP_304_NOT_MODIFIED, headers={"ETag": current}
                )
                return cast("Response[ModuleVersionRead]", unchanged)
        version = await modules.get_version(version_id, by=actor)
        return Response(version, headers={"ETag": etag(version.version)})

    @patch(
        "/{version_id:uuid}",
        guards=[WRITE],
        opt=problems(404, 409, 412, 428),
        summary="Edit a draft version",
    )
    async def update_version(
        self,
        version_id: FromPath[UUID],
        data: JSONBody[ModuleVersionUpdate],
        actor: NamedDependency[Actor],
        if_match: IfMatch = None,
    ) -> Response[ModuleVersionRead]:
        """Needs If-Match; a published version is a 409 (start a new draft instead)."""
        version = await modules.update_version(
            version_id,
            data,
            expected_version=version_from_if_match(if_match),
            by=actor,
            now=clock.now(),
        )
        return with_etag(version)

    @post(
        "/{version_id:uuid}/publish",
        guards=[WRITE],
        status_code=HTTP_200_OK,
        opt=problems(404, 409, 412, 428),
        summary="Publish a draft version",
    )
    async def publish_version(
        self, version_id: FromPath[UUID], actor: NamedDependency[Actor], if_match: IfMatch = None
    ) -> Response[ModuleVersionRead]:
        """Needs If-Match. From now on it never changes and assignments name it."""
        version = await modules.publish_version(
            version_id,
            expected_version=version_from_if_match(if_match),
            by=actor,
            now=clock.now(),
        )
        return with_etag(version)


class AttachmentController(Controller):
    """/api/v1/attachments: upload (raw bytes), details, content."""

    path = "/attachments"
    tags = ("materials",)

    @post(
        "/",
        guards=[WRITE],
        status_code=HTTP_201_CREATED,
        opt=problems(413, 415),
        summary="Upload an attachment (the request body is the file's bytes)",
        request_max_body_size=None,
    )
    async def upload(
        self,
        request: Request[Any, Any, Any],
        actor: NamedDependency[Actor],
        filename: Annotated[
            str, QueryParameter(description="A display name for the file.", max_length=200)
        ] = "",
    ) -> AttachmentRead:
        """PDF, PNG, JPEG or WebP, read from the bytes (else 415); over the limit, 413.

        The same bytes uploaded again answer the attachment already kept.
        """
        limit = attachments.max_bytes()
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            raise attachments.too_large()
        received = bytearray()
        async for chunk in request.stream():
            received.extend(chunk)
            if len(received) > limit:
                raise attachments.too_large()
        return await attachments.upload_attachment(
            bytes(received), filename=filename, by=actor, now=clock.now()
        )

    @get(
        "/{attachment_id:uuid}", guards=[READ], opt=problems(404), summary="An attachment's details"
    )
    async def get_attachment(
        self, attachment_id: FromPath[UUID], actor: NamedDependency[Actor]
    ) -> AttachmentRead:
        """Type (from its bytes), size and content hash."""
        return await attachments.get_attachment(attachment_id, by=actor)

    @get(
        "/{attachment_id:uuid}/content",
        guards=[READ],
        opt=problems(404),
        summary="An attachment's bytes",
        media_type="application/octet-stream",
        responses={304: NOT_MODIFIED},
    )
    async def content(
        self,
        attachment_id: FromPath[UUID],
        actor: NamedDependency[Actor],
        if_none_match: IfNoneMatch = None,
    ) -> Response[bytes]:
        """Served with its content type and a strong ETag (its SHA-256); If-None-Match: 304."""
        etag = await attachments.attachment_etag(attachment_id, by=actor)
        cache = {"ETag": etag, "Cache-Control": "private, max-age=3600"}
        if if_none_match is not None and _matches(if_none_match, etag):
            return Response(b"", status_code=HTTP_304_NOT_MODIFIED, headers=cache)
        found = await attachments.attachment_content(attachment_id, by=actor)
        return Response(
            found.data,
            media_type=found.content_type,
            headers={
                **cache,
                "X-Content-Type-Options": "nosniff",
                "Content-Disposition": f'inline; filename="{found.filename}"',
            },
        )


CONTROLLERS: list[type[Controller]] = [
    ModuleController,
    ModuleVersionController,
    AttachmentController,
]
