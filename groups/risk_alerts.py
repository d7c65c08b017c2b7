"""Risk alerts: raised once per source, told to the duty contact at once, never deleted.

An alert is raised inside the transaction of the write that shows the risk (a measure set
with PHQ-9 item 9 above 0 or blank on paper, or a homework answer with a risk phrase), so
the alert exists exactly when that record does. The unique ``measure_set`` and
``source_id`` columns make a retry, a correction or a race add nothing: a correction
annotates the alert instead. It is closed only by one of the group's facilitators or a
supervisor acknowledging it with a note of the action taken. An alert left open past
``settings.clinical.risk_escalation_minutes`` escalates to the supervisors; the reminders
issue runs that clock through ``alerts_due_for_escalation`` and ``mark_escalated``.
"""

import json
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

from api.core.actor import Actor, Role
from api.core.database import for_update, write_transaction
from api.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from api.core.schemas import DEFAULT_PAGE_SIZE, Page, decode_cursor, encode_cursor
from api.core.settings import get_settings
from api.identity import audit
from groups.access import Side, require_group_access
from groups.schemas.risk_alerts import AlertStatus, RiskAlertRead
from groups.supervision_flags import refresh_clinical_flags
from groups.tables import GroupFacilitator, RiskAlert
from scheduling.outbox import OutgoingMessage, queue_messages
from scheduling.rules.channels import EMAIL, IN_APP, SMS

ENTITY = "risk_alert"
OPEN = "open"
ACKNOWLEDGED = "acknowledged"
MEASURE_SET = "measure_set"
DUTY_TEMPLATE = "risk_alert_duty"
# The whole message a duty contact receives: no name, no score, no group (DESIGN.md).
DUTY_MESSAGE = "A risk alert needs review."

_COLUMNS = (
    RiskAlert.id,
    RiskAlert.enrolment.as_alias("enrolment_id"),
    RiskAlert.enrolment.patient.as_alias("patient_id"),
    RiskAlert.enrolment.group.as_alias("group_id"),
    RiskAlert.measure_set.as_alias("measure_set_id"),
    RiskAlert.source_kind,
    RiskAlert.reason,
    RiskAlert.status,
    RiskAlert.raised_at,
    RiskAlert.acknowledged_by.as_alias("acknowledged_by_id"),
    RiskAlert.acknowledged_at,
    RiskAlert.action_note,
    RiskAlert.annotations,
    RiskAlert.escalated_at,
    RiskAlert.version,
)


def _duty_notices(alert_id: UUID, *, now: datetime) -> list[OutgoingMessage]:
    clinical = get_settings().clinical
    channels = [
        channel
        for channel, address in (
            (EMAIL, clinical.duty_contact_email),
            (SMS, clinical.duty_contact_phone),
        )
        if address
    ]
    # With no duty address configured the notice still exists (in-app, for the staff
    # dashboard), so no alert goes untold.
    return [
        OutgoingMessage(
            recipient_kind="duty",
            recipient_id="duty",
            channel=channel,
            template_key=DUTY_TEMPLATE,
            dedup_key=f"risk-alert:{alert_id}:duty:{channel}",
            due_at=now,
            parameters={"message": DUTY_MESSAGE, "alert_id": str(alert_id)},
            urgent=True,
        )
        for channel in channels or [IN_APP]
    ]


async def _insert_once(alert: RiskAlert, target: Any, *, now: datetime) -> UUID | None:
    """Insert unless the unique ``target`` already holds one; the new id, or None."""
    await RiskAlert.insert(alert).on_conflict(target=target, action="DO NOTHING")
    inserted = await RiskAlert.exists().where(RiskAlert.id == alert.id)
    if not inserted:
        return None
    await queue_messages(_duty_notices(alert.id, now=now), now=now)
    await audit.record(Actor.system(), "risk_alert.raise", ENTITY, alert.id, now=now)
    return alert.id


async def raise_free_text_alert(
    enrolment_id: UUID, source_kind: str, source_id: str, *, now: datetime
) -> None:
    """Inside the caller's transaction: one alert for a free-text answer showing risk.

    One alert per ``source_id`` (unique), however often the caller retries; the first
    raise queues the urgent duty notice.
    """
    alert = RiskAlert(
        id=uuid4(),
        enrolment=enrolment_id,
        measure_set=None,
        source_kind=source_kind,
        source_id=source_id,
        reason="free_text",
        status=OPEN,
        raised_at=now,
        annotations=[],
    )
    if await _insert_once(alert, RiskAlert.source_id, now=now) is not None:
        await refresh_clinical_flags([enrolment_id], now=now)


async def raise_measure_alert(
    measure_set_id: UUID, enrolment_id: UUID, *, reason: str, now: datetime
) -> UUID | None:
    """Inside the measure set's transaction: its one alert; None when it already has one."""
    alert = RiskAlert(
        id=uuid4(),
        enrolment=enrolment_id,
        measure_set=measure_set_id,
        source_kind=MEASURE_SET,
        source_id=f"{MEASURE_SET}:{measure_set_id}",
        reason=reason,
        status=OPEN,
        raised_at=now,
        annotations=[],
    )
    return await _insert_once(alert, RiskAlert.measure_set, now=now)


async def annotate_measure_alert(
    measure_set_id: UUID, note: Mapping[str, Any], *, by: Actor, now: datetime
) -> bool:
    """Inside a correction's transaction: add ``note`` to the set's alert, if it has one.

    The alert keeps its status: a correction to 0 annotates it but never closes it.
    """
    query = RiskAlert.select(RiskAlert.id, RiskAlert.annotations).where(
        RiskAlert.measure_set == measure_set_id
    )
    row = await for_update(query).output(load_json=True).first()
    if row is None:
        return False
    by_id = None if by.user_id is None else str(by.user_id)
    annotations = [*_loaded(row["annotations"]), {"at": now.isoformat(), "by": by_id, **note}]
    await RiskAlert.update(
        {RiskAlert.annotations: annotations, RiskAlert.version: RiskAlert.version + 1}
    ).where(RiskAlert.id == row["id"])
    await audit.record(by, "risk_alert.annotate", ENTITY, row["id"], now=now)
    return True


def _loaded(value: Any) -> list[Any]:
    loaded = json.loads(value) if isinstance(value, str) else value
    return list(loaded or [])


def _read(row: Mapping[str, Any]) -> RiskAlertRead:
    return RiskAlertRead.model_validate({**row, "annotations": _loaded(row["annotations"])})


async def _alert_row(alert_id: UUID, *, lock: bool = False) -> dict[str, Any]:
    if lock:
        # PostgreSQL refuses FOR UPDATE across the joins' nullable side: lock the row alone.
        await for_update(RiskAlert.select(RiskAlert.id).where(RiskAlert.id == alert_id))
    query = RiskAlert.select(*_COLUMNS).where(RiskAlert.id == alert_id)
    row: dict[str, Any] | None = await query.first()
    if row is None:
        raise NotFound("No risk alert with this id.")
    return row


async def get_alert(alert_id: UUID, *, by: Actor, now: datetime) -> RiskAlertRead:
    """One alert, for the group's facilitators and supervisors (the patient read audited)."""
    row = await _alert_row(alert_id)
    await require_group_access(row["group_id"], by, Side.CLINICAL)
    await audit.record_reads(by, "patient", [row["patient_id"]], now=now)
    return _read(row)


async def list_alerts(
    *,
    by: Actor,
    now: datetime,
    status: AlertStatus | None = None,
    group_id: UUID | None = None,
    cursor: str | None = None,
    limit: int = DEFAULT_PAGE_SIZE,
) -> Page[RiskAlertRead]:
    """Open alerts first, newest first within each; supervisors all, facilitators theirs."""
    query = RiskAlert.select(*_COLUMNS)
    if by.user_id is not None and not by.has_any(Role.SUPERVISOR):
        if not by.has_any(Role.FACILITATOR):
            raise Forbidden("Admins see operational records only, never clinical ones.")
        mine = GroupFacilitator.select(GroupFacilitator.group).where(
            GroupFacilitator.staff == by.user_id
        )
        query = query.where(RiskAlert.enrolment.group.is_in(mine))
    if group_id is not None:
        query = query.where(RiskAlert.enrolment.group == group_id)
    if status is not None:
        query = query.where(RiskAlert.status == status.value)
    if cursor is not None:
        after_status, after_raised, after_id = decode_cursor(cursor, str, str, str)
        try:
            raised_at = datetime.fromisoformat(after_raised)
            last_id = UUID(after_id)
        except ValueError as error:
            raise _bad_cursor() from error
        # "open" sorts after "acknowledged", so open-first is status descending.
        query = query.where(
            (RiskAlert.status < after_status)
            | ((RiskAlert.status == after_status) & (RiskAlert.raised_at < raised_at))
            | (
                (RiskAlert.status == after_status)
                & (RiskAlert.raised_at == raised_at)
                & (RiskAlert.id < last_id)
            )
        )
    rows = await query.order_by(
        RiskAlert.status, RiskAlert.raised_at, RiskAlert.id, ascending=False
    ).limit(limit + 1)
    page = rows[:limit]
    await audit.record_reads(by, "patient", sorted({str(r["patient_id"]) for r in page}), now=now)
    next_cursor = None
    if len(rows) > limit:
        last = page[-1]
        next_cursor = encode_cursor(last["status"], last["raised_at"].isoformat(), str(last["id"]))
    return Page[RiskAlertRead](items=[_read(r) for r in page], next_cursor=next_cursor)


def _bad_cursor() -> Exception:
    return InvalidInput([{"field": "cursor", "reason": "is not a cursor this API gave"}])


async def acknowledge_alert(
    alert_id: UUID, action_note: str, *, by: Actor, now: datetime
) -> RiskAlertRead:
    """Close an open alert with the action taken; 409 when it is already acknowledged."""
    async with write_transaction():
        row = await _alert_row(alert_id, lock=True)
        await require_group_access(row["group_id"], by, Side.CLINICAL)
        if row["status"] != OPEN:
            raise Conflict(
                "This risk alert is already acknowledged.",
                acknowledged_at=row["acknowledged_at"].isoformat().replace("+00:00", "Z"),
            )
        await RiskAlert.update(
            {
                RiskAlert.status: ACKNOWLEDGED,
                RiskAlert.acknowledged_by: by.user_id,
                RiskAlert.acknowledged_at: now,
                RiskAlert.action_note: action_note,
                RiskAlert.version: RiskAlert.version + 1,
            }
        ).where(RiskAlert.id == alert_id)
        await audit.record(by, "risk_alert.acknowledge", ENTITY, alert_id, now=now)
        await refresh_clinical_flags([row["enrolment_id"]], now=now)
        return _read(await _alert_row(alert_id))


async def alerts_due_for_escalation(*, now: datetime) -> list[UUID]:
    """Open alerts raised more than the escalation time ago and not yet escalated."""
    minutes = get_settings().clinical.risk_escalation_minutes
    rows = (
        await RiskAlert.select(RiskAlert.id)
        .where(
            (RiskAlert.status == OPEN)
            & (RiskAlert.escalated_at.is_null())
            & (RiskAlert.raised_at <= now - timedelta(minutes=minutes))
        )
        .order_by(RiskAlert.raised_at)
    )
    return [row["id"] for row in rows]


async def mark_escalated(alert_id: UUID, *, now: datetime) -> None:
    """Record that an alert was escalated to the supervisors (inside the caller's work)."""
    await RiskAlert.update({RiskAlert.escalated_at: now}).where(
        (RiskAlert.id == alert_id) & RiskAlert.escalated_at.is_null()
    )
    await audit.record(Actor.system(), "risk_alert.escalate", ENTITY, alert_id, now=now)
