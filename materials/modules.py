"""Self-help modules: variants by language and form, versions from draft to published.

A module is a slug; its text comes in variants (a language and standard, easy read or
large print), each a line of numbered versions. A variant has at most one draft; the
draft is edited in place (If-Match) until it is published, and a published version never
changes: an edit after that starts a new draft. Markdown is rendered and sanitised when
saved, so every read serves the same HTML. Admins write; every staff role reads.
"""

import json
import re
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any
from uuid import UUID

from api.core.actor import Actor, Role
from api.core.database import (
    CONSTRAINT_ERRORS,
    for_update,
    is_unique_violation,
    write_transaction,
)
from api.core.errors import Forbidden, InvalidInput, NotFound
from api.core.schemas import DEFAULT_PAGE_SIZE, Page, decode_cursor, encode_cursor
from api.identity import audit
from groups.schemas.courses import language_tag
from materials.errors import DraftExists, DuplicateSlug
from materials.rules.choice import choose_variant
from materials.rules.markdown import render
from materials.schemas.modules import (
    AttachmentLink,
    AttachmentRef,
    ModuleChoiceRead,
    ModuleCreate,
    ModuleRead,
    ModuleVersionCreate,
    ModuleVersionRead,
    ModuleVersionUpdate,
    VariantSummary,
)
from materials.tables import Attachment, Module, ModuleVersion
from materials.versioning import DRAFT, PUBLISHED, publish_draft, require_draft, update_draft

READERS = (Role.ADMIN, Role.FACILITATOR, Role.SUPERVISOR)
ATTACHMENT_URL = "/api/v1/attachments/{id}/content"
_SLUG = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
_VERSION_COLUMNS = (
    ModuleVersion.id,
    ModuleVersion.module.as_alias("module_id"),
    ModuleVersion.module.slug.as_alias("slug"),
    ModuleVersion.language,
    ModuleVersion.variant,
    ModuleVersion.number,
    ModuleVersion.status,
    ModuleVersion.title,
    ModuleVersion.summary,
    ModuleVersion.body_markdown,
    ModuleVersion.body_html,
    ModuleVersion.attachments,
    ModuleVersion.published_at,
    ModuleVersion.version,
    ModuleVersion.created_at,
    ModuleVersion.updated_at,
)


def require_admin(by: Actor) -> None:
    """Admins (and the system) manage materials."""
    if by.user_id is not None and not by.has_any(Role.ADMIN):
        raise Forbidden("Only admins manage modules and forms.")


def require_reader(by: Actor) -> None:
    """Every staff role reads materials (they hold no patient data)."""
    if by.user_id is not None and not by.has_any(*READERS):
        raise Forbidden("Your role does not allow this.")


def attachment_url(attachment_id: UUID) -> str:
    """Where an attachment's bytes are served."""
    return ATTACHMENT_URL.format(id=attachment_id)


def _stored_attachments(refs: list[AttachmentRef]) -> list[dict[str, str]]:
    return [{"attachment": str(ref.attachment_id), "label": ref.label} for ref in refs]


async def _check_attachments(refs: list[AttachmentRef]) -> None:
    """Every attachment named exists, once: else a 400 naming the entry."""
    ids = [ref.attachment_id for ref in refs]
    if not ids:
        return
    found = {
        row["id"] for row in await Attachment.select(Attachment.id).where(Attachment.id.is_in(ids))
    }
    errors = []
    seen: set[UUID] = set()
    for position, ref in enumerate(refs):
        field = f"attachments[{position}].attachment_id"
        if ref.attachment_id not in found:
            errors.append({"field": field, "reason": "no attachment with this id"})
        elif ref.attachment_id in seen:
            errors.append({"field": field, "reason": "is listed twice"})
        seen.add(ref.attachment_id)
    if errors:
        raise InvalidInput(errors)


async def _links(rows: Iterable[Mapping[str, Any]]) -> dict[UUID, list[AttachmentLink]]:
    """Per version id, its attachments with their type and size (one query for all)."""
    stored: dict[UUID, list[dict[str, str]]] = {}
    for row in rows:
        value = row["attachments"]
        stored[row["id"]] = json.loads(value) if isinstance(value, str) else value or []
    ids = {UUID(item["attachment"]) for items in stored.values() for item in items}
    details: dict[UUID, dict[str, Any]] = {}
    if ids:
        found = await Attachment.select(
            Attachment.id, Attachment.content_type, Attachment.size_bytes
        ).where(Attachment.id.is_in(list(ids)))
        details = {row["id"]: row for row in found}
    links: dict[UUID, list[AttachmentLink]] = {}
    for version_id, items in stored.items():
        links[version_id] = [
            AttachmentLink(
                attachment_id=UUID(item["attachment"]),
                label=item["label"],
                content_type=details[UUID(item["attachment"])]["content_type"],
                size_bytes=details[UUID(item["attachment"])]["size_bytes"],
                url=attachment_url(UUID(item["attachment"])),
            )
            for item in items
            if UUID(item["attachment"]) in details
        ]
    return links


async def _read_versions(rows: list[dict[str, Any]]) -> list[ModuleVersionRead]:
    links = await _links(rows)
    return [
        ModuleVersionRead.model_validate({**row, "attachments": links[row["id"]]}) for row in rows
    ]


async def _version_row(version_id: UUID) -> dict[str, Any]:
    row: dict[str, Any] | None = (
        await ModuleVersion.select(*_VERSION_COLUMNS).where(ModuleVersion.id == version_id).first()
    )
    if row is None:
        raise NotFound("No module version with this id.")
    return row


async def get_version(version_id: UUID, *, by: Actor) -> ModuleVersionRead:
    """One version, draft or published, with its markdown and sanitised HTML."""
    require_reader(by)
    return (await _read_versions([await _version_row(version_id)]))[0]


async def current_version_number(version_id: UUID, *, by: Actor) -> int:
    """A version's row version alone (one indexed lookup), for If-None-Match."""
    require_reader(by)
    row = (
        await ModuleVersion.select(ModuleVersion.version)
        .where(ModuleVersion.id == version_id)
        .first()
    )
    if row is None:
        raise NotFound("No module version with this id.")
    number: int = row["version"]
    return number


def _new_version(
    module_id: UUID, number: int, new: ModuleVersionCreate, by: Actor, now: datetime
) -> ModuleVersion:
    return ModuleVersion(
        module=module_id,
        language=new.language,
        variant=new.variant.value,
        number=number,
        status=DRAFT,
        title=new.title,
        summary=new.summary,
        body_markdown=new.body_markdown,
        body_html=render(new.body_markdown),
        attachments=_stored_attachments(new.attachments),
        created_by=by.user_id,
        created_at=now,
        updated_at=now,
    )


async def create_module(new: ModuleCreate, *, by: Actor, now: datetime) -> ModuleVersionRead:
    """A new module and its first draft version; a taken slug is a 409 naming ``slug``."""
    require_admin(by)
    module = Module(slug=new.slug, created_at=now)
    try:
        async with write_transaction():
            await _check_attachments(new.attachments)
            await module.save()
            version = _new_version(module.id, 1, new, by, now)
            await version.save()
            await audit.record(by, "module.create", "module", module.id, now=now)
    except CONSTRAINT_ERRORS as error:
        if not is_unique_violation(error):
            raise
        raise DuplicateSlug("A module with this slug already exists.", field="slug") from error
    return await get_version(version.id, by=by)


async def _lock_module(module_id: UUID) -> None:
    found = await for_update(Module.select(Module.id).where(Module.id == module_id)).first()
    if found is None:
        raise NotFound("No module with this id.")


async def create_version(
    module_id: UUID, new: ModuleVersionCreate, *, by: Actor, now: datetime
) -> ModuleVersionRead:
    """A new draft of one variant (a new language or form, or an edit of a published one).

    409 ``draft-exists`` when that variant already has a draft (edit it instead).
    """
    require_admin(by)
    try:
        async with write_transaction():
            await _lock_module(module_id)
            await _check_attachments(new.attachments)
            rows = await ModuleVersion.select(
                ModuleVersion.id, ModuleVersion.number, ModuleVersion.status
            ).where(
                (ModuleVersion.module == module_id)
                & (ModuleVersion.language == new.language)
                & (ModuleVersion.variant == new.variant.value)
            )
            draft = next((row for row in rows if row["status"] == DRAFT), None)
            if draft is not None:
                raise DraftExists(
                    "This variant already has a draft: edit it, or publish it first.",
                    draft_version_id=str(draft["id"]),
                )
            number = max((row["number"] for row in rows), default=0) + 1
            version = _new_version(module_id, number, new, by, now)
            await version.save()
            await audit.record(by, "module_version.create", "module_version", version.id, now=now)
    except CONSTRAINT_ERRORS as error:
        if not is_unique_violation(error):
            raise
        raise DraftExists("This variant already has a draft: edit it.") from error
    return await get_version(version.id, by=by)


async def _require_draft(version_id: UUID) -> None:
    await require_draft(ModuleVersion, version_id, missing="No module version with this id.")


async def update_version(
    version_id: UUID,
    changes: ModuleVersionUpdate,
    *,
    expected_version: int | None,
    by: Actor,
    now: datetime,
) -> ModuleVersionRead:
    """Edit a draft (If-Match); a published version is a 409 ``version-published``."""
    require_admin(by)
    values: dict[Any, Any] = {}
    if changes.title is not None:
        values[ModuleVersion.title] = changes.title
    if changes.summary is not None:
        values[ModuleVersion.summary] = changes.summary
    if changes.body_markdown is not None:
        values[ModuleVersion.body_markdown] = changes.body_markdown
        values[ModuleVersion.body_html] = render(changes.body_markdown)
    if changes.attachments is not None:
        values[ModuleVersion.attachments] = _stored_attachments(changes.attachments)
    async with write_transaction():
        await _require_draft(version_id)
        if changes.attachments is not None:
            await _check_attachments(changes.attachments)
        await update_draft(
            ModuleVersion,
            version_id,
            values,
            entity="module_version",
            expected_version=expected_version,
            by=by,
            now=now,
        )
    return await get_version(version_id, by=by)


async def publish_version(
    version_id: UUID, *, expected_version: int | None, by: Actor, now: datetime
) -> ModuleVersionRead:
    """Freeze a draft (If-Match): from now on assignments can name it; it never changes."""
    require_admin(by)
    async with write_transaction():
        await _require_draft(version_id)
        await publish_draft(
            ModuleVersion,
            version_id,
            entity="module_version",
            expected_version=expected_version,
            by=by,
            now=now,
        )
    return await get_version(version_id, by=by)


def _variants(rows: Iterable[Mapping[str, Any]]) -> dict[UUID, list[VariantSummary]]:
    """Per module, per (language, variant): the latest published version and the draft."""
    summaries: dict[UUID, dict[tuple[str, str], dict[str, Any]]] = {}
    for row in sorted(rows, key=lambda r: r["number"]):
        key = (row["language"], row["variant"])
        summary = summaries.setdefault(row["module"], {}).setdefault(
            key,
            {
                "language": key[0],
                "variant": key[1],
                "published_version_id": None,
                "published_number": None,
                "draft_version_id": None,
            },
        )
        if row["status"] == PUBLISHED:
            summary["published_version_id"] = row["id"]
            summary["published_number"] = row["number"]
        else:
            summary["draft_version_id"] = row["id"]
    return {
        module_id: [VariantSummary.model_validate(found[key]) for key in sorted(found)]
        for module_id, found in summaries.items()
    }


async def _modules(rows: list[dict[str, Any]]) -> list[ModuleRead]:
    ids = [row["id"] for row in rows]
    versions = (
        await ModuleVersion.select(
            ModuleVersion.id,
            ModuleVersion.module,
            ModuleVersion.language,
            ModuleVersion.variant,
            ModuleVersion.number,
            ModuleVersion.status,
        ).where(ModuleVersion.module.is_in(ids))
        if ids
        else []
    )
    variants = _variants(versions)
    return [
        ModuleRead.model_validate({**row, "variants": variants.get(row["id"], [])}) for row in rows
    ]


async def get_module(module_id: UUID, *, by: Actor) -> ModuleRead:
    """A module and, per variant, its published and draft versions."""
    require_reader(by)
    row = await Module.select().where(Module.id == module_id).first()
    if row is None:
        raise NotFound("No module with this id.")
    return (await _modules([row]))[0]


def slug_after(cursor: str) -> str:
    """The slug a cursor of a slug-ordered list names (400 when forged)."""
    (slug,) = decode_cursor(cursor, str)
    if not _SLUG.match(slug):
        raise InvalidInput([{"field": "cursor", "reason": "is not a cursor this API gave"}])
    return str(slug)


async def list_modules(
    *, by: Actor, cursor: str | None = None, limit: int = DEFAULT_PAGE_SIZE
) -> Page[ModuleRead]:
    """Modules by slug, a page at a time."""
    require_reader(by)
    query = Module.select().order_by(Module.slug).limit(limit + 1)
    if cursor is not None:
        query = query.where(Module.slug > slug_after(cursor))
    rows = await query
    items = await _modules(rows[:limit])
    next_cursor = encode_cursor(items[-1].slug) if items and len(rows) > limit else None
    return Page[ModuleRead](items=items, next_cursor=next_cursor)


async def list_versions(
    module_id: UUID, *, by: Actor, cursor: str | None = None, limit: int = DEFAULT_PAGE_SIZE
) -> Page[ModuleVersionRead]:
    """A module's versions, oldest first (all variants), a page at a time (keyset)."""
    require_reader(by)
    if not await Module.exists().where(Module.id == module_id):
        raise NotFound("No module with this id.")
    query = (
        ModuleVersion.select(*_VERSION_COLUMNS)
        .where(ModuleVersion.module == module_id)
        .order_by(ModuleVersion.created_at, ModuleVersion.id)
        .limit(limit + 1)
    )
    if cursor is not None:
        created, last_id = decode_cursor(cursor, str, str)
        try:
            after = datetime.fromisoformat(created)
            after_id = UUID(last_id)
        except ValueError as error:
            raise InvalidInput(
                [{"field": "cursor", "reason": "is not a cursor this API gave"}]
            ) from error
        query = query.where(
            (ModuleVersion.created_at > after)
            | ((ModuleVersion.created_at == after) & (ModuleVersion.id > after_id))
        )
    rows = await query
    items = await _read_versions(rows[:limit])
    last = items[-1] if items else None
    next_cursor = (
        encode_cursor(last.created_at.isoformat(), str(last.id))
        if last and len(rows) > limit
        else None
    )
    return Page[ModuleVersionRead](items=items, next_cursor=next_cursor)


async def choose_for_patient(
    module_id: UUID, *, language: str, needs: list[str], by: Actor
) -> ModuleChoiceRead:
    """The published version a patient with these preferences would be given, and why."""
    require_reader(by)
    try:
        wanted_language = language_tag(language.strip())
    except ValueError as error:
        raise InvalidInput([{"field": "language", "reason": str(error)}]) from error
    rows = (
        await ModuleVersion.select(ModuleVersion.id, ModuleVersion.language, ModuleVersion.variant)
        .where((ModuleVersion.module == module_id) & (ModuleVersion.status == PUBLISHED))
        .order_by(ModuleVersion.number)
    )
    latest = {(row["language"], row["variant"]): row["id"] for row in rows}
    choice = choose_variant(wanted_language, needs, latest)
    if choice is None:
        raise NotFound("This module has no published version.")
    version = await get_version(latest[(choice.language, choice.variant.value)], by=by)
    return ModuleChoiceRead(
        language=choice.language, variant=choice.variant, fallback=choice.fallback, version=version
    )
