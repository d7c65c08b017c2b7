"""Courses: create, read, list with filters, edit with If-Match, archive and unarchive.

A group copies its course's plan when it is created (``frozen_plan``), so editing a
course never changes a group already scheduled from it.
"""

import copy
import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from uuid import UUID

from api.core.actor import Actor, Role
from api.core.database import CONSTRAINT_ERRORS, is_unique_violation, write_transaction
from api.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from api.core.schemas import DEFAULT_PAGE_SIZE, Page, encode_cursor
from api.identity import audit
from api.identity.versioning import write_versioned
from groups.schemas.courses import (
    CourseCreate,
    CourseRead,
    CourseUpdate,
    PlannedSessionCreate,
    Problem,
    language_tag,
)
from groups.tables import Course
from scheduling.venues import after_name_and_id

ENTITY = "course"
READERS = (Role.ADMIN, Role.FACILITATOR, Role.SUPERVISOR)
_READ_COLUMNS = (
    Course.id,
    Course.name,
    Course.summary,
    Course.problems,
    Course.min_group_size,
    Course.max_group_size,
    Course.default_session_minutes,
    Course.language,
    Course.session_plan,
    Course.is_archived,
    Course.version,
    Course.created_at,
    Course.updated_at,
)
_DUPLICATE_NAME = "A course with this name already exists."


def _require_admin(by: Actor) -> None:
    if by.user_id is not None and not by.has_any(Role.ADMIN):
        raise Forbidden("Only admins manage courses.")


def _require_reader(by: Actor) -> None:
    if by.user_id is not None and not by.has_any(*READERS):
        raise Forbidden("Your role does not allow this.")


def _stored_plan(plan: list[PlannedSessionCreate]) -> list[dict[str, Any]]:
    # duration_minutes stays null when not given: it follows the course's default.
    return [session.model_dump(mode="json") for session in plan]


def _plan_of(row: Mapping[str, Any]) -> list[dict[str, Any]]:
    plan = row["session_plan"]
    loaded: list[dict[str, Any]] = json.loads(plan) if isinstance(plan, str) else plan
    return loaded


def numbered_plan(row: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The plan as read: sessions numbered from 1, each duration resolved to minutes."""
    default = row["default_session_minutes"]
    return [
        {
            "number": number,
            "title": session["title"],
            "topics": list(session["topics"]),
            "duration_minutes": session.get("duration_minutes") or default,
            "module_refs": list(session["module_refs"]),
            "homework_refs": list(session["homework_refs"]),
        }
        for number, session in enumerate(_plan_of(row), start=1)
    ]


def frozen_plan(course_row: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The copy of a course's plan a group keeps, stamped with the course's name and version.

    Sessions are numbered and their durations resolved; nothing is shared with ``course_row``.
    """
    stamp = {"course_name": course_row["name"], "course_version": course_row["version"]}
    return [{**copy.deepcopy(session), **stamp} for session in numbered_plan(course_row)]


def _read(row: Mapping[str, Any]) -> CourseRead:
    return CourseRead.model_validate({**row, "session_plan": numbered_plan(row)})


async def _course_row(course_id: UUID) -> dict[str, Any]:
    query = Course.select(*_READ_COLUMNS).where(Course.id == course_id).output(load_json=True)
    row: dict[str, Any] | None = await query.first()
    if row is None:
        raise NotFound("No course with this id.")
    return row


async def create_course(new: CourseCreate, *, by: Actor, now: datetime) -> CourseRead:
    """Add a course; a name already taken is a 409 naming ``name``."""
    _require_admin(by)
    values = new.model_dump(mode="json")
    values["session_plan"] = _stored_plan(new.session_plan)
    course = Course(**values, created_at=now, updated_at=now)
    try:
        async with write_transaction():
            await course.save()
            await audit.record(by, "course.create", ENTITY, course.id, now=now)
    except CONSTRAINT_ERRORS as error:
        # The only unique column a write can clash on is the name (ids are random UUIDs).
        if not is_unique_violation(error):
            raise
        raise Conflict(_DUPLICATE_NAME, field="name") from error
    return _read(await _course_row(course.id))


async def get_course(course_id: UUID, *, by: Actor) -> CourseRead:
    """One course, archived or not."""
    _require_reader(by)
    return _read(await _course_row(course_id))


def _language_filter(value: str) -> str:
    try:
        return language_tag(value.strip())
    except ValueError as error:
        raise InvalidInput([{"field": "language", "reason": str(error)}]) from error


async def list_courses(
    *,
    by: Actor,
    problem: Problem | None = None,
    language: str | None = None,
    include_archived: bool = False,
    cursor: str | None = None,
    limit: int = DEFAULT_PAGE_SIZE,
) -> Page[CourseRead]:
    """Courses by name then id, a page at a time (keyset), filtered."""
    _require_reader(by)
    conditions: list[Any] = []
    if not include_archived:
        conditions.append(Course.is_archived.eq(False))
    if problem is not None:
        conditions.append(Course.problems.any(problem.value))
    if language is not None:
        conditions.append(Course.language == _language_filter(language))
    if cursor is not None:
        conditions.append(after_name_and_id(Course, cursor))
    query = (
        Course.select(*_READ_COLUMNS)
        .order_by(Course.name, Course.id)
        .limit(limit + 1)
        .output(load_json=True)
    )
    if conditions:
        query = query.where(*conditions)
    rows = await query
    items = [_read(row) for row in rows[:limit]]
    last = items[-1] if items else None
    next_cursor = encode_cursor(last.name, str(last.id)) if last and len(rows) > limit else None
    return Page[CourseRead](items=items, next_cursor=next_cursor)


async def _check_group_sizes(course_id: UUID, changes: CourseUpdate) -> None:
    """Inside the transaction: min <= max once the change is merged with what is stored."""
    if changes.min_group_size is None and changes.max_group_size is None:
        return
    row = (
        await Course.select(Course.min_group_size, Course.max_group_size)
        .where(Course.id == course_id)
        .first()
    )
    if row is None:
        return  # write_versioned answers 404
    minimum = changes.min_group_size or row["min_group_size"]
    maximum = changes.max_group_size or row["max_group_size"]
    if minimum > maximum:
        field = "max_group_size" if changes.max_group_size is not None else "min_group_size"
        raise InvalidInput(
            [{"field": field, "reason": "min_group_size must not exceed max_group_size"}]
        )


async def update_course(
    course_id: UUID,
    changes: CourseUpdate,
    *,
    expected_version: int | None,
    by: Actor,
    now: datetime,
) -> CourseRead:
    """Edit a course if ``expected_version`` is still current (else 412; 428 without one).

    Groups already created from the course keep their frozen copy of the plan.
    """
    _require_admin(by)
    dumped = changes.model_dump(mode="json", exclude_none=True)
    if changes.session_plan is not None:
        dumped["session_plan"] = _stored_plan(changes.session_plan)
    values: dict[Any, Any] = {getattr(Course, name): value for name, value in dumped.items()}
    try:
        async with write_transaction():
            await _check_group_sizes(course_id, changes)
            if await write_versioned(
                Course, course_id, values, expected_version=expected_version, now=now
            ):
                await audit.record(by, "course.update", ENTITY, course_id, now=now)
    except CONSTRAINT_ERRORS as error:
        # The only unique column a write can clash on is the name (ids are random UUIDs).
        if not is_unique_violation(error):
            raise
        raise Conflict(_DUPLICATE_NAME, field="name") from error
    return _read(await _course_row(course_id))


async def set_archived(
    course_id: UUID, *, archived: bool, expected_version: int | None, by: Actor, now: datetime
) -> CourseRead:
    """Archive (hidden from default lists; groups run from it keep their plans) or unarchive."""
    _require_admin(by)
    async with write_transaction():
        await write_versioned(
            Course,
            course_id,
            {Course.is_archived: archived},
            expected_version=expected_version,
            now=now,
        )
        action = "course.archive" if archived else "course.unarchive"
        await audit.record(by, action, ENTITY, course_id, now=now)
    return _read(await _course_row(course_id))


async def load_frozen_plan(course_id: UUID) -> list[dict[str, Any]]:
    """Inside the caller's transaction: the frozen plan of a course open to new groups.

    404 for an unknown course; 409 (naming ``course_id``) for an archived one.
    """
    row = await _course_row(course_id)
    if row["is_archived"]:
        raise Conflict("The course is archived: unarchive it first.", field="course_id")
    return frozen_plan(row)
