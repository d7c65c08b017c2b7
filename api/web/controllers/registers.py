"""Registers and session notes: the group's facilitators and supervisors (never admins)."""

from datetime import date
from typing import Annotated
from uuid import UUID

from litestar import Controller, Response, get, put
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
from groups import registers, session_notes, waiting_times
from groups.schemas.registers import (
    RegisterRead,
    RegisterWrite,
    SessionNoteRead,
    SessionNoteWrite,
    WaitingTimesRead,
)

CLINICAL = requires(Role.FACILITATOR, Role.SUPERVISOR)
NOTE_WRITERS = requires(Role.FACILITATOR)
WAITS = requires(Role.ADMIN, Role.SUPERVISOR)


class RegisterController(Controller):
    """/api/v1/sessions/{session_id}/register and /notes/{enrolment_id}."""

    path = "/sessions/{session_id:uuid}"
    tags = ("registers",)

    @put(
        "/register", guards=[CLINICAL], opt=problems(404, 409), summary="Take or correct a register"
    )
    async def submit_register(
        self,
        session_id: FromPath[UUID],
        data: JSONBody[RegisterWrite],
        actor: NamedDependency[Actor],
    ) -> RegisterRead:
        """The whole session's outcomes, all or nothing; a change is an audited correction."""
        return await registers.submit_register(session_id, data, by=actor, now=clock.now())

    @get("/register", guards=[CLINICAL], opt=problems(404), summary="A session's register")
    async def get_register(
        self, session_id: FromPath[UUID], actor: NamedDependency[Actor]
    ) -> RegisterRead:
        """Every enrolment on the register with its outcome (null until taken); audited."""
        return await registers.get_register(session_id, by=actor, now=clock.now())

    @put(
        "/notes/{enrolment_id:uuid}",
        guards=[NOTE_WRITERS],
        opt=problems(404, 409, 412, 428),
        summary="Write a session note",
    )
    async def save_note(
        self,
        session_id: FromPath[UUID],
        enrolment_id: FromPath[UUID],
        data: JSONBody[SessionNoteWrite],
        actor: NamedDependency[Actor],
        if_match: IfMatch = None,
    ) -> Response[SessionNoteRead]:
        """201 when created; an edit needs If-Match. The group's facilitators only."""
        note, created = await session_notes.save_note(
            session_id,
            enrolment_id,
            data,
            expected_version=version_from_if_match(if_match),
            by=actor,
            now=clock.now(),
        )
        return with_etag(note, HTTP_201_CREATED if created else HTTP_200_OK)

    @get("/notes", guards=[CLINICAL], opt=problems(404), summary="A session's notes")
    async def list_notes(
        self,
        session_id: FromPath[UUID],
        actor: NamedDependency[Actor],
        cursor: FromQuery[str | None] = None,
        limit: PageSize = DEFAULT_PAGE_SIZE,
    ) -> Page[SessionNoteRead]:
        """Every note written at the session, a page at a time; audited."""
        return await session_notes.list_notes(
            session_id, by=actor, now=clock.now(), cursor=cursor, limit=limit
        )

    @get(
        "/notes/{enrolment_id:uuid}",
        guards=[CLINICAL],
        opt=problems(404),
        summary="A session note",
    )
    async def get_note(
        self,
        session_id: FromPath[UUID],
        enrolment_id: FromPath[UUID],
        actor: NamedDependency[Actor],
    ) -> Response[SessionNoteRead]:
        """With its ETag; audited."""
        note = await session_notes.get_note(session_id, enrolment_id, by=actor, now=clock.now())
        return with_etag(note)


class WaitingTimesController(Controller):
    """/api/v1/courses/{course_id}/waiting-times: the figures services are judged on."""

    path = "/courses/{course_id:uuid}/waiting-times"
    tags = ("registers",)

    @get("/", guards=[WAITS], opt=problems(404), summary="A course's waiting times")
    async def waiting_times(
        self,
        course_id: FromPath[UUID],
        actor: NamedDependency[Actor],
        from_date: Annotated[
            date | None,
            QueryParameter(name="from", description="First day (local), default a year ago."),
        ] = None,
        to_date: Annotated[
            date | None, QueryParameter(name="to", description="Last day (local), default today.")
        ] = None,
    ) -> WaitingTimesRead:
        """Referral to enrolment and to first attended session: count, median, 90th centile."""
        return await waiting_times.waiting_times(
            course_id, by=actor, now=clock.now(), from_date=from_date, to_date=to_date
        )


# Registered by the app factory under /api/v1 (staff, signed in, role-guarded per route).
CONTROLLERS: list[type[Controller]] = [RegisterController, WaitingTimesController]
