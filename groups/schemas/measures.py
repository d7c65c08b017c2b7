"""Measure set bodies: one set, a whole group's sets, and the set as staff read it."""

import enum
from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import Field

from api.core.schemas import RequestModel, ResponseModel
from groups.rules.instruments import INSTRUMENT_CODES

InstrumentCode = enum.StrEnum(  # type: ignore[misc]
    "InstrumentCode", {code.replace("-", "").upper(): code for code in INSTRUMENT_CODES}
)
"""The codes of the shipped instruments (PHQ-9, GAD-7, WSAS)."""

MAX_ITEMS = 40  # generous over any shipped instrument; the scorer names extra items
MAX_SETS_PER_BATCH = 200  # a group of 16 with four instruments each, with room to spare

_ANSWERS_SCHEMA: dict[str, Any] = {"items": {"anyOf": [{"type": "integer"}, {"type": "null"}]}}


class MeasureSetCreate(RequestModel):
    """One patient's answers to one instrument; totals are the server's (never sent)."""

    enrolment_id: UUID
    instrument: InstrumentCode
    # Any JSON is taken here so the scorer can name every bad item in one answer.
    answers: list[Any] = Field(
        max_length=MAX_ITEMS,
        json_schema_extra=_ANSWERS_SCHEMA,
        description="One integer per item, in order; null for an item left blank on paper.",
    )
    paper: bool = Field(
        default=False, description="A paper questionnaire: one or two blank items are prorated."
    )


class MeasureBatchCreate(RequestModel):
    """Every patient's sets at one session: all stored, or none."""

    sets: list[MeasureSetCreate] = Field(min_length=1, max_length=MAX_SETS_PER_BATCH)


class MeasureSetRead(ResponseModel):
    """A stored measure set with the server's total, band and any risk alert."""

    id: UUID
    enrolment_id: UUID
    session_id: UUID
    instrument: str
    answers: list[int | None]
    total: int | None = Field(description="Null when more than two items are blank.")
    prorated: bool
    blank_items: int
    band: str | None
    at_caseness: bool | None
    source: str
    entered_by_id: UUID | None
    risk_alert_id: UUID | None
    version: int
    created_at: datetime
    updated_at: datetime


class MeasureBatchRead(ResponseModel):
    """The sets a batch stored, in the order sent."""

    items: list[MeasureSetRead]
