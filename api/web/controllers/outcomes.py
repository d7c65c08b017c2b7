"""Outcomes: per group and course, charts and CSV exports."""

from uuid import UUID

from litestar import Controller, Response, get
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.status_codes import HTTP_200_OK

from api.core import clock
from api.core.actor import Actor, Role
from api.web.openapi_docs import problems
from api.web.security import requires
from groups import charts, outcome_reports
from groups.schemas.outcomes import CourseOutcomesRead, GroupOutcomesRead

CLINICAL = requires(Role.FACILITATOR, Role.SUPERVISOR)
CSV = "text/csv"


def _file(body: str, media_type: str, filename: str) -> Response[str]:
    return Response(
        body,
        status_code=HTTP_200_OK,
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


class GroupOutcomesController(Controller):
    """/api/v1/groups/{group_id}/outcomes: the group's facilitators and supervisors."""

    path = "/groups/{group_id:uuid}/outcomes"
    tags = ("outcomes",)

    @get("/", guards=[CLINICAL], opt=problems(404), summary="A group's outcomes")
    async def group_outcomes(
        self, group_id: FromPath[UUID], actor: NamedDependency[Actor]
    ) -> GroupOutcomesRead:
        """Finished, at caseness, recovered, reliable change, and the rates (not suppressed)."""
        return await outcome_reports.group_outcomes(group_id, by=actor)

    @get(
        "/patients.csv",
        guards=[CLINICAL],
        opt=problems(404),
        media_type=CSV,
        summary="A group's outcomes, one row per patient (CSV)",
    )
    async def group_outcomes_csv(
        self, group_id: FromPath[UUID], actor: NamedDependency[Actor]
    ) -> Response[str]:
        """For the clinical team only: patient-level, not suppressed; every read audited."""
        body = await outcome_reports.group_outcomes_csv(group_id, by=actor, now=clock.now())
        return _file(body, CSV, f"group-{group_id}-outcomes.csv")

    @get(
        "/summary.csv",
        guards=[CLINICAL],
        opt=problems(404),
        media_type=CSV,
        summary="A group's figures to share outside the service (CSV, small counts suppressed)",
    )
    async def group_summary_csv(
        self, group_id: FromPath[UUID], actor: NamedDependency[Actor]
    ) -> Response[str]:
        """Counts under 5, and the rates they feed, read "suppressed" or blank."""
        body = await outcome_reports.group_summary_csv(group_id, by=actor)
        return _file(body, CSV, f"group-{group_id}-summary.csv")

    @get(
        "/chart.svg",
        guards=[CLINICAL],
        opt=problems(404),
        media_type=charts.SVG_MEDIA_TYPE,
        summary="The group's mean PHQ-9 and GAD-7 by session (SVG)",
    )
    async def group_chart(
        self, group_id: FromPath[UUID], actor: NamedDependency[Actor]
    ) -> Response[str]:
        """With the caseness lines."""
        body = await charts.group_chart(group_id, by=actor, now=clock.now())
        return Response(body, media_type=charts.SVG_MEDIA_TYPE)


class CourseOutcomesController(Controller):
    """/api/v1/courses/{course_id}/outcomes: supervisors all groups, facilitators their own."""

    path = "/courses/{course_id:uuid}/outcomes"
    tags = ("outcomes",)

    @get("/", guards=[CLINICAL], opt=problems(404), summary="A course's outcomes")
    async def course_outcomes(
        self, course_id: FromPath[UUID], actor: NamedDependency[Actor]
    ) -> CourseOutcomesRead:
        """The course's groups together (a facilitator's own only; not suppressed)."""
        return await outcome_reports.course_outcomes(course_id, by=actor)

    @get(
        "/summary.csv",
        guards=[CLINICAL],
        opt=problems(404),
        media_type=CSV,
        summary="A course's figures to share outside the service (CSV, small counts suppressed)",
    )
    async def course_summary_csv(
        self, course_id: FromPath[UUID], actor: NamedDependency[Actor]
    ) -> Response[str]:
        """Counts under 5, and the rates they feed, read "suppressed" or blank."""
        body = await outcome_reports.course_summary_csv(course_id, by=actor)
        return _file(body, CSV, f"course-{course_id}-summary.csv")


# Registered by the app factory under /api/v1 (staff, signed in, role-guarded per route).
CONTROLLERS: list[type[Controller]] = [GroupOutcomesController, CourseOutcomesController]
