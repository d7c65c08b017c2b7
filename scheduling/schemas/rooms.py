"""Request and response bodies for rooms."""

import enum
from datetime import datetime
from typing import Annotated
from uuid import UUID

from pydantic import AfterValidator, Field

from api.core.schemas import RequestModel, ResponseModel
from scheduling.schemas.venues import one_line, paragraphs, text

MIN_CAPACITY = 1
MAX_CAPACITY = 500


class Equipment(enum.StrEnum):
    """What a room has for a course."""

    PROJECTOR = "projector"
    SCREEN = "screen"
    FLIPCHART = "flipchart"
    KITCHEN = "kitchen"
    WHITEBOARD = "whiteboard"
    HEARING_LOOP = "hearing_loop"


def _distinct_sorted(items: list[Equipment]) -> list[Equipment]:
    return sorted(set(items))


RoomName = Annotated[str, text(200, 1), AfterValidator(one_line)]
Capacity = Annotated[int, Field(ge=MIN_CAPACITY, le=MAX_CAPACITY, description="Seated capacity.")]
EquipmentList = Annotated[
    list[Equipment], Field(max_length=len(Equipment) * 2), AfterValidator(_distinct_sorted)
]
LayoutNotes = Annotated[str, text(4000), AfterValidator(paragraphs)]


class RoomCreate(RequestModel):
    """A new room in a venue."""

    name: RoomName
    capacity: Capacity
    equipment: EquipmentList = Field(default_factory=list)
    layout_notes: LayoutNotes = ""


class RoomUpdate(RequestModel):
    """Fields to change; send only those that change (equipment is replaced, not merged)."""

    name: RoomName | None = None
    capacity: Capacity | None = None
    equipment: EquipmentList | None = None
    layout_notes: LayoutNotes | None = None


class RoomRead(ResponseModel):
    """A room, with the name and state of its venue."""

    id: UUID
    venue_id: UUID
    venue_name: str
    venue_is_archived: bool
    name: str
    capacity: int
    equipment: list[Equipment]
    layout_notes: str
    is_archived: bool
    version: int
    created_at: datetime
    updated_at: datetime
