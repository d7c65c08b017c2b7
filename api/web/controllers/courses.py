"""Courses and their session plans: admins write, every staff role reads."""

from typing import Annotated
from uuid import UUID

from litestar import Controller, Response, get, patch, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from api.core import clock
from api.core.actor import Actor, Role
from api.core.schemas import DEFAULT_PAGE_SIZE, Page
from api.web.etags import version_from_if_match
from api.web.openapi_docs import problems
from api.web.params import IfMatch, PageSize, with_etag
from api.web.security import requires
from groups import courses
from groups.schemas.courses import CourseCreate, CourseRead, CourseUpdate, Problem

WRITE = requires(Role.ADMIN)
READ = requires(Role.ADMIN, Role.FACILITATOR, Role.SUPERVISOR)


class CourseController(Controller):
    """/api/v1/courses: create, list, read, edit, archive."""

    path = "/courses"
    tags = ("courses",)

    @get("/", guards=[READ], summary="List courses")
    async def list_courses(
        self,
        actor: NamedDependency[Actor],
        problem: FromQuery[Problem | None] = None,
        language: Annotated[
            str | None, QueryParameter(description='A BCP 47 tag, e.g. "cy".')
        ] = None,
        include_archived: FromQuery[bool] = False,
        cursor: FromQuery[str | None] = None,
        limit: PageSize = DEFAULT_PAGE_SIZE,
    ) -> Page[CourseRead]:
        """By name, a page at a time; archived courses only with include_archived."""
        return await courses.list_courses(
            by=actor,
            problem=problem,
            language=language,
            include_archived=include_archived,
            cursor=cursor,
            limit=limit,
        )

    @post(
        "/", guards=[WRITE], status_code=HTTP_201_CREATED, opt=problems(409), summary="Add a course"
    )
    async def create_course(
        self, data: JSONBody[CourseCreate], actor: NamedDependency[Actor]
    ) -> Response[CourseRead]:
        """A duplicate name is a 409 naming ``name``; the answer carries the ETag."""
        course = await courses.create_course(data, by=actor, now=clock.now())
        return with_etag(course, HTTP_201_CREATED)

    @get("/{course_id:uuid}", guards=[READ], opt=problems(404), summary="One course")
    async def get_course(
        self, course_id: FromPath[UUID], actor: NamedDependency[Actor]
    ) -> Response[CourseRead]:
        """With its ETag, for a later edit's If-Match."""
        return with_etag(await courses.get_course(course_id, by=actor))

    @patch(
        "/{course_id:uuid}",
        guards=[WRITE],
        opt=problems(404, 409, 412, 428),
        summary="Edit a course",
    )
    async def update_course(
        self,
        course_id: FromPath[UUID],
        data: JSONBody[CourseUpdate],
        actor: NamedDependency[Actor],
        if_match: IfMatch = None,
    ) -> Response[CourseRead]:
        """Needs If-Match. Groups already created from the course keep their copy of the plan."""
        course = await courses.update_course(
            course_id,
            data,
            expected_version=version_from_if_match(if_match),
            by=actor,
            now=clock.now(),
        )
        return with_etag(course)

    @post(
        "/{course_id:uuid}/archive",
        guards=[WRITE],
        status_code=HTTP_200_OK,
        opt=problems(404, 412, 428),
        summary="Archive a course",
    )
    async def archive_course(
        self, course_id: FromPath[UUID], actor: NamedDependency[Actor], if_match: IfMatch = None
    ) -> Response[CourseRead]:
        """Hidden from default lists and closed to new groups; existing groups are unchanged."""
        course = await courses.set_archived(
            course_id,
            archived=True,
            expected_version=version_from_if_match(if_match),
            by=actor,
            now=clock.now(),
        )
        return with_etag(course)

    @post(
        "/{course_id:uuid}/unarchive",
        guards=[WRITE],
        status_code=HTTP_200_OK,
        opt=problems(404, 412, 428),
        summary="Unarchive a course",
    )
    async def unarchive_course(
        self, course_id: FromPath[UUID], actor: NamedDependency[Actor], if_match: IfMatch = None
    ) -> Response[CourseRead]:
        """Back in lists and open to new groups."""
        course = await courses.set_archived(
            course_id,
            archived=False,
            expected_version=version_from_if_match(if_match),
            by=actor,
            now=clock.now(),
        )
        return with_etag(course)
