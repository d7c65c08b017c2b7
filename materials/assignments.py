"""Handing out a session's modules and homework when its register is taken.

The register (groups) calls ``assign_session_materials`` inside its own write
transaction. Every enrolment named gets the session plan's modules and homework forms,
each at its latest published version (the module in the variant that suits the patient),
due before the group's next session (or a week after this one when it is the last).
Patients who did not attend get the same pack marked ``catch_up`` so the facilitators can
follow up. A unique key per (enrolment, session, kind, slug) means a corrected register
assigns nothing twice; a correction only moves the catch-up mark.
"""

import json
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from api.core.actor import Actor
from api.identity import audit
from groups.tables import Enrolment, Group, GroupSession
from materials.rules.choice import choose_variant
from materials.tables import Assignment, HomeworkFormVersion, ModuleVersion

MODULE = "module"
HOMEWORK = "homework"
PUBLISHED = "published"
DUE_WITHOUT_NEXT_SESSION = timedelta(days=7)
# (kind, slug, module version, form version, fallback)
PackItem = tuple[str, str, UUID | None, UUID | None, str]


def _plan_entry(plan: Any, number: int) -> Mapping[str, Any]:
    sessions: list[dict[str, Any]] = json.loads(plan) if isinstance(plan, str) else plan or []
    for position, entry in enumerate(sessions, start=1):
        if entry.get("number", position) == number:
            return entry
    return {}


async def _due_at(session: Mapping[str, Any]) -> datetime:
    following = (
        await GroupSession.select(GroupSession.starts_at)
        .where(
            (GroupSession.group == session["group"])
            & (GroupSession.number > session["number"])
            & (GroupSession.status != "cancelled")
        )
        .order_by(GroupSession.number)
        .first()
    )
    if following is not None:
        due: datetime = following["starts_at"]
        return due
    start: datetime = session["starts_at"]
    return start + DUE_WITHOUT_NEXT_SESSION


async def _published_modules(slugs: list[str]) -> dict[str, dict[tuple[str, str], UUID]]:
    """Per slug, the latest published version id of each (language, variant)."""
    if not slugs:
        return {}
    rows = (
        await ModuleVersion.select(
            ModuleVersion.id,
            ModuleVersion.module.slug.as_alias("slug"),
            ModuleVersion.language,
            ModuleVersion.variant,
        )
        .where(ModuleVersion.module.slug.is_in(slugs) & (ModuleVersion.status == PUBLISHED))
        .order_by(ModuleVersion.number)
    )
    found: dict[str, dict[tuple[str, str], UUID]] = {}
    for row in rows:  # ascending number: the latest overwrites
        found.setdefault(row["slug"], {})[(row["language"], row["variant"])] = row["id"]
    return found


async def _published_forms(slugs: list[str]) -> dict[str, UUID]:
    """Per slug, the latest published form version id."""
    if not slugs:
        return {}
    rows = (
        await HomeworkFormVersion.select(
            HomeworkFormVersion.id, HomeworkFormVersion.form.slug.as_alias("slug")
        )
        .where(
            HomeworkFormVersion.form.slug.is_in(slugs) & (HomeworkFormVersion.status == PUBLISHED)
        )
        .order_by(HomeworkFormVersion.number)
    )
    return {row["slug"]: row["id"] for row in rows}


def _needs(value: Any) -> list[str]:
    if isinstance(value, str):  # SQLite arrays can come back as text
        loaded: list[str] = json.loads(value)
        return loaded
    return list(value or [])


def _pack(
    enrolment: Mapping[str, Any],
    modules: Mapping[str, Mapping[tuple[str, str], UUID]],
    forms: Mapping[str, UUID],
) -> list[PackItem]:
    """(kind, slug, module version, form version, fallback) for one patient."""
    pack: list[PackItem] = []
    for slug, variants in modules.items():
        choice = choose_variant(enrolment["language"] or "en", _needs(enrolment["needs"]), variants)
        if choice is not None:
            version_id = variants[(choice.language, choice.variant.value)]
            pack.append((MODULE, slug, version_id, None, choice.fallback.value))
    pack.extend((HOMEWORK, slug, None, version_id, "none") for slug, version_id in forms.items())
    return pack


def _changes(
    enrolments: list[dict[str, Any]],
    attended: Mapping[UUID, bool],
    held: Mapping[tuple[UUID, str, str], Mapping[str, Any]],
    modules: Mapping[str, Mapping[tuple[str, str], UUID]],
    forms: Mapping[str, UUID],
) -> tuple[list[tuple[UUID, bool, PackItem]], dict[bool, list[UUID]]]:
    """What to insert (enrolment, catch-up, item) and which held rows change catch-up mark."""
    fresh: list[tuple[UUID, bool, PackItem]] = []
    moved: dict[bool, list[UUID]] = {True: [], False: []}
    for enrolment in enrolments:
        catch_up = not attended[enrolment["id"]]
        for item in _pack(enrolment, modules, forms):
            old = held.get((enrolment["id"], item[0], item[1]))
            if old is None:
                fresh.append((enrolment["id"], catch_up, item))
            elif old["catch_up"] != catch_up:
                moved[catch_up].append(old["id"])
    return fresh, moved


async def _session_and_refs(session_id: UUID) -> tuple[dict[str, Any] | None, list[str], list[str]]:
    session: dict[str, Any] | None = (
        await GroupSession.select(
            GroupSession.id,
            GroupSession.group,
            GroupSession.number,
            GroupSession.starts_at,
        )
        .where(GroupSession.id == session_id)
        .first()
    )
    if session is None:
        return None, [], []
    group = await Group.select(Group.session_plan).where(Group.id == session["group"]).first()
    entry = _plan_entry(group["session_plan"] if group else [], session["number"])
    module_refs = list(dict.fromkeys(entry.get("module_refs") or []))
    homework_refs = list(dict.fromkeys(entry.get("homework_refs") or []))
    return session, module_refs, homework_refs


async def assign_session_materials(
    session_id: UUID, attended: Mapping[UUID, bool], *, by: Actor, now: datetime
) -> int:
    """Assign the session plan's materials to each enrolment named; return how many new.

    ``attended`` maps enrolment ids of the session's group to whether the patient came.
    Runs inside the caller's write transaction (it opens none). Slugs with no published
    version are skipped (nothing to give yet). Enrolments of another group are ignored.
    """
    if not attended:
        return 0
    session, module_refs, homework_refs = await _session_and_refs(session_id)
    if session is None:
        return 0
    modules = await _published_modules(module_refs)
    forms = await _published_forms(homework_refs)
    if not modules and not forms:
        return 0
    enrolments = await Enrolment.select(
        Enrolment.id,
        Enrolment.patient.preferred_language.as_alias("language"),
        Enrolment.patient.accessibility_needs.as_alias("needs"),
    ).where(Enrolment.id.is_in(list(attended)) & (Enrolment.group == session["group"]))
    if not enrolments:
        return 0
    existing = await Assignment.select(
        Assignment.id, Assignment.enrolment, Assignment.kind, Assignment.slug, Assignment.catch_up
    ).where(
        (Assignment.session == session_id)
        & Assignment.enrolment.is_in([row["id"] for row in enrolments])
    )
    held = {(row["enrolment"], row["kind"], row["slug"]): row for row in existing}

    due_at = await _due_at(session)
    fresh, moved = _changes(enrolments, attended, held, modules, forms)
    new_rows = [
        Assignment(
            enrolment=enrolment_id,
            session=session_id,
            kind=kind,
            slug=slug,
            module_version=module_version,
            form_version=form_version,
            fallback=fallback,
            catch_up=catch_up,
            due_at=due_at,
            assigned_at=now,
            assigned_by=by.user_id,
        )
        for enrolment_id, catch_up, (kind, slug, module_version, form_version, fallback) in fresh
    ]
    if new_rows:
        await Assignment.insert(*new_rows)
    for catch_up, ids in moved.items():
        if ids:
            await Assignment.update({Assignment.catch_up: catch_up}).where(Assignment.id.is_in(ids))
    if new_rows or moved[True] or moved[False]:
        await audit.record(by, "assignment.assign", "group_session", session_id, now=now)
    return len(new_rows)
