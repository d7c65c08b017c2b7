"""Attachments: files kept by content hash, typed from their bytes, size-limited.

Uploading the same bytes twice gives the same attachment (one row per hash, one copy
on disk). Only PDF, PNG, JPEG and WebP are kept, whatever the file's name or the client
says; anything else is a 415, anything over the configured size a 413.
"""

import re
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from api.core.actor import Actor
from api.core.database import CONSTRAINT_ERRORS, is_unique_violation, write_transaction
from api.core.errors import NotFound
from api.core.settings import get_settings
from api.identity import audit
from materials.errors import AttachmentTooLarge, UnsupportedAttachment
from materials.modules import attachment_url, require_admin, require_reader
from materials.rules.filetypes import ALLOWED_TYPES, detect_type
from materials.schemas.modules import AttachmentRead
from materials.storage import AttachmentStore, content_hash, default_store
from materials.tables import Attachment

_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9._ -]+")
MAX_FILENAME = 200


def max_bytes() -> int:
    """The configured attachment size limit."""
    return get_settings().materials.max_attachment_bytes


def too_large() -> AttachmentTooLarge:
    """The 413 for a file over the limit (naming the limit)."""
    limit = max_bytes()
    return AttachmentTooLarge(
        f"Attachments may be at most {limit} bytes.", max_attachment_bytes=limit
    )


def safe_filename(name: str) -> str:
    """A display name that is safe in a header: letters, digits, dot, dash, space."""
    cleaned = _UNSAFE_NAME.sub("_", name.strip())[-MAX_FILENAME:]
    return cleaned.strip(" .") or "attachment"


@dataclass(frozen=True, slots=True)
class AttachmentContent:
    """What serving an attachment needs: its bytes, type, name and strong ETag."""

    data: bytes
    content_type: str
    filename: str
    etag: str


def _read(row: dict[str, object]) -> AttachmentRead:
    return AttachmentRead.model_validate({**row, "url": attachment_url(row["id"])})  # type: ignore[arg-type]


async def upload_attachment(
    data: bytes,
    *,
    filename: str,
    by: Actor,
    now: datetime,
    store: AttachmentStore | None = None,
) -> AttachmentRead:
    """Keep a file (admins): 413 over the limit, 415 unless PDF, PNG, JPEG or WebP."""
    require_admin(by)
    if len(data) > max_bytes():
        raise too_large()
    content_type = detect_type(data)
    if content_type is None:
        raise UnsupportedAttachment(
            "The file is not a PDF, PNG, JPEG or WebP (checked from its contents).",
            allowed=list(ALLOWED_TYPES),
        )
    sha256 = content_hash(data)
    existing = await Attachment.select().where(Attachment.sha256 == sha256).first()
    if existing is not None:
        return _read(existing)
    await (store or default_store()).put(data)  # before the row: a row always has its file
    row = Attachment(
        sha256=sha256,
        content_type=content_type,
        size_bytes=len(data),
        filename=safe_filename(filename),
        uploaded_by=by.user_id,
        created_at=now,
    )
    try:
        async with write_transaction():
            await row.save()
            await audit.record(by, "attachment.create", "attachment", row.id, now=now)
    except CONSTRAINT_ERRORS as error:
        if not is_unique_violation(error):
            raise
        # The same bytes uploaded at the same moment: that upload's row is this one's.
    found = await Attachment.select().where(Attachment.sha256 == sha256).first()
    if found is None:  # pragma: no cover - the row was written or clashed with one that was
        raise NotFound("No attachment with this content.")
    return _read(found)


async def get_attachment(attachment_id: UUID, *, by: Actor) -> AttachmentRead:
    """An attachment's details."""
    require_reader(by)
    row = await Attachment.select().where(Attachment.id == attachment_id).first()
    if row is None:
        raise NotFound("No attachment with this id.")
    return _read(row)


async def attachment_content(
    attachment_id: UUID, *, by: Actor, store: AttachmentStore | None = None
) -> AttachmentContent:
    """The bytes to serve, with the type read at upload and the hash as a strong ETag."""
    require_reader(by)
    row = (
        await Attachment.select(Attachment.sha256, Attachment.content_type, Attachment.filename)
        .where(Attachment.id == attachment_id)
        .first()
    )
    if row is None:
        raise NotFound("No attachment with this id.")
    data = await (store or default_store()).get(row["sha256"])
    if data is None:
        raise NotFound("The attachment's file is missing from storage.")
    return AttachmentContent(
        data=data,
        content_type=row["content_type"],
        filename=row["filename"],
        etag=f'"{row["sha256"]}"',
    )


async def attachment_etag(attachment_id: UUID, *, by: Actor) -> str:
    """The strong ETag alone (for an If-None-Match answer without reading the file)."""
    require_reader(by)
    row = await Attachment.select(Attachment.sha256).where(Attachment.id == attachment_id).first()
    if row is None:
        raise NotFound("No attachment with this id.")
    return f'"{row["sha256"]}"'
