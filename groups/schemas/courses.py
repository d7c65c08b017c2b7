"""Request and response bodies for courses and their ordered session plans."""

import enum
import re
from datetime import datetime
from typing import Annotated
from uuid import UUID

from pydantic import AfterValidator, Field, StringConstraints, ValidationInfo, field_validator

from api.core.schemas import JsonList, RequestModel, ResponseModel
from scheduling.schemas.venues import LongText, one_line, text

MIN_SESSIONS = 1
MAX_SESSIONS = 20
MIN_GROUP_SIZE = 1
MAX_GROUP_SIZE = 30
MIN_SESSION_MINUTES = 30
MAX_SESSION_MINUTES = 240
MAX_TOPICS = 20
MAX_REFS = 20


class Problem(enum.StrEnum):
    """A presenting problem a course is designed for."""

    DEPRESSION = "depression"
    GENERALISED_ANXIETY = "generalised_anxiety"
    STRESS = "stress"
    INSOMNIA = "insomnia"
    PANIC = "panic"
    HEALTH_ANXIETY = "health_anxiety"
    LOW_SELF_ESTEEM = "low_self_esteem"
    SOCIAL_ANXIETY = "social_anxiety"
    LONG_TERM_CONDITION = "long_term_condition"


# BCP 47, the parts a delivery language needs: language (2-3 letters), optional script
# (4 letters), optional region (2 letters or 3 digits), optional variants.
_BCP47 = re.compile(
    r"^(?P<language>[A-Za-z]{2,3})"
    r"(?:-(?P<script>[A-Za-z]{4}))?"
    r"(?:-(?P<region>[A-Za-z]{2}|[0-9]{3}))?"
    r"(?P<variants>(?:-(?:[A-Za-z0-9]{5,8}|[0-9][A-Za-z0-9]{3}))*)$"
)


def language_tag(value: str) -> str:
    """A validator: a BCP 47 tag in its canonical case ("PT-br" -> "pt-BR")."""
    match = _BCP47.match(value)
    if match is None:
        raise ValueError('is not a BCP 47 language tag, e.g. "en", "cy" or "pt-BR"')
    parts = [match["language"].lower()]
    if match["script"]:
        parts.append(match["script"].title())
    if match["region"]:
        parts.append(match["region"].upper())
    parts.extend(variant.lower() for variant in match["variants"].split("-") if variant)
    return "-".join(parts)


def _distinct_problems(value: list[Problem]) -> list[Problem]:
    # Stored in the enum's order, once each: the same set always reads back the same.
    return [problem for problem in Problem if problem in value]


Slug = Annotated[
    str,
    StringConstraints(max_length=80, pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$"),
    Field(description='A materials slug, e.g. "understanding-worry".'),
]
Title = Annotated[str, text(200, 1), AfterValidator(one_line)]
Topic = Annotated[str, text(200, 1), AfterValidator(one_line)]
LanguageTag = Annotated[str, StringConstraints(max_length=35), AfterValidator(language_tag)]
SessionMinutes = Annotated[int, Field(ge=MIN_SESSION_MINUTES, le=MAX_SESSION_MINUTES)]
GroupSize = Annotated[int, Field(ge=MIN_GROUP_SIZE, le=MAX_GROUP_SIZE)]
Problems = Annotated[
    list[Problem], Field(min_length=1, max_length=len(Problem)), AfterValidator(_distinct_problems)
]


class PlannedSessionCreate(RequestModel):
    """One session of the plan; its number is its place in the list (1-based)."""

    title: Title
    topics: list[Topic] = Field(default_factory=list, max_length=MAX_TOPICS)
    duration_minutes: SessionMinutes | None = Field(
        default=None, description="Absent or null: the course's default_session_minutes."
    )
    module_refs: list[Slug] = Field(default_factory=list, max_length=MAX_REFS)
    homework_refs: list[Slug] = Field(default_factory=list, max_length=MAX_REFS)


SessionPlan = Annotated[
    list[PlannedSessionCreate], Field(min_length=MIN_SESSIONS, max_length=MAX_SESSIONS)
]


class CourseCreate(RequestModel):
    """A new course. Group sizes: 1 <= min_group_size <= max_group_size <= 30."""

    name: Title
    summary: LongText = ""
    problems: Problems
    min_group_size: GroupSize
    max_group_size: GroupSize
    default_session_minutes: SessionMinutes = 90
    language: LanguageTag = "en"
    session_plan: SessionPlan

    @field_validator("max_group_size")
    @classmethod
    def _not_below_minimum(cls, value: int, info: ValidationInfo) -> int:
        minimum = info.data.get("min_group_size")
        if minimum is not None and value < minimum:
            raise ValueError("must be at least min_group_size")
        return value


class CourseUpdate(RequestModel):
    """Fields to change; send only those that change. session_plan replaces the whole plan."""

    name: Title | None = None
    summary: LongText | None = None
    problems: Problems | None = None
    min_group_size: GroupSize | None = None
    max_group_size: GroupSize | None = None
    default_session_minutes: SessionMinutes | None = None
    language: LanguageTag | None = None
    session_plan: SessionPlan | None = None

    @field_validator("max_group_size")
    @classmethod
    def _not_below_minimum(cls, value: int | None, info: ValidationInfo) -> int | None:
        minimum = info.data.get("min_group_size")
        if value is not None and minimum is not None and value < minimum:
            raise ValueError("must be at least min_group_size")
        return value


class PlannedSessionRead(ResponseModel):
    """One session of a course's plan, numbered from 1; duration resolved to minutes."""

    number: int
    title: str
    topics: list[str]
    duration_minutes: int
    module_refs: list[str]
    homework_refs: list[str]


class CourseRead(ResponseModel):
    """A course as staff see it."""

    id: UUID
    name: str
    summary: str
    problems: JsonList[Problem]
    min_group_size: int
    max_group_size: int
    default_session_minutes: int
    language: str
    session_plan: list[PlannedSessionRead]
    is_archived: bool
    version: int
    created_at: datetime
    updated_at: datetime
