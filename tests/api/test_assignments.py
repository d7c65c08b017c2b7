"""Taking a register hands out the session plan's modules and homework to every enrolment."""

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from api.core.actor import Actor, Role
from api.core.database import write_transaction
from groups.tables import Group
from materials.assignments import assign_session_materials
from materials.tables import (
    Assignment,
    HomeworkForm,
    HomeworkFormVersion,
    Module,
    ModuleVersion,
)
from tests.factories import StaffFactory
from tests.group_factories import (
    make_course,
    make_enrolment,
    make_group,
    make_patient,
    make_session,
)

NOW = datetime(2027, 1, 11, 12, 0, tzinfo=UTC)
FIRST = datetime(2027, 1, 11, 10, 0, tzinfo=UTC)


def _plan(modules: list[str], homework: list[str]) -> list[dict[str, Any]]:
    return [
        {
            "title": f"Session {n}",
            "topics": [],
            "duration_minutes": 90,
            "module_refs": modules if n == 1 else [],
            "homework_refs": homework if n == 1 else [],
        }
        for n in range(1, 4)
    ]


async def _module(slug: str, *variants: tuple[str, str, str]) -> dict[tuple[str, str], uuid.UUID]:
    """A module with published versions; each variant is (language, variant, status)."""
    module = Module(slug=slug)
    await module.save()
    ids = {}
    for language, variant, status in variants:
        row = ModuleVersion(
            module=module.id,
            language=language,
            variant=variant,
            status=status,
            title=slug,
            body_markdown="text",
            body_html="<p>text</p>",
        )
        await row.save()
        ids[(language, variant)] = row.id
    return ids


async def _form(slug: str, *, numbers: int = 1) -> uuid.UUID:
    form = HomeworkForm(slug=slug)
    await form.save()
    latest = None
    for number in range(1, numbers + 1):
        row = HomeworkFormVersion(
            form=form.id, number=number, status="published", title=slug, fields=[]
        )
        await row.save()
        latest = row.id
    assert latest is not None
    return latest


async def _assignments() -> list[dict[str, Any]]:
    rows = await Assignment.select(
        Assignment.enrolment,
        Assignment.kind,
        Assignment.slug,
        Assignment.module_version,
        Assignment.form_version,
        Assignment.fallback,
        Assignment.catch_up,
        Assignment.due_at,
    ).order_by(Assignment.kind)
    return sorted(rows, key=lambda row: (str(row["enrolment"]), row["kind"], row["slug"]))


async def _group(modules: list[str], homework: list[str]) -> Group:
    course = await make_course(session_plan=_plan(modules, homework))
    return await make_group(course=course)


async def test_register_assigns_plan_materials_to_attenders_and_catch_up_to_the_rest(
    database: None, staff: StaffFactory
) -> None:
    facilitator = await staff.create(Role.FACILITATOR)
    by = Actor(user_id=facilitator.id, roles=frozenset({Role.FACILITATOR}))
    module = await _module(
        "understanding-worry",
        ("en", "standard", "published"),
        ("en", "easy_read", "published"),
        ("cy", "standard", "draft"),
    )
    form = await _form("worry-diary", numbers=2)
    group = await _group(["understanding-worry", "not-written-yet"], ["worry-diary"])
    first = await make_session(group, 1, FIRST)
    second = await make_session(group, 2, FIRST + timedelta(days=7))
    came = await make_enrolment(group, await make_patient(accessibility_needs=["easy_read"]))
    missed = await make_enrolment(group, await make_patient(preferred_language="cy"))

    async with write_transaction():
        made = await assign_session_materials(
            first.id, {came.id: True, missed.id: False}, by=by, now=NOW
        )

    assert made == 4
    expected = [
        {
            "enrolment": came.id,
            "kind": "homework",
            "slug": "worry-diary",
            "module_version": None,
            "form_version": form,
            "fallback": "none",
            "catch_up": False,
            "due_at": second.starts_at,
        },
        {
            "enrolment": came.id,
            "kind": "module",
            "slug": "understanding-worry",
            "module_version": module[("en", "easy_read")],
            "form_version": None,
            "fallback": "none",
            "catch_up": False,
            "due_at": second.starts_at,
        },
        {
            "enrolment": missed.id,
            "kind": "homework",
            "slug": "worry-diary",
            "module_version": None,
            "form_version": form,
            "fallback": "none",
            "catch_up": True,
            "due_at": second.starts_at,
        },
        {
            "enrolment": missed.id,
            "kind": "module",
            "slug": "understanding-worry",
            # The Welsh version is only a draft: English standard, and says so.
            "module_version": module[("en", "standard")],
            "form_version": None,
            "fallback": "language",
            "catch_up": True,
            "due_at": second.starts_at,
        },
    ]
    assert await _assignments() == sorted(
        expected, key=lambda row: (str(row["enrolment"]), row["kind"], row["slug"])
    )


async def test_corrected_register_assigns_nothing_twice_and_moves_the_catch_up_mark(
    database: None,
) -> None:
    await _module("sleep-hygiene", ("en", "standard", "published"))
    await _form("sleep-diary")
    group = await _group(["sleep-hygiene"], ["sleep-diary"])
    only = await make_session(group, 1, FIRST)  # no next session: due a week later
    enrolment = await make_enrolment(group)
    system = Actor.system()

    async with write_transaction():
        assert (
            await assign_session_materials(only.id, {enrolment.id: False}, by=system, now=NOW) == 2
        )
    async with write_transaction():
        assert (
            await assign_session_materials(only.id, {enrolment.id: True}, by=system, now=NOW) == 0
        )

    rows = await _assignments()
    assert [(row["slug"], row["catch_up"]) for row in rows] == [
        ("sleep-diary", False),
        ("sleep-hygiene", False),
    ]
    assert {row["due_at"] for row in rows} == {FIRST + timedelta(days=7)}


async def test_sessions_without_published_materials_or_other_groups_enrolments_assign_nothing(
    database: None,
) -> None:
    await _module("thought-records", ("en", "standard", "draft"))
    group = await _group(["thought-records"], ["free-text"])
    session = await make_session(group, 1, FIRST)
    elsewhere = await make_enrolment(await make_group())
    mine = await make_enrolment(group)
    system = Actor.system()

    async with write_transaction():
        assert await assign_session_materials(session.id, {mine.id: True}, by=system, now=NOW) == 0
    await _form("free-text")
    async with write_transaction():
        assert (
            await assign_session_materials(session.id, {elsewhere.id: True}, by=system, now=NOW)
            == 0
        )
        assert (
            await assign_session_materials(uuid.uuid4(), {mine.id: True}, by=system, now=NOW) == 0
        )
        assert await assign_session_materials(session.id, {}, by=system, now=NOW) == 0
    assert await _assignments() == []
