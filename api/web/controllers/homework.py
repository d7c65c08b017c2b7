"""Homework forms (admins write, staff read), assignments and submissions (clinical)."""

from typing import Literal
from uuid import UUID

from litestar import Controller, Response, get, patch, post, put
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from api.core import clock
from api.core.actor import Actor, Role
from api.core.schemas import DEFAULT_PAGE_SIZE, Page
from api.web.etags import etag, version_from_if_match
from api.web.openapi_docs import problems
from api.web.params import IfMatch, PageSize, with_etag
from api.web.security import requires
from materials import forms, homework
from materials.schemas.forms import (
    FormCreate,
    FormRead,
    FormVersionCreate,
    FormVersionRead,
    FormVersionUpdate,
)
from materials.schemas.homework import (
    AssignmentRead,
    CommentSave,
    SessionHomework,
    SubmissionSave,
)

WRITE = requires(Role.ADMIN)
READ = requires(Role.ADMIN, Role.FACILITATOR, Role.SUPERVISOR)
CLINICAL = requires(Role.FACILITATOR, Role.SUPERVISOR)


class HomeworkFormController(Controller):
    """/api/v1/homework-forms: forms and their versions."""

    path = "/homework-forms"
    tags = ("materials",)

    @get("/", guards=[READ], summary="List homework forms")
    async def list_forms(
        self,
        actor: NamedDependency[Actor],
        cursor: FromQuery[str | None] = None,
        limit: PageSize = DEFAULT_PAGE_SIZE,
    ) -> Page[FormRead]:
        """By slug, with each form's published and draft versions."""
        return await forms.list_forms(by=actor, cursor=cursor, limit=limit)

    @post(
        "/",
        guards=[WRITE],
        status_code=HTTP_201_CREATED,
        opt=problems(409),
        summary="Add a homework form (its first draft)",
    )
    async def create_form(
        self, data: JSONBody[FormCreate], actor: NamedDependency[Actor]
    ) -> Response[FormVersionRead]:
        """A taken slug is a 409 naming ``slug``."""
        version = await forms.create_form(data, by=actor, now=clock.now())
        return with_etag(version, HTTP_201_CREATED)

    @get("/{form_id:uuid}", guards=[READ], opt=problems(404), summary="One homework form")
    async def get_form(self, form_id: FromPath[UUID], actor: NamedDependency[Actor]) -> FormRead:
        """Its latest published version and its draft."""
        return await forms.get_form(form_id, by=actor)

    @post(
        "/{form_id:uuid}/versions",
        guards=[WRITE],
        status_code=HTTP_201_CREATED,
        opt=problems(404, 409),
        summary="Start a form's next draft version",
    )
    async def create_version(
        self,
        form_id: FromPath[UUID],
        data: JSONBody[FormVersionCreate],
        actor: NamedDependency[Actor],
    ) -> Response[FormVersionRead]:
        """409 while a draft is open (edit that one)."""
        version = await forms.create_form_version(form_id, data, by=actor, now=clock.now())
        return with_etag(version, HTTP_201_CREATED)


class HomeworkFormVersionController(Controller):
    """/api/v1/homework-form-versions: read, edit a draft, publish."""

    path = "/homework-form-versions"
    tags = ("materials",)

    @get("/{version_id:uuid}", guards=[READ], opt=problems(404), summary="One form version")
    async def get_version(
        self, version_id: FromPath[UUID], actor: NamedDependency[Actor]
    ) -> Response[FormVersionRead]:
        """Its fields, with the ETag for an edit."""
        return with_etag(await forms.get_form_version(version_id, by=actor))

    @patch(
        "/{version_id:uuid}",
        guards=[WRITE],
        opt=problems(404, 409, 412, 428),
        summary="Edit a draft form version",
    )
    async def update_version(
        self,
        version_id: FromPath[UUID],
        data: JSONBody[FormVersionUpdate],
        actor: NamedDependency[Actor],
        if_match: IfMatch = None,
    ) -> Response[FormVersionRead]:
        """Needs If-Match; a published version is a 409."""
        version = await forms.update_form_version(
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
        summary="Publish a draft form version",
    )
    async def publish_version(
        self, version_id: FromPath[UUID], actor: NamedDependency[Actor], if_match: IfMatch = None
    ) -> Response[FormVersionRead]:
        """Needs If-Match; from now on it never changes."""
        version = await forms.publish_form_version(
            version_id,
            expected_version=version_from_if_match(if_match),
            by=actor,
            now=clock.now(),
        )
        return with_etag(version)


class SessionHomeworkController(Controller):
    """/api/v1/sessions/{id}/homework: who has done the homework, before the next session."""

    path = "/sessions/{session_id:uuid}/homework"
    tags = ("materials",)

    @get(
        "/",
        guards=[CLINICAL],
        opt=problems(404),
        summary="What a session handed out and what has come back",
    )
    async def session_homework(
        self,
        session_id: FromPath[UUID],
        actor: NamedDependency[Actor],
        kind: FromQuery[Literal["homework", "module", "all"]] = "homework",
        cursor: FromQuery[str | None] = None,
        limit: PageSize = DEFAULT_PAGE_SIZE,
    ) -> SessionHomework:
        """The group's facilitators and supervisors; counts of submitted, in progress, none."""
        return await homework.session_homework(
            session_id,
            by=actor,
            now=clock.now(),
            kind=None if kind == "all" else kind,
            cursor=cursor,
            limit=limit,
        )


class EnrolmentAssignmentController(Controller):
    """/api/v1/enrolments/{id}/assignments: what one patient was given, with answers."""

    path = "/enrolments/{enrolment_id:uuid}/assignments"
    tags = ("materials",)

    @get("/", guards=[CLINICAL], opt=problems(404), summary="A patient's modules and homework")
    async def enrolment_assignments(
        self,
        enrolment_id: FromPath[UUID],
        actor: NamedDependency[Actor],
        cursor: FromQuery[str | None] = None,
        limit: PageSize = DEFAULT_PAGE_SIZE,
    ) -> Page[AssignmentRead]:
        """The group's facilitators and supervisors; catch-up packs marked."""
        return await homework.enrolment_assignments(
            enrolment_id, by=actor, now=clock.now(), cursor=cursor, limit=limit
        )


class AssignmentController(Controller):
    """/api/v1/assignments: one assignment, entering a paper diary, commenting."""

    path = "/assignments/{assignment_id:uuid}"
    tags = ("materials",)

    @get("/", guards=[CLINICAL], opt=problems(404), summary="One assignment and its answers")
    async def get_assignment(
        self, assignment_id: FromPath[UUID], actor: NamedDependency[Actor]
    ) -> AssignmentRead:
        """The group's facilitators and supervisors."""
        return await homework.get_assignment(assignment_id, by=actor, now=clock.now())

    @put(
        "/submission",
        guards=[CLINICAL],
        opt=problems(404, 409, 412),
        summary="Enter a patient's homework (a paper diary) as draft or final",
    )
    async def save_submission(
        self,
        assignment_id: FromPath[UUID],
        data: JSONBody[SubmissionSave],
        actor: NamedDependency[Actor],
        if_match: IfMatch = None,
    ) -> Response[AssignmentRead]:
        """Recorded as entered by you. Drafts save repeatedly; once submitted, 409.

        If-Match is optional: send the submission's ETag to refuse a save over someone
        else's (412). Each problem with the answers names its field and row.
        """
        saved = await homework.save_submission(
            assignment_id,
            data,
            expected_version=version_from_if_match(if_match),
            by=actor,
            now=clock.now(),
        )
        version = saved.submission.version if saved.submission else 0
        return Response(saved, headers={"ETag": etag(version)})

    @put(
        "/submission/comment",
        guards=[CLINICAL],
        opt=problems(404),
        summary="Leave a comment the patient will see",
    )
    async def comment(
        self,
        assignment_id: FromPath[UUID],
        data: JSONBody[CommentSave],
        actor: NamedDependency[Actor],
    ) -> AssignmentRead:
        """Replaces any earlier comment; 404 until something has been saved."""
        return await homework.comment_on_submission(
            assignment_id, data.comment, by=actor, now=clock.now()
        )


CONTROLLERS: list[type[Controller]] = [
    HomeworkFormController,
    HomeworkFormVersionController,
    SessionHomeworkController,
    EnrolmentAssignmentController,
    AssignmentController,
]
