"""Request and response bodies for modules, their versions and attachments."""

from datetime import datetime
from typing import Annotated
from uuid import UUID

from pydantic import AfterValidator, Field

from api.core.schemas import RequestModel, ResponseModel
from groups.schemas.courses import LanguageTag, Slug, Title
from materials.rules.choice import Fallback, Variant
from scheduling.schemas.venues import LongText, paragraphs, text

MAX_BODY_CHARS = 100_000
MAX_ATTACHMENTS = 20

Body = Annotated[str, text(MAX_BODY_CHARS), AfterValidator(paragraphs)]


class AttachmentRef(RequestModel):
    """An uploaded attachment shown with a module version, and its label."""

    attachment_id: UUID
    label: Title


Attachments = Annotated[list[AttachmentRef], Field(max_length=MAX_ATTACHMENTS)]


class ModuleVersionCreate(RequestModel):
    """A new draft version of one variant (language and standard/easy read/large print)."""

    language: LanguageTag = "en"
    variant: Variant = Variant.STANDARD
    title: Title
    summary: LongText = ""
    body_markdown: Body = ""
    attachments: Attachments = Field(default_factory=list)


class ModuleCreate(ModuleVersionCreate):
    """A new module, with its first draft version."""

    slug: Slug


class ModuleVersionUpdate(RequestModel):
    """Fields of a draft to change; send only those that change."""

    title: Title | None = None
    summary: LongText | None = None
    body_markdown: Body | None = None
    attachments: Attachments | None = None


class AttachmentRead(ResponseModel):
    """A stored file: its type (read from its bytes), size and content hash."""

    id: UUID
    sha256: str
    content_type: str
    size_bytes: int
    filename: str
    created_at: datetime
    url: str


class AttachmentLink(ResponseModel):
    """An attachment as a module version shows it."""

    attachment_id: UUID
    label: str
    content_type: str
    size_bytes: int
    url: str


class ModuleVersionRead(ResponseModel):
    """One version of one variant of a module: its markdown and the sanitised HTML."""

    id: UUID
    module_id: UUID
    slug: str
    language: str
    variant: Variant
    number: int
    status: str
    title: str
    summary: str
    body_markdown: str
    body_html: str
    attachments: list[AttachmentLink]
    published_at: datetime | None
    version: int
    created_at: datetime
    updated_at: datetime


class VariantSummary(ResponseModel):
    """Per language and variant: the latest published version and the draft, if any."""

    language: str
    variant: Variant
    published_version_id: UUID | None
    published_number: int | None
    draft_version_id: UUID | None


class ModuleRead(ResponseModel):
    """A module and the variants it has."""

    id: UUID
    slug: str
    created_at: datetime
    variants: list[VariantSummary]


class ModuleChoiceRead(ResponseModel):
    """What a patient with these preferences would be given, and the fallback used."""

    language: str
    variant: Variant
    fallback: Fallback
    version: ModuleVersionRead
