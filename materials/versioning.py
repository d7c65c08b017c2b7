"""Draft and published versions: the life cycle modules and homework forms share.

A version is a draft until it is published; publishing freezes it (who and when are
kept) and a published version never changes again. Each step runs inside the caller's
write transaction, after the caller's own checks, and is audited as
``<entity>.update`` or ``<entity>.publish``.
"""

from datetime import datetime
from typing import Any
from uuid import UUID

from api.core.actor import Actor
from api.core.database import for_update
from api.core.errors import NotFound
from api.identity import audit
from api.identity.versioning import write_versioned
from materials.errors import VersionPublished

DRAFT = "draft"
PUBLISHED = "published"


async def require_draft(table: Any, version_id: UUID, *, missing: str) -> None:
    """Lock the version; 404 (``missing``) when there is none, 409 when it is published."""
    row = await for_update(table.select(table.status).where(table.id == version_id)).first()
    if row is None:
        raise NotFound(missing)
    if row["status"] != DRAFT:
        raise VersionPublished(
            "A published version never changes: create a new draft version to edit it."
        )


async def update_draft(
    table: Any,
    version_id: UUID,
    values: dict[Any, Any],
    *,
    entity: str,
    expected_version: int | None,
    by: Actor,
    now: datetime,
) -> None:
    """Write a locked draft's changed fields (If-Match); audited when anything changed."""
    if await write_versioned(table, version_id, values, expected_version=expected_version, now=now):
        await audit.record(by, f"{entity}.update", entity, version_id, now=now)


async def publish_draft(
    table: Any,
    version_id: UUID,
    *,
    entity: str,
    expected_version: int | None,
    by: Actor,
    now: datetime,
) -> None:
    """Freeze a locked draft (If-Match), recording who published it and when."""
    await write_versioned(
        table,
        version_id,
        {table.status: PUBLISHED, table.published_at: now, table.published_by: by.user_id},
        expected_version=expected_version,
        now=now,
    )
    await audit.record(by, f"{entity}.publish", entity, version_id, now=now)
