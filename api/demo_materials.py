"""Demo materials: six original modules and the six built-in homework forms, published.

One module also comes in Welsh and in easy read, so the demo courses' plans have
something to hand out to every patient. Idempotent: a slug already there is left alone,
so a second run adds nothing.

The module texts live in ``materials/content/<slug>.<language>.<variant>.md``: a
``title:`` and ``summary:`` line, ``---``, then the markdown body. They were written for
this service (not copied from published booklets).
"""

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from uuid import UUID

from api.core.actor import Actor
from api.core.database import write_transaction
from materials import forms, modules
from materials.rules.choice import Variant
from materials.schemas.modules import ModuleCreate, ModuleVersionCreate
from materials.tables import HomeworkForm, Module

CONTENT_DIR = Path(__file__).resolve().parents[1] / "materials" / "content"
MODULE_SLUGS = (
    "understanding-worry",
    "behavioural-activation",
    "sleep-hygiene",
    "thought-records",
    "living-with-low-mood",
    "managing-stress",
)


@dataclass(frozen=True)
class DemoText:
    """One variant's text, read from its file."""

    slug: str
    language: str
    variant: Variant
    title: str
    summary: str
    body: str


def demo_texts() -> list[DemoText]:
    """Every module text file, standard English first within each slug."""
    texts = []
    for path in sorted(CONTENT_DIR.glob("*.md")):
        slug, language, variant = path.name.removesuffix(".md").split(".")
        header, body = path.read_text(encoding="utf-8").split("\n---\n", 1)
        fields = dict(line.split(": ", 1) for line in header.splitlines() if ": " in line)
        texts.append(
            DemoText(
                slug, language, Variant(variant), fields["title"], fields["summary"], body.strip()
            )
        )
    english_standard_first = sorted(
        texts,
        key=lambda t: (t.slug, (t.language, t.variant) != ("en", Variant.STANDARD), t.language),
    )
    return english_standard_first


async def _publish_module(text: DemoText, module_id: UUID | None, by: Actor, now: datetime) -> UUID:
    new = ModuleVersionCreate(
        language=text.language,
        variant=text.variant,
        title=text.title,
        summary=text.summary,
        body_markdown=text.body,
    )
    if module_id is None:
        draft = await modules.create_module(
            ModuleCreate(slug=text.slug, **new.model_dump()), by=by, now=now
        )
    else:
        draft = await modules.create_version(module_id, new, by=by, now=now)
    await modules.publish_version(draft.id, expected_version=draft.version, by=by, now=now)
    return draft.module_id


async def load_demo_materials(*, now: datetime) -> bool:
    """Publish the demo modules and built-in forms that are not there yet; True if any were."""
    by = Actor.system()
    existing_modules = {row["slug"] for row in await Module.select(Module.slug)}
    existing_forms = {row["slug"] for row in await HomeworkForm.select(HomeworkForm.slug)}
    added = False
    async with write_transaction():
        created: dict[str, UUID] = {}
        for text in demo_texts():
            if text.slug in existing_modules:
                continue
            created[text.slug] = await _publish_module(text, created.get(text.slug), by, now)
            added = True
        for form in forms.built_in_forms():
            if form.slug in existing_forms:
                continue
            draft = await forms.create_form(form, by=by, now=now)
            await forms.publish_form_version(
                draft.id, expected_version=draft.version, by=by, now=now
            )
            added = True
    return added
