"""Homework: saving and submitting answers, facilitators' comments, the session view.

A submission is checked against the exact form version assigned. Drafts save as often
as the patient likes (limits checked, required fields not yet); submitting checks
everything and makes it final (a later save is a 409). The server works out the figures
facilitators use (sleep efficiency, activity totals) on every save.

Facilitators of the group and supervisors see answers (the clinical side); admins do
not. A facilitator may type in a paper diary for a patient: it is recorded as entered
by them. Until the patient API exists, ``save_patient_submission`` is the patients' path.

Risk phrases: every saved free-text answer is compared with a configurable list of
self-harm and suicide phrases (``materials/forms/risk_phrases.txt``, or the file
``STEPWISE_RISK_PHRASES_FILE`` names). A match raises one risk alert per submission for
a clinician to read the answer. This is a safety net, not an assessment: a match is not
a judgement of risk, and the absence of one says nothing about a patient's safety.
"""

import json
from collections.abc import Mapping
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any
from uuid import UUID

from api.core.actor import Actor
from api.core.database import for_update, write_transaction
from api.core.errors import InvalidInput, NotFound, StaleVersion
from api.core.schemas import DEFAULT_PAGE_SIZE, Page, decode_cursor, encode_cursor
from api.core.settings import get_settings
from api.identity import audit
from groups.access import Side, require_group_access
from groups.risk_alerts import raise_free_text_alert
from groups.tables import Enrolment, GroupSession
from materials.errors import SubmissionFinal
from materials.rules.figures import derived_figures
from materials.rules.forms import free_text, validate_answers
from materials.rules.risk_phrases import matching_phrases, parse_phrases
from materials.schemas.homework import (
    AssignmentRead,
    SessionHomework,
    SubmissionRead,
    SubmissionSave,
)
from materials.tables import Assignment, HomeworkSubmission

DRAFT = "draft"
SUBMITTED = "submitted"
HOMEWORK = "homework"
RISK_SOURCE = "homework_submission"
DEFAULT_PHRASES = Path(__file__).with_name("forms") / "risk_phrases.txt"

_ASSIGNMENT_COLUMNS = (
    Assignment.id,
    Assignment.enrolment.as_alias("enrolment_id"),
    Assignment.enrolment.patient.as_alias("patient_id"),
    Assignment.enrolment._.patient._.given_name.as_alias("given_name"),
    Assignment.enrolment._.patient._.preferred_name.as_alias("preferred_name"),
    Assignment.enrolment._.patient._.family_name.as_alias("family_name"),
    Assignment.enrolment.group.as_alias("group_id"),
    Assignment.session.as_alias("session_id"),
    Assignment.kind,
    Assignment.slug,
    Assignment.module_version.as_alias("module_version_id"),
    Assignment.module_version.title.as_alias("module_title"),
    Assignment.form_version.as_alias("form_version_id"),
    Assignment.form_version.title.as_alias("form_title"),
    Assignment.fallback,
    Assignment.catch_up,
    Assignment.due_at,
    Assignment.assigned_at,
)
_SUBMISSION_COLUMNS = (
    HomeworkSubmission.id,
    HomeworkSubmission.assignment.as_alias("assignment_id"),
    HomeworkSubmission.status,
    HomeworkSubmission.answers,
    HomeworkSubmission.derived,
    HomeworkSubmission.entered_by,
    HomeworkSubmission.submitted_at,
    HomeworkSubmission.comment,
    HomeworkSubmission.comment_by,
    HomeworkSubmission.comment_at,
    HomeworkSubmission.version,
    HomeworkSubmission.created_at,
    HomeworkSubmission.updated_at,
)


@lru_cache(maxsize=4)
def _phrases_from(path: Path) -> tuple[str, ...]:
    with path.open(encoding="utf-8") as lines:
        return parse_phrases(lines)


def risk_phrases() -> tuple[str, ...]:
    """The configured list (read once per file)."""
    return _phrases_from(get_settings().materials.risk_phrases_file or DEFAULT_PHRASES)


def _loaded(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def _submission(row: Mapping[str, Any] | None) -> SubmissionRead | None:
    if row is None:
        return None
    return SubmissionRead.model_validate(
        {**row, "answers": _loaded(row["answers"]), "derived": _loaded(row["derived"])}
    )


def _assignment(row: Mapping[str, Any], submission: Mapping[str, Any] | None) -> AssignmentRead:
    name = f"{row['preferred_name'] or row['given_name']} {row['family_name']}"
    title = row["module_title"] if row["kind"] == "module" else row["form_title"]
    return AssignmentRead.model_validate(
        {**row, "patient_name": name, "title": title or row["slug"], "submission": None}
    ).model_copy(update={"submission": _submission(submission)})


async def _assignment_row(assignment_id: UUID) -> dict[str, Any]:
    row: dict[str, Any] | None = (
        await Assignment.select(*_ASSIGNMENT_COLUMNS).where(Assignment.id == assignment_id).first()
    )
    if row is None:
        raise NotFound("No assignment with this id.")
    return row


async def _submission_row(assignment_id: UUID) -> dict[str, Any] | None:
    row: dict[str, Any] | None = (
        await HomeworkSubmission.select(*_SUBMISSION_COLUMNS)
        .where(HomeworkSubmission.assignment == assignment_id)
        .first()
    )
    return row


async def get_assignment(assignment_id: UUID, *, by: Actor, now: datetime) -> AssignmentRead:
    """One assignment and its submission (clinical: the group's facilitators, supervisors)."""
    row = await _assignment_row(assignment_id)
    await require_group_access(row["group_id"], by, Side.CLINICAL)
    read = _assignment(row, await _submission_row(assignment_id))
    await audit.record_reads(by, "patient", [row["patient_id"]], now=now)
    return read


async def _save(
    assignment_id: UUID,
    new: SubmissionSave,
    *,
    by: Actor,
    entered_by: UUID | None,
    expected_version: int | None,
    now: datetime,
) -> None:
    """Inside a write transaction: check, compute, write, and raise an alert on a phrase."""
    # Saves of one assignment queue here (PostgreSQL row lock; SQLite's write lock), so two
    # first saves at once make one submission, not a unique-key failure.
    await for_update(Assignment.select(Assignment.id).where(Assignment.id == assignment_id)).first()
    found = (
        await Assignment.select(
            Assignment.enrolment,
            Assignment.kind,
            Assignment.form_version.fields.as_alias("fields"),
            Assignment.form_version.kind.as_alias("form_kind"),
        )
        .where(Assignment.id == assignment_id)
        .first()
    )
    if found is None:
        raise NotFound("No assignment with this id.")
    if found["kind"] != HOMEWORK:
        raise InvalidInput([{"field": "answers", "reason": "a module has no answers to save"}])
    current = await for_update(
        HomeworkSubmission.select(
            HomeworkSubmission.id, HomeworkSubmission.status, HomeworkSubmission.version
        ).where(HomeworkSubmission.assignment == assignment_id)
    ).first()
    if current is not None and current["status"] == SUBMITTED:
        raise SubmissionFinal("This homework was submitted: it can no longer be changed.")
    if expected_version is not None and (current or {}).get("version", 0) != expected_version:
        raise StaleVersion(
            "Someone saved this homework since you read it: reload and try again.",
            current_version=(current or {}).get("version", 0),
        )
    fields = _loaded(found["fields"]) or []
    problems = validate_answers(fields, new.answers, final=new.submit)
    if problems:
        raise InvalidInput(problems)
    values: dict[Any, Any] = {
        HomeworkSubmission.answers: new.answers,
        HomeworkSubmission.derived: derived_figures(found["form_kind"] or "", new.answers),
        HomeworkSubmission.status: SUBMITTED if new.submit else DRAFT,
        HomeworkSubmission.submitted_at: now if new.submit else None,
        HomeworkSubmission.entered_by: entered_by,
        HomeworkSubmission.updated_at: now,
    }
    if current is None:
        row = HomeworkSubmission(
            assignment=assignment_id,
            created_at=now,
            **{column._meta.name: value for column, value in values.items()},
        )
        await row.save()
        submission_id = row.id
    else:
        submission_id = current["id"]
        await HomeworkSubmission.update(
            {**values, HomeworkSubmission.version: HomeworkSubmission.version + 1}
        ).where(HomeworkSubmission.id == submission_id)
    action = "homework_submission.submit" if new.submit else "homework_submission.save"
    await audit.record(by, action, "homework_submission", submission_id, now=now)
    if matching_phrases(free_text(fields, new.answers), risk_phrases()):
        await raise_free_text_alert(found["enrolment"], RISK_SOURCE, str(submission_id), now=now)


async def save_submission(
    assignment_id: UUID,
    new: SubmissionSave,
    *,
    expected_version: int | None = None,
    by: Actor,
    now: datetime,
) -> AssignmentRead:
    """Staff enter answers for a patient (a paper diary): recorded as entered by them.

    The group's facilitators and supervisors (not admins: answers are clinical).
    """
    row = await _assignment_row(assignment_id)
    await require_group_access(row["group_id"], by, Side.CLINICAL)
    async with write_transaction():
        await _save(
            assignment_id,
            new,
            by=by,
            entered_by=by.user_id,
            expected_version=expected_version,
            now=now,
        )
    return _assignment(row, await _submission_row(assignment_id))


async def save_patient_submission(
    assignment_id: UUID,
    patient_id: UUID,
    new: SubmissionSave,
    *,
    now: datetime,
) -> SubmissionRead:
    """The patient's own save or submit (for the patient API): 404 unless it is theirs."""
    row = await _assignment_row(assignment_id)
    if row["patient_id"] != patient_id:
        raise NotFound("No assignment with this id.")
    async with write_transaction():
        await _save(
            assignment_id,
            new,
            by=Actor.system(),
            entered_by=None,
            expected_version=None,
            now=now,
        )
    saved = _submission(await _submission_row(assignment_id))
    assert saved is not None  # noqa: S101 - written in the transaction above
    return saved


async def comment_on_submission(
    assignment_id: UUID, comment: str, *, by: Actor, now: datetime
) -> AssignmentRead:
    """A facilitator's short note the patient will see (replaces any earlier one)."""
    row = await _assignment_row(assignment_id)
    await require_group_access(row["group_id"], by, Side.CLINICAL)
    async with write_transaction():
        current = await for_update(
            HomeworkSubmission.select(HomeworkSubmission.id).where(
                HomeworkSubmission.assignment == assignment_id
            )
        ).first()
        if current is None:
            raise NotFound("Nothing has been saved for this homework yet.")
        await HomeworkSubmission.update(
            {
                HomeworkSubmission.comment: comment,
                HomeworkSubmission.comment_by: by.user_id,
                HomeworkSubmission.comment_at: now,
                HomeworkSubmission.updated_at: now,
                HomeworkSubmission.version: HomeworkSubmission.version + 1,
            }
        ).where(HomeworkSubmission.id == current["id"])
        await audit.record(
            by, "homework_submission.comment", "homework_submission", current["id"], now=now
        )
    return _assignment(row, await _submission_row(assignment_id))


def _cursor_id(cursor: str) -> UUID:
    (value,) = decode_cursor(cursor, str)
    try:
        return UUID(value)
    except ValueError as error:
        raise InvalidInput([{"field": "cursor", "reason": "is not a cursor this API gave"}]) from (
            error
        )


async def _homework_counts(session_id: UUID) -> dict[str, int]:
    rows = await Assignment.select(
        Assignment.id,
        Assignment.id.join_on(HomeworkSubmission.assignment).status.as_alias("status"),
    ).where((Assignment.session == session_id) & (Assignment.kind == HOMEWORK))
    statuses = [row["status"] for row in rows]
    return {
        "homework_assigned": len(statuses),
        "submitted": statuses.count(SUBMITTED),
        "in_progress": statuses.count(DRAFT),
        "not_started": statuses.count(None),
    }


async def session_homework(
    session_id: UUID,
    *,
    by: Actor,
    now: datetime,
    kind: str | None = HOMEWORK,
    cursor: str | None = None,
    limit: int = DEFAULT_PAGE_SIZE,
) -> SessionHomework:
    """Per patient, what the session handed out and what has come back (clinical)."""
    session = (
        await GroupSession.select(GroupSession.group).where(GroupSession.id == session_id).first()
    )
    if session is None:
        raise NotFound("No session with this id.")
    await require_group_access(session["group"], by, Side.CLINICAL)
    conditions = [Assignment.session == session_id]
    if kind is not None:
        conditions.append(Assignment.kind == kind)
    items, shown, next_cursor = await _page_of_assignments(conditions, cursor=cursor, limit=limit)
    counts = await _homework_counts(session_id)
    await audit.record_reads(by, "patient", sorted({row["patient_id"] for row in shown}), now=now)
    return SessionHomework(session_id=session_id, items=items, next_cursor=next_cursor, **counts)


async def _page_of_assignments(
    conditions: list[Any], *, cursor: str | None, limit: int
) -> tuple[list[AssignmentRead], list[dict[str, Any]], str | None]:
    """Assignments matching, by id, a page at a time, with their submissions (2 queries)."""
    if cursor is not None:
        conditions = [*conditions, Assignment.id > _cursor_id(cursor)]
    rows = (
        await Assignment.select(*_ASSIGNMENT_COLUMNS)
        .where(*conditions)
        .order_by(Assignment.id)
        .limit(limit + 1)
    )
    shown = rows[:limit]
    submissions = (
        await HomeworkSubmission.select(*_SUBMISSION_COLUMNS).where(
            HomeworkSubmission.assignment.is_in([row["id"] for row in shown])
        )
        if shown
        else []
    )
    by_assignment = {row["assignment_id"]: row for row in submissions}
    items = [_assignment(row, by_assignment.get(row["id"])) for row in shown]
    next_cursor = encode_cursor(str(shown[-1]["id"])) if len(rows) > limit else None
    return items, shown, next_cursor


async def enrolment_assignments(
    enrolment_id: UUID,
    *,
    by: Actor,
    now: datetime,
    cursor: str | None = None,
    limit: int = DEFAULT_PAGE_SIZE,
) -> Page[AssignmentRead]:
    """Everything one patient was given in one group, with their answers (clinical)."""
    found = (
        await Enrolment.select(Enrolment.group, Enrolment.patient)
        .where(Enrolment.id == enrolment_id)
        .first()
    )
    if found is None:
        raise NotFound("No enrolment with this id.")
    await require_group_access(found["group"], by, Side.CLINICAL)
    items, _, next_cursor = await _page_of_assignments(
        [Assignment.enrolment == enrolment_id], cursor=cursor, limit=limit
    )
    await audit.record_reads(by, "patient", [found["patient"]], now=now)
    return Page[AssignmentRead](items=items, next_cursor=next_cursor)


async def patient_assignments(
    patient_id: UUID, *, cursor: str | None = None, limit: int = DEFAULT_PAGE_SIZE
) -> Page[AssignmentRead]:
    """For the coming patient API: a patient's own assignments, comments included."""
    items, _, next_cursor = await _page_of_assignments(
        [Assignment.enrolment.patient == patient_id], cursor=cursor, limit=limit
    )
    return Page[AssignmentRead](items=items, next_cursor=next_cursor)
