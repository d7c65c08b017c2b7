"""Risk alerts: list, read, acknowledge (never deleted)."""

from uuid import UUID

from litestar import Controller, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody
from litestar.status_codes import HTTP_200_OK

from api.core import clock
from api.core.actor import Actor, Role
from api.core.schemas import DEFAULT_PAGE_SIZE, Page
from api.web.openapi_docs import problems
from api.web.params import PageSize, with_etag
from api.web.security import requires
from groups import risk_alerts
from groups.schemas.risk_alerts import AlertStatus, RiskAlertAcknowledge, RiskAlertRead

CLINICAL = requires(Role.FACILITATOR, Role.SUPERVISOR)


class RiskAlertController(Controller):
    """/api/v1/risk-alerts: the group's facilitators and supervisors; admins never."""

    path = "/risk-alerts"
    tags = ("risk alerts",)

    @get("/", guards=[CLINICAL], summary="List risk alerts, open first")
    async def list_alerts(
        self,
        actor: NamedDependency[Actor],
        status: FromQuery[AlertStatus | None] = None,
        group_id: FromQuery[UUID | None] = None,
        cursor: FromQuery[str | None] = None,
        limit: PageSize = DEFAULT_PAGE_SIZE,
    ) -> Page[RiskAlertRead]:
        """Open alerts first, newest first; supervisors see all, facilitators their groups."""
        return await risk_alerts.list_alerts(
            by=actor, now=clock.now(), status=status, group_id=group_id, cursor=cursor, limit=limit
        )

    @get("/{alert_id:uuid}", guards=[CLINICAL], opt=problems(404), summary="One risk alert")
    async def get_alert(
        self, alert_id: FromPath[UUID], actor: NamedDependency[Actor]
    ) -> Response[RiskAlertRead]:
        """With its annotations (corrections of the answers behind it)."""
        return with_etag(await risk_alerts.get_alert(alert_id, by=actor, now=clock.now()))

    @post(
        "/{alert_id:uuid}/acknowledge",
        guards=[CLINICAL],
        status_code=HTTP_200_OK,
        opt=problems(404, 409),
        summary="Acknowledge a risk alert with the action taken",
    )
    async def acknowledge(
        self,
        alert_id: FromPath[UUID],
        data: JSONBody[RiskAlertAcknowledge],
        actor: NamedDependency[Actor],
    ) -> Response[RiskAlertRead]:
        """Closes it (audited); 409 when it is already acknowledged."""
        alert = await risk_alerts.acknowledge_alert(
            alert_id, data.action_note, by=actor, now=clock.now()
        )
        return with_etag(alert)


# Registered by the app factory under /api/v1 (staff, signed in, role-guarded per route).
CONTROLLERS: list[type[Controller]] = [RiskAlertController]
