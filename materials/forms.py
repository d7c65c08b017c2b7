"""Homework forms: fields as data, versions from draft to published (as modules).

A form has at most one draft, edited in place (If-Match) until it is published; a
published version never changes and assignments name the exact version, so a patient's
answers are always checked against the form they were given.
"""

import json
from datetime import datetime
from pathlib import Path
from typing import Any
from uuid import UUID

from api.core.actor import Actor
from api.core.database import (
    CONSTRAINT_ERRORS,
    for_update,
    is_unique_violation,
    write_transaction,
)
from api.core.errors import NotFound
from api.core.schemas import DEFAULT_PAGE_SIZE, Page, encode_cursor
from api.identity import audit
from materials.errors import DraftExists, DuplicateSlug
from materials.modules import require_admin, require_reader, slug_after
from materials.schemas.forms import (
    FormCreate,
    FormRead,
    FormVersionCreate,
    FormVersionRead,
    FormVersionUpdate,
    stored_fields,
)
from materials.tables import HomeworkForm, HomeworkFormVersion
from materials.versioning import DRAFT, PUBLISHED, publish_draft, require_draft, update_draft

BUILT_IN_DIR = Path(__file__).with_name("forms")
BUILT_IN_SLUGS = (
    "worry-diary",
    "thought-record",
    "activity-schedule",
    "sleep-diary",
    "exposure-record",
    "free-text",
)
_VERSION_COLUMNS = (
    HomeworkFormVersion.id,
    HomeworkFormVersion.form.as_alias("form_id"),
    HomeworkFormVersion.form.slug.as_alias("slug"),
    HomeworkFormVersion.number,
    HomeworkFormVersion.status,
    HomeworkFormVersion.title,
    HomeworkFormVersion.description,
    HomeworkFormVersion.kind,
    HomeworkFormVersion.fields,
    HomeworkFormVersion.published_at,
    HomeworkFormVersion.version,
    HomeworkFormVersion.created_at,
    HomeworkFormVersion.updated_at,
)


def built_in_forms() -> list[FormCreate]:
    """The six forms the service ships with, read from ``materials/forms/*.json``."""
    return [
        FormCreate.model_validate(json.loads((BUILT_IN_DIR / f"{slug}.json").read_text()))
        for slug in BUILT_IN_SLUGS
    ]


async def _version_row(version_id: UUID) -> dict[str, Any]:
    row: dict[str, Any] | None = (
        await HomeworkFormVersion.select(*_VERSION_COLUMNS)
        .where(HomeworkFormVersion.id == version_id)
        .output(load_json=True)
        .first()
    )
    if row is None:
        raise NotFound("No form version with this id.")
    return row


async def get_form_version(version_id: UUID, *, by: Actor) -> FormVersionRead:
    """One version, draft or published, with its fields."""
    require_reader(by)
    return FormVersionRead.model_validate(await _version_row(version_id))


def _new_version(
    form_id: UUID, number: int, new: FormVersionCreate, by: Actor, now: datetime
) -> HomeworkFormVersion:
    return HomeworkFormVersion(
        form=form_id,
        number=number,
        status=DRAFT,
        title=new.title,
        description=new.description,
        kind=new.kind,
        fields=stored_fields(new.fields),
        created_by=by.user_id,
        created_at=now,
        updated_at=now,
    )


async def create_form(new: FormCreate, *, by: Actor, now: datetime) -> FormVersionRead:
    """A new form and its first draft; a taken slug is a 409 naming ``slug``."""
    require_admin(by)
    form = HomeworkForm(slug=new.slug, created_at=now)
    try:
        async with write_transaction():
            await form.save()
            version = _new_version(form.id, 1, new, by, now)
            await version.save()
            await audit.record(by, "homework_form.create", "homework_form", form.id, now=now)
    except CONSTRAINT_ERRORS as error:
        if not is_unique_violation(error):
            raise
        raise DuplicateSlug("A form with this slug already exists.", field="slug") from error
    return await get_form_version(version.id, by=by)


async def create_form_version(
    form_id: UUID, new: FormVersionCreate, *, by: Actor, now: datetime
) -> FormVersionRead:
    """The next draft of a form; 409 ``draft-exists`` while one is open."""
    require_admin(by)
    try:
        async with write_transaction():
            found = await for_update(
                HomeworkForm.select(HomeworkForm.id).where(HomeworkForm.id == form_id)
            ).first()
            if found is None:
                raise NotFound("No form with this id.")
            rows = await HomeworkFormVersion.select(
                HomeworkFormVersion.id, HomeworkFormVersion.number, HomeworkFormVersion.status
            ).where(HomeworkFormVersion.form == form_id)
            draft = next((row for row in rows if row["status"] == DRAFT), None)
            if draft is not None:
                raise DraftExists(
                    "This form already has a draft: edit it, or publish it first.",
                    draft_version_id=str(draft["id"]),
                )
            number = max((row["number"] for row in rows), default=0) + 1
            version = _new_version(form_id, number, new, by, now)
            await version.save()
            await audit.record(
                by, "homework_form_version.create", "homework_form_version", version.id, now=now
            )
    except CONSTRAINT_ERRORS as error:
        if not is_unique_violation(error):
            raise
        raise DraftExists("This form already has a draft: edit it.") from error
    return await get_form_version(version.id, by=by)


async def _require_draft(version_id: UUID) -> None:
    await require_draft(HomeworkFormVersion, version_id, missing="No form version with this id.")


async def update_form_version(
    version_id: UUID,
    changes: FormVersionUpdate,
    *,
    expected_version: int | None,
    by: Actor,
    now: datetime,
) -> FormVersionRead:
    """Edit a draft (If-Match); a published version is a 409 ``version-published``."""
    require_admin(by)
    values: dict[Any, Any] = {}
    if changes.title is not None:
        values[HomeworkFormVersion.title] = changes.title
    if changes.description is not None:
        values[HomeworkFormVersion.description] = changes.description
    if changes.kind is not None:
        values[HomeworkFormVersion.kind] = changes.kind
    if changes.fields is not None:
        values[HomeworkFormVersion.fields] = stored_fields(changes.fields)
    async with write_transaction():
        await _require_draft(version_id)
        await update_draft(
            HomeworkFormVersion,
            version_id,
            values,
            entity="homework_form_version",
            expected_version=expected_version,
            by=by,
            now=now,
        )
    return await get_form_version(version_id, by=by)


async def publish_form_version(
    version_id: UUID, *, expected_version: int | None, by: Actor, now: datetime
) -> FormVersionRead:
    """Freeze a draft (If-Match): assignments from now on name it."""
    require_admin(by)
    async with write_transaction():
        await _require_draft(version_id)
        await publish_draft(
            HomeworkFormVersion,
            version_id,
            entity="homework_form_version",
            expected_version=expected_version,
            by=by,
            now=now,
        )
    return await get_form_version(version_id, by=by)


async def _forms(rows: list[dict[str, Any]]) -> list[FormRead]:
    ids = [row["id"] for row in rows]
    versions = (
        await HomeworkFormVersion.select(
            HomeworkFormVersion.id,
            HomeworkFormVersion.form,
            HomeworkFormVersion.number,
            HomeworkFormVersion.status,
        )
        .where(HomeworkFormVersion.form.is_in(ids))
        .order_by(HomeworkFormVersion.number)
        if ids
        else []
    )
    summary: dict[UUID, dict[str, Any]] = {
        row["id"]: {
            **row,
            "published_version_id": None,
            "published_number": None,
            "draft_version_id": None,
        }
        for row in rows
    }
    for version in versions:
        found = summary[version["form"]]
        if version["status"] == PUBLISHED:
            found["published_version_id"] = version["id"]
            found["published_number"] = version["number"]
        else:
            found["draft_version_id"] = version["id"]
    return [FormRead.model_validate(summary[row["id"]]) for row in rows]


async def get_form(form_id: UUID, *, by: Actor) -> FormRead:
    """A form with its latest published and draft versions."""
    require_reader(by)
    row = await HomeworkForm.select().where(HomeworkForm.id == form_id).first()
    if row is None:
        raise NotFound("No form with this id.")
    return (await _forms([row]))[0]


async def list_forms(
    *, by: Actor, cursor: str | None = None, limit: int = DEFAULT_PAGE_SIZE
) -> Page[FormRead]:
    """Forms by slug, a page at a time."""
    require_reader(by)
    query = HomeworkForm.select().order_by(HomeworkForm.slug).limit(limit + 1)
    if cursor is not None:
        query = query.where(HomeworkForm.slug > slug_after(cursor))
    rows = await query
    items = await _forms(rows[:limit])
    next_cursor = encode_cursor(items[-1].slug) if items and len(rows) > limit else None
    return Page[FormRead](items=items, next_cursor=next_cursor)
