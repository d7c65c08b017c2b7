"""Liveness and readiness: unauthenticated, and they say nothing but the status."""

from litestar import Controller, get
from litestar.exceptions import ServiceUnavailableException

from api.core.database import database_answers
from api.core.schemas import ResponseModel
from api.web.openapi_docs import problems
from api.web.security import PUBLIC_OPT


class HealthRead(ResponseModel):
    """The service's status."""

    status: str


class HealthController(Controller):
    """GET /health/live and /health/ready."""

    path = "/health"
    tags = ("health",)

    @get("/live", opt={PUBLIC_OPT: True}, summary="The process is up")
    async def live(self) -> HealthRead:
        """Answers while the process runs."""
        return HealthRead(status="ok")

    @get("/ready", opt={PUBLIC_OPT: True, **problems(503)}, summary="Ready for traffic")
    async def ready(self) -> HealthRead:
        """Answers 200 when the database answers, else 503."""
        if not await database_answers():
            raise ServiceUnavailableException("The database is not answering.")
        return HealthRead(status="ok")
