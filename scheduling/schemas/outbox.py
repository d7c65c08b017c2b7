"""The outbox as staff see it: message status, never the message text or its parameters."""

from datetime import datetime
from uuid import UUID

from pydantic import Field

from api.core.schemas import ResponseModel


class OutboxMessageRead(ResponseModel):
    """One message's delivery record."""

    id: UUID
    recipient_kind: str = Field(description="patient, staff or duty")
    recipient_id: str
    channel: str = Field(description="sms, email, letter, push or in_app")
    template_key: str
    language: str
    urgent: bool
    status: str = Field(description="pending, sending, sent, failed or cancelled")
    attempts: int
    last_error: str = Field(description="Why it failed, was retried or was cancelled.")
    provider_reference: str
    due_at: datetime
    sent_at: datetime | None
    created_at: datetime
    updated_at: datetime


class TemplateText(ResponseModel):
    """One language's wording."""

    subject: str
    body: str


class MessageTemplateRead(ResponseModel):
    """A message kind: who it is for, what fills it, its wording per language."""

    key: str
    audience: str = Field(description="patient or duty")
    parameters: list[str]
    languages: list[str]
    text: dict[str, TemplateText]
    notify_template_id: str | None = Field(
        description="The GOV.UK Notify template used for this kind, when configured."
    )
