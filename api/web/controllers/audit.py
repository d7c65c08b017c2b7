"""The audit log, for supervisors and admins."""

from typing import Annotated
from uuid import UUID

from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.params import FromQuery, QueryParameter

from api.core.actor import Actor, Role
from api.core.schemas import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, Page
from api.identity import audit
from api.identity.schemas import AuditEntryRead
from api.web.security import requires

NO_NUL = r"^[^\x00]*$"  # PostgreSQL text cannot hold U+0000: refuse it as a 400, not a 500


class AuditController(Controller):
    """/api/v1/audit."""

    path = "/audit"
    tags = ("audit",)
    guards = (requires(Role.ADMIN, Role.SUPERVISOR),)

    @get("/", summary="Audit entries, newest first")
    async def list_audit(
        self,
        actor: NamedDependency[Actor],
        entity: Annotated[str | None, QueryParameter(max_length=60, pattern=NO_NUL)] = None,
        entity_id: Annotated[str | None, QueryParameter(max_length=64, pattern=NO_NUL)] = None,
        actor_id: FromQuery[UUID | None] = None,
        cursor: FromQuery[str | None] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=MAX_PAGE_SIZE)] = DEFAULT_PAGE_SIZE,
    ) -> Page[AuditEntryRead]:
        """Filter by entity (and its id) and by the staff member who acted."""
        return await audit.list_entries(
            by=actor,
            entity=entity,
            entity_id=entity_id,
            actor_id=actor_id,
            cursor=cursor,
            limit=limit,
        )
