"""Measure sets: single and whole-group entry, corrections, FHIR export."""

from typing import Any
from uuid import UUID

from litestar import Controller, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from api.core import clock
from api.core.actor import Actor, Role
from api.core.schemas import DEFAULT_PAGE_SIZE, Page
from api.web.openapi_docs import problems
from api.web.params import PageSize, with_etag
from api.web.security import requires
from groups import charts, fhir_export, measures
from groups.schemas.measures import (
    MeasureBatchCreate,
    MeasureBatchRead,
    MeasureSetCreate,
    MeasureSetRead,
)

# Clinical records: the group's facilitators and supervisors; admins are refused.
CLINICAL = requires(Role.FACILITATOR, Role.SUPERVISOR)
FHIR_JSON = "application/fhir+json"


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


class PatientMeasuresController(Controller):
    """/api/v1/patients/{patient_id}/measures: a patient's scores, for clinical staff."""

    path = "/patients/{patient_id:uuid}/measures"
    tags = ("measures",)

    @get("/", guards=[CLINICAL], opt=problems(404), summary="A patient's measure sets")
    async def list_patient_measures(
        self,
        patient_id: FromPath[UUID],
        actor: NamedDependency[Actor],
        cursor: FromQuery[str | None] = None,
        limit: PageSize = DEFAULT_PAGE_SIZE,
    ) -> Page[MeasureSetRead]:
        """Oldest entered first, with each set's band and any risk alert."""
        return await measures.list_patient_measures(
            patient_id, by=actor, now=clock.now(), cursor=cursor, limit=limit
        )

    @get(
        "/fhir",
        guards=[CLINICAL],
        opt=problems(404),
        media_type=FHIR_JSON,
        summary="A patient's measure sets as a FHIR R4 Bundle",
    )
    async def patient_fhir(
        self, patient_id: FromPath[UUID], actor: NamedDependency[Actor]
    ) -> Response[dict[str, Any]]:
        """QuestionnaireResponse per set and Observation per total, LOINC-coded where coded."""
        bundle = await fhir_export.patient_bundle(patient_id, by=actor, now=clock.now())
        return Response(bundle, media_type=FHIR_JSON)

    @get(
        "/chart.svg",
        guards=[CLINICAL],
        opt=problems(404),
        media_type=charts.SVG_MEDIA_TYPE,
        summary="A patient's PHQ-9 and GAD-7 by session (SVG)",
    )
    async def patient_chart(
        self, patient_id: FromPath[UUID], actor: NamedDependency[Actor]
    ) -> Response[str]:
        """With the caseness lines."""
        body = await charts.patient_chart(patient_id, by=actor, now=clock.now())
        return Response(body, media_type=charts.SVG_MEDIA_TYPE)


# Registered by the app factory under /api/v1 (staff, signed in, role-guarded per route).
CONTROLLERS: list[type[Controller]] = [SessionMeasuresController, PatientMeasuresController]
