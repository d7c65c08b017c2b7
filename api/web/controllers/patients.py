"""Patients: admins create and edit; admins and supervisors read and search.

A facilitator reads one patient enrolled in a group they run (the service checks the
enrolment) and no other; search stays with admins and supervisors.
"""

from datetime import date
from typing import Annotated
from uuid import UUID

from litestar import Controller, Response, get, patch, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter
from litestar.status_codes import HTTP_201_CREATED

from api.core import clock
from api.core.actor import Actor, Role
from api.core.schemas import DEFAULT_PAGE_SIZE, Page
from api.web.etags import version_from_if_match
from api.web.openapi_docs import problems
from api.web.params import IfMatch, PageSize, with_etag
from api.web.security import requires
from groups import patients
from groups.schemas.patients import PatientCreate, PatientRead, PatientUpdate

WRITE = requires(Role.ADMIN)
READ = requires(Role.ADMIN, Role.SUPERVISOR)
# The service lets a facilitator through only for a patient of a group they run.
READ_ONE = requires(Role.ADMIN, Role.SUPERVISOR, Role.FACILITATOR)


class PatientController(Controller):
    """/api/v1/patients: create, search, read, edit; every read audited."""

    path = "/patients"
    tags = ("patients",)

    @get("/", guards=[READ], summary="Search patients")
    async def search_patients(
        self,
        actor: NamedDependency[Actor],
        nhs_number: FromQuery[str | None] = None,
        family_name: Annotated[
            str | None, QueryParameter(description="Any case; with date_of_birth.")
        ] = None,
        date_of_birth: FromQuery[date | None] = None,
        cursor: FromQuery[str | None] = None,
        limit: PageSize = DEFAULT_PAGE_SIZE,
    ) -> Page[PatientRead]:
        """By NHS number, or by family name and date of birth; each patient shown is audited."""
        return await patients.search_patients(
            by=actor,
            now=clock.now(),
            nhs_number=nhs_number,
            family_name=family_name,
            date_of_birth=date_of_birth,
            cursor=cursor,
            limit=limit,
        )

    @post(
        "/",
        guards=[WRITE],
        status_code=HTTP_201_CREATED,
        opt=problems(409),
        summary="Add a patient",
    )
    async def create_patient(
        self, data: JSONBody[PatientCreate], actor: NamedDependency[Actor]
    ) -> Response[PatientRead]:
        """A held NHS number is a 409 whose existing_patient_id names the record."""
        patient = await patients.create_patient(data, by=actor, now=clock.now())
        return with_etag(patient, HTTP_201_CREATED)

    @get("/{patient_id:uuid}", guards=[READ_ONE], opt=problems(404), summary="One patient")
    async def get_patient(
        self, patient_id: FromPath[UUID], actor: NamedDependency[Actor]
    ) -> Response[PatientRead]:
        """With its ETag; the read is audited."""
        return with_etag(await patients.get_patient(patient_id, by=actor, now=clock.now()))

    @patch(
        "/{patient_id:uuid}",
        guards=[WRITE],
        opt=problems(404, 409, 412, 428),
        summary="Edit a patient",
    )
    async def update_patient(
        self,
        patient_id: FromPath[UUID],
        data: JSONBody[PatientUpdate],
        actor: NamedDependency[Actor],
        if_match: IfMatch = None,
    ) -> Response[PatientRead]:
        """Needs If-Match: two admins editing at once never overwrite each other."""
        patient = await patients.update_patient(
            patient_id,
            data,
            expected_version=version_from_if_match(if_match),
            by=actor,
            now=clock.now(),
        )
        return with_etag(patient)
