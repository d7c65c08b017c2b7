"""Demo data: the demo groups' dated sessions, scheduled through the session calendar.

Every group the demo loader (the system actor) created that is still a draft with a
plan is scheduled as an admin would: preview-free, through ``commit_schedule``, so its
rooms are booked with every booking rule checked. A group whose schedule clashes with
something already in the demo data is left as a draft (and said so in the log).
Idempotent: a scheduled group is not a draft, so a second load changes nothing.
"""

import json
import logging
from datetime import datetime
from typing import Any
from uuid import UUID

from api.core.actor import Actor
from api.core.errors import DomainError
from api.identity.tables import AuditEntry
from groups.session_services import commit_schedule
from groups.tables import Group

_log = logging.getLogger("stepwise.demo")


async def _system_drafts() -> list[dict[str, Any]]:
    made_by_system = AuditEntry.select(AuditEntry.entity_id).where(
        (AuditEntry.action == "group.create") & AuditEntry.actor.is_null()
    )
    created = [UUID(row["entity_id"]) for row in await made_by_system]
    if not created:
        return []
    rows: list[dict[str, Any]] = (
        await Group.select(Group.id, Group.version, Group.session_plan)
        .where(Group.status == "draft", Group.id.is_in(created))
        .order_by(Group.first_session_date)
    )
    return rows


def _has_plan(row: dict[str, Any]) -> bool:
    plan = row["session_plan"]
    return bool(json.loads(plan) if isinstance(plan, str) else plan)


async def load_demo_sessions(*, now: datetime) -> bool:
    """Schedule the demo loader's draft groups; answers whether any was scheduled."""
    scheduled = False
    for row in await _system_drafts():
        if not _has_plan(row):
            continue
        try:
            await commit_schedule(
                row["id"], expected_version=row["version"], by=Actor.system(), now=now
            )
        except DomainError as error:
            _log.warning("demo group %s left as a draft: %s", row["id"], error.code)
            continue
        scheduled = True
    return scheduled
