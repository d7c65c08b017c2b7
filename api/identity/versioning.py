"""Optimistic concurrency: an edit names the version it read (If-Match), or is refused."""

from datetime import datetime
from typing import Any
from uuid import UUID

from piccolo.table import Table

from api.core.database import for_update
from api.core.errors import NotFound, PreconditionRequired, StaleVersion


async def require_current_version(table: type[Table], row_id: UUID, expected: int | None) -> None:
    """Inside the write transaction: 404 if gone, 428 without a version, 412 if stale."""
    query = table.select(table.version).where(table._meta.primary_key == row_id)  # type: ignore[attr-defined]
    row: dict[str, Any] | None = await for_update(query).first()
    if row is None:
        raise NotFound("No record with this id.")
    if expected is None:
        raise PreconditionRequired("Send If-Match with the ETag you read, so no edit is lost.")
    if row["version"] != expected:
        raise StaleVersion(
            "Someone changed this record since you read it: reload and try again.",
            current_version=row["version"],
        )


async def write_versioned(
    table: type[Table],
    row_id: UUID,
    values: dict[Any, Any],
    *,
    expected_version: int | None,
    now: datetime,
) -> bool:
    """Inside the write transaction: check If-Match, then write ``values`` as a new version.

    Answers whether anything was written (an edit that changes nothing keeps its version).
    """
    await require_current_version(table, row_id, expected_version)
    if not values:
        return False
    stamped = {**values, table.updated_at: now, table.version: table.version + 1}  # type: ignore[attr-defined]
    await table.update(stamped).where(table._meta.primary_key == row_id)
    return True
