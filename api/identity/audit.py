"""The audit log: record inside the caller's transaction; read with filters, newest first."""

from collections.abc import Iterable
from datetime import datetime
from typing import Any
from uuid import UUID

from api.core.actor import Actor, Role
from api.core.errors import Forbidden
from api.core.schemas import DEFAULT_PAGE_SIZE, Page, decode_cursor, encode_cursor
from api.identity.schemas import AuditEntryRead
from api.identity.tables import AuditEntry

_AUDIT_READERS = (Role.ADMIN, Role.SUPERVISOR)
_COLUMNS = (
    AuditEntry.id,
    AuditEntry.at,
    AuditEntry.actor.as_alias("actor_id"),
    AuditEntry.actor_kind,
    AuditEntry.action,
    AuditEntry.entity,
    AuditEntry.entity_id,
    AuditEntry.request_id,
)


def _row(by: Actor, action: str, entity: str, entity_id: object, now: datetime) -> AuditEntry:
    return AuditEntry(
        at=now,
        actor=by.user_id,
        actor_kind="staff" if by.user_id else "system",
        action=action,
        entity=entity,
        entity_id=str(entity_id),
        request_id=by.request_id,
    )


async def record(by: Actor, action: str, entity: str, entity_id: object, *, now: datetime) -> None:
    """Append one entry; call it inside the transaction of the change it records."""
    await AuditEntry.insert(_row(by, action, entity, entity_id, now))


async def record_reads(
    by: Actor, entity: str, entity_ids: Iterable[object], *, now: datetime
) -> None:
    """Append one read entry per record shown (a search or list of patients), in one insert."""
    rows = [_row(by, f"{entity}.read", entity, entity_id, now) for entity_id in entity_ids]
    if rows:
        await AuditEntry.insert(*rows)


async def list_entries(
    *,
    by: Actor,
    entity: str | None = None,
    entity_id: str | None = None,
    actor_id: UUID | None = None,
    cursor: str | None = None,
    limit: int = DEFAULT_PAGE_SIZE,
) -> Page[AuditEntryRead]:
    """Audit entries, newest first, filtered by entity and by user; supervisors and admins."""
    if not by.has_any(*_AUDIT_READERS):
        raise Forbidden("Only supervisors and admins read the audit log.")
    query = AuditEntry.select(*_COLUMNS).order_by(AuditEntry.id, ascending=False).limit(limit + 1)
    conditions: list[Any] = []
    if entity is not None:
        conditions.append(AuditEntry.entity == entity)
    if entity_id is not None:
        conditions.append(AuditEntry.entity_id == entity_id)
    if actor_id is not None:
        conditions.append(AuditEntry.actor == actor_id)
    if cursor is not None:
        (before_id,) = decode_cursor(cursor, int)
        conditions.append(AuditEntry.id < before_id)
    if conditions:
        query = query.where(*conditions)
    rows = await query
    items = [AuditEntryRead.model_validate(row) for row in rows[:limit]]
    next_cursor = encode_cursor(items[-1].id) if len(rows) > limit else None
    return Page[AuditEntryRead](items=items, next_cursor=next_cursor)
