"""Request and response bodies for assignments, submissions and the session view."""

from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import AfterValidator, Field, field_validator

from api.core.schemas import RequestModel, ResponseModel, has_nul
from scheduling.schemas.venues import paragraphs, text

MAX_COMMENT = 1000
Comment = Annotated[str, text(MAX_COMMENT), AfterValidator(paragraphs)]


MAX_ANSWER_DEPTH = 4  # answers -> rows -> row -> a multiple choice's list


def _deeper_than(value: Any, limit: int) -> bool:
    """Whether lists and objects nest deeper than ``limit`` (iterative: no recursion)."""
    pending = [(value, 0)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, dict):
            children = list(item.values())
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth >= limit:
            return True
        pending.extend((child, depth + 1) for child in children)
    return False


class SubmissionSave(RequestModel):
    """Answers keyed by field key (rows as lists of objects); ``submit`` makes them final."""

    @field_validator("*", mode="before")
    @classmethod
    def _refuse_nul(cls, value: Any) -> Any:
        # Replaces the base check, which recurses: depth first, so no input reaches it deep.
        if _deeper_than(value, MAX_ANSWER_DEPTH):
            raise ValueError("nests lists and objects deeper than any form allows")
        if has_nul(value):
            raise ValueError("must not contain NUL characters")
        return value

    answers: dict[str, Any] = Field(
        description="Checked against the form version assigned; each problem names its field."
    )
    submit: bool = Field(default=False, description="False: save a draft. True: final.")


class CommentSave(RequestModel):
    """A short note the patient will see with their homework."""

    comment: Comment


class SubmissionRead(ResponseModel):
    """A patient's answers, the server's figures, and the facilitator's comment."""

    id: UUID
    assignment_id: UUID
    status: Literal["draft", "submitted"]
    answers: dict[str, Any]
    derived: dict[str, Any]
    entered_by: UUID | None = Field(description="The staff member who typed in a paper copy.")
    submitted_at: datetime | None
    comment: str
    comment_by: UUID | None
    comment_at: datetime | None
    version: int
    created_at: datetime
    updated_at: datetime


class AssignmentRead(ResponseModel):
    """A module or homework form given to a patient at a session."""

    id: UUID
    enrolment_id: UUID
    patient_id: UUID
    patient_name: str
    session_id: UUID
    kind: Literal["module", "homework"]
    slug: str
    title: str
    module_version_id: UUID | None
    form_version_id: UUID | None
    fallback: str
    catch_up: bool
    due_at: datetime
    assigned_at: datetime
    submission: SubmissionRead | None


class SessionHomework(ResponseModel):
    """Who has done the homework set at a session, before the next one."""

    session_id: UUID
    homework_assigned: int = Field(description="Homework assignments of the session.")
    submitted: int
    in_progress: int = Field(description="Drafts saved, not yet submitted.")
    not_started: int
    items: list[AssignmentRead]
    next_cursor: str | None = None
