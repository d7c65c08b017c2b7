"""Request and response bodies for homework forms and their versions."""

from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import AfterValidator, Field, StringConstraints, model_validator

from api.core.schemas import RequestModel, ResponseModel
from groups.schemas.courses import Slug, Title
from materials.rules.forms import (
    DEFAULT_MAX_MINUTES,
    LONG_TEXT_LIMIT,
    MAX_ROWS_LIMIT,
    RATING_SCALES,
    SHORT_TEXT_LIMIT,
)
from scheduling.schemas.venues import LongText, one_line, text

MAX_FIELDS = 40
MAX_OPTIONS = 30
FieldKey = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,39}$")]
Label = Annotated[str, text(200, 1), AfterValidator(one_line)]
Help = Annotated[str, text(500), AfterValidator(one_line)]
FormKind = Literal[
    "generic",
    "worry_diary",
    "thought_record",
    "activity_schedule",
    "sleep_diary",
    "exposure_record",
    "free_text",
]
FieldKind = Literal[
    "short_text",
    "long_text",
    "number",
    "rating",
    "single_choice",
    "multiple_choice",
    "date",
    "time",
    "duration",
    "repeating",
]


class ChoiceOption(RequestModel):
    """One option of a choice field: the stored value and what the patient reads."""

    value: FieldKey
    label: Label


class FormField(RequestModel):
    """One field of a form; the limits that apply depend on its kind."""

    key: FieldKey
    kind: FieldKind
    label: Label
    help: Help = ""
    required: bool = False
    max_length: int | None = Field(default=None, ge=1, le=LONG_TEXT_LIMIT)
    min: float | None = Field(default=None, ge=-1_000_000, le=1_000_000)
    max: float | None = Field(default=None, ge=-1_000_000, le=1_000_000)
    integer: bool = False
    scale: int | None = None
    options: list[ChoiceOption] | None = Field(default=None, max_length=MAX_OPTIONS)
    max_minutes: int | None = Field(default=None, ge=1, le=7 * DEFAULT_MAX_MINUTES)
    fields: list["FormField"] | None = Field(default=None, max_length=MAX_FIELDS)
    min_rows: int | None = Field(default=None, ge=0, le=MAX_ROWS_LIMIT)
    max_rows: int | None = Field(default=None, ge=1, le=MAX_ROWS_LIMIT)

    @model_validator(mode="after")
    def _fits_its_kind(self) -> "FormField":
        problem = _kind_problem(self)
        if problem is not None:
            raise ValueError(problem)
        if self.kind != "repeating" and self.fields is not None:
            raise ValueError("only a repeating field has fields")
        return self


def _above(low: float | None, high: float | None) -> bool:
    return low is not None and high is not None and low > high


def _kind_problem(field: FormField) -> str | None:
    """What is wrong with a field's limits for its kind, or None."""
    kind = field.kind
    if kind == "short_text" and (field.max_length or 0) > SHORT_TEXT_LIMIT:
        return f"a short_text field takes at most {SHORT_TEXT_LIMIT} characters"
    if kind == "number" and _above(field.min, field.max):
        return "min must not exceed max"
    if kind == "rating" and field.scale not in RATING_SCALES:
        return "a rating field needs scale 10 or 100"
    if kind in {"single_choice", "multiple_choice"}:
        values = [option.value for option in field.options or []]
        if not values or len(set(values)) != len(values):
            return "a choice field needs options with distinct values"
    if kind == "repeating":
        return _rows_problem(field)
    return None


def _rows_problem(field: FormField) -> str | None:
    if not field.fields:
        return "a repeating field needs fields"
    if any(inner.kind == "repeating" for inner in field.fields):
        return "a repeating field cannot hold another"
    if len({inner.key for inner in field.fields}) != len(field.fields):
        return "field keys must be distinct"
    if _above(field.min_rows, field.max_rows):
        return "min_rows must not exceed max_rows"
    return None


def _distinct_keys(fields: list[FormField]) -> list[FormField]:
    keys = [field.key for field in fields]
    if len(set(keys)) != len(keys):
        raise ValueError("field keys must be distinct")
    return fields


Fields = Annotated[
    list[FormField], Field(min_length=1, max_length=MAX_FIELDS), AfterValidator(_distinct_keys)
]


class FormVersionCreate(RequestModel):
    """A new draft version of a form."""

    title: Title
    description: LongText = ""
    kind: FormKind = "generic"
    fields: Fields


class FormCreate(FormVersionCreate):
    """A new form, with its first draft version."""

    slug: Slug


class FormVersionUpdate(RequestModel):
    """Fields of a draft to change; send only those that change."""

    title: Title | None = None
    description: LongText | None = None
    kind: FormKind | None = None
    fields: Fields | None = None


class FormVersionRead(ResponseModel):
    """One version of a form: its fields as data."""

    id: UUID
    form_id: UUID
    slug: str
    number: int
    status: str
    title: str
    description: str
    kind: str
    fields: list[dict[str, Any]]
    published_at: datetime | None
    version: int
    created_at: datetime
    updated_at: datetime


class FormRead(ResponseModel):
    """A form, its latest published version and its draft, if any."""

    id: UUID
    slug: str
    created_at: datetime
    published_version_id: UUID | None
    published_number: int | None
    draft_version_id: UUID | None


def stored_fields(fields: list[FormField]) -> list[dict[str, Any]]:
    """Fields as kept: only the attributes each field sets."""
    return [field.model_dump(mode="json", exclude_none=True) for field in fields]
