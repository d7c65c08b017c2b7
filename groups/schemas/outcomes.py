"""Outcome bodies: counts and rates per group and per course."""

from uuid import UUID

from pydantic import Field

from api.core.schemas import ResponseModel


class OutcomeCountsRead(ResponseModel):
    """Counts of finished episodes with paired scores, and the rates (0 to 1)."""

    finished: int | None
    at_caseness: int | None
    recovered: int | None
    reliably_improved: int | None
    reliably_recovered: int | None
    reliably_deteriorated: int | None
    recovery_rate: float | None = Field(description="recovered / at_caseness")
    reliable_recovery_rate: float | None = Field(description="reliably_recovered / at_caseness")
    reliable_improvement_rate: float | None = Field(description="reliably_improved / finished")
    reliable_deterioration_rate: float | None = Field(
        description="reliably_deteriorated / finished"
    )


class GroupOutcomesRead(ResponseModel):
    """A group's figures (staff only; not suppressed)."""

    group_id: UUID
    ended: int = Field(description="Enrolments that have ended, finished or not.")
    unpaired: int = Field(
        description="Finished, but without a first and last PHQ-9 and GAD-7 total."
    )
    counts: OutcomeCountsRead


class CourseOutcomesRead(ResponseModel):
    """Every group of a course together (staff only; not suppressed)."""

    course_id: UUID
    groups: int = Field(description="Groups with at least one ended enrolment.")
    ended: int
    unpaired: int
    counts: OutcomeCountsRead
