"""Risk alert bodies: the alert as staff see it, and the acknowledgement."""

import enum
from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import Field

from api.core.schemas import RequestModel, ResponseModel


class AlertStatus(enum.StrEnum):
    """Open until acknowledged with a note of the action taken."""

    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"


class RiskAlertRead(ResponseModel):
    """One alert: whose, from what, and what was done."""

    id: UUID
    enrolment_id: UUID
    patient_id: UUID
    group_id: UUID
    measure_set_id: UUID | None
    source_kind: str
    reason: str = Field(description="risk_item (PHQ-9 item 9 above 0), risk_item_blank, free_text")
    status: AlertStatus
    raised_at: datetime
    acknowledged_by_id: UUID | None
    acknowledged_at: datetime | None
    action_note: str
    annotations: list[dict[str, Any]] = Field(
        description="Corrections of the answers behind the alert, oldest first."
    )
    escalated_at: datetime | None
    version: int


class RiskAlertAcknowledge(RequestModel):
    """The action taken (who was called, what was agreed)."""

    action_note: str = Field(min_length=1, max_length=4000)
