"""Measure sets: single and whole-group entry, corrections, FHIR export."""

from uuid import UUID

from litestar import Controller, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from api.core import clock
from api.core.actor import Actor, Role
from api.core.schemas import Page
from api.web.openapi_docs import problems
from api.web.params import with_etag
from api.web.security import requires
from groups import measures
from groups.schemas.measures import (
    MeasureBatchCreate,
    MeasureBatchRead,
    MeasureSetCreate,
    MeasureSetRead,
)

# Clinical records: the group's facilitators and supervisors; admins are refused.
CLINICAL = requires(Role.FACILITATOR, Role.SUPERVISOR)


class SessionMeasuresController(Controller):
    """/api/v1/sessions/{session_id}/measures: enter, correct, read a session's sets."""

    path = "/sessions/{session_id:uuid}/measures"
    tags = ("measures",)

    @post(
        "/",
        guards=[CLINICAL],
        status_code=HTTP_201_CREATED,
        opt=problems(404, 409),
        summary="Enter (or correct) one measure set",
    )
    async def record_measure_set(
        self,
        session_id: FromPath[UUID],
        data: JSONBody[MeasureSetCreate],
        actor: NamedDependency[Actor],
    ) -> Response[MeasureSetRead]:
        """201 for a new set; 200 when the slot had one (a correction, or an unchanged retry).

        The server scores the answers; a PHQ-9 item 9 above 0 (or blank on paper) raises
        the set's one risk alert in the same transaction.
        """
        stored, created = await measures.record_measure_set(
            session_id, data, by=actor, now=clock.now()
        )
        return with_etag(stored, HTTP_201_CREATED if created else HTTP_200_OK)

    @post(
        "/batch",
        guards=[CLINICAL],
        status_code=HTTP_201_CREATED,
        opt=problems(404, 409),
        summary="Enter every patient's measure sets at a session",
    )
    async def record_group_measures(
        self,
        session_id: FromPath[UUID],
        data: JSONBody[MeasureBatchCreate],
        actor: NamedDependency[Actor],
    ) -> MeasureBatchRead:
        """All validated first (errors name the set, the enrolment and the item); all or none."""
        return await measures.record_group_measures(
            session_id, data.sets, by=actor, now=clock.now()
        )

    @get("/", guards=[CLINICAL], opt=problems(404), summary="A session's measure sets")
    async def list_session_measures(
        self, session_id: FromPath[UUID], actor: NamedDependency[Actor]
    ) -> Page[MeasureSetRead]:
        """Every set at the session in one page (at most the group's size times its instruments)."""
        items = await measures.list_session_measures(session_id, by=actor, now=clock.now())
        return Page[MeasureSetRead](items=items)


# Registered by the app factory under /api/v1 (staff, signed in, role-guarded per route).
CONTROLLERS: list[type[Controller]] = [SessionMeasuresController]
