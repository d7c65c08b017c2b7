"""Outcomes per group and per course: who finished, their paired scores, counts and rates.

A patient has finished treatment when the enrolment has ended (completed, discharged,
stepped up, dropped out) with at least two attended sessions (Attendance 5 or 6) that
have a scored measure set. Paired scores are the first and the last PHQ-9 and GAD-7 with
totals (the last may come from a session the patient missed). A finished episode without
both pairs is counted apart (``unpaired``) and left out of the figures.

Every report costs three queries whatever the number of groups or sessions: the ended
enrolments, their attended sessions, their scored sets.
"""

import csv
import io
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from piccolo.columns.combination import Where

from api.core.actor import Actor, Role
from api.core.errors import Forbidden, NotFound
from api.identity import audit
from groups.access import Side, require_group_access
from groups.outcomes import PairedOutcome, classify_pair
from groups.rules.instruments import GAD7, PHQ9
from groups.rules.outcome_rates import OutcomeCounts, aggregate, suppressed
from groups.schemas.outcomes import (
    CourseOutcomesRead,
    GroupOutcomesRead,
    OutcomeCountsRead,
)
from groups.tables import Attendance, Course, Enrolment, Group, GroupFacilitator, MeasureSet

ENDED = ("completed", "discharged", "stepped_up", "dropped_out")
ATTENDED = (5, 6)  # NHS Data Dictionary: attended on time, arrived late and seen
PAIRED = (PHQ9.code, GAD7.code)


@dataclass(frozen=True)
class ScorePoint:
    """One scored set: when, which session, which instrument, its total."""

    session_id: UUID
    session_number: int
    starts_at: datetime
    instrument: str
    total: int


@dataclass(frozen=True)
class Episode:
    """One ended enrolment with its scores and, when finished and paired, its outcome."""

    enrolment_id: UUID
    patient_id: UUID
    group_id: UUID
    status: str
    attended_scored_sessions: int
    points: tuple[ScorePoint, ...]
    outcome: PairedOutcome | None

    @property
    def finished(self) -> bool:
        """Ended with at least two attended sessions that have scores."""
        return self.attended_scored_sessions >= 2

    def first_last(self, code: str) -> tuple[int | None, int | None]:
        """The first and last total of the instrument (None when it was never scored)."""
        return _first_last(self.points, code)


def _first_last(points: Sequence[ScorePoint], code: str) -> tuple[int | None, int | None]:
    totals = [p.total for p in points if p.instrument == code]
    return (totals[0], totals[-1]) if totals else (None, None)


def _episode(row: dict[str, Any], attended: set[UUID], points: list[ScorePoint]) -> Episode:
    ordered = tuple(sorted(points, key=lambda p: (p.starts_at, p.instrument)))
    attended_scored = len({p.session_id for p in points} & attended)
    first_phq9, last_phq9 = _first_last(ordered, PHQ9.code)
    first_gad7, last_gad7 = _first_last(ordered, GAD7.code)
    outcome = None
    if (
        attended_scored >= 2
        and first_phq9 is not None
        and last_phq9 is not None
        and first_gad7 is not None
        and last_gad7 is not None
    ):
        outcome = classify_pair(first_phq9, first_gad7, last_phq9, last_gad7)
    return Episode(
        row["id"], row["patient"], row["group"], row["status"], attended_scored, ordered, outcome
    )


async def episodes(where: Where | Any) -> list[Episode]:
    """The ended enrolments matching ``where``, with attendance and scores: three queries."""
    enrolment_query = Enrolment.select(
        Enrolment.id, Enrolment.patient, Enrolment.group, Enrolment.status
    ).where(where & Enrolment.status.is_in(list(ENDED)))
    rows = await enrolment_query.order_by(Enrolment.id)
    if not rows:
        return []
    ended_ids = Enrolment.select(Enrolment.id).where(where & Enrolment.status.is_in(list(ENDED)))
    attendance = await Attendance.select(Attendance.enrolment, Attendance.session).where(
        Attendance.enrolment.is_in(ended_ids) & Attendance.outcome.is_in(list(ATTENDED))
    )
    sets = await MeasureSet.select(
        MeasureSet.enrolment,
        MeasureSet.session,
        MeasureSet.session.number.as_alias("number"),
        MeasureSet.session.starts_at.as_alias("starts_at"),
        MeasureSet.instrument,
        MeasureSet.total,
    ).where(MeasureSet.enrolment.is_in(ended_ids) & MeasureSet.total.is_not_null())
    attended: dict[UUID, set[UUID]] = defaultdict(set)
    for a in attendance:
        attended[a["enrolment"]].add(a["session"])
    points: dict[UUID, list[ScorePoint]] = defaultdict(list)
    for s in sets:
        points[s["enrolment"]].append(
            ScorePoint(s["session"], s["number"], s["starts_at"], s["instrument"], s["total"])
        )
    return [_episode(r, attended[r["id"]], points[r["id"]]) for r in rows]


def _counts_read(counts: OutcomeCounts) -> OutcomeCountsRead:
    return OutcomeCountsRead.model_validate(counts, from_attributes=True)


def _summary(found: Sequence[Episode]) -> tuple[OutcomeCounts, int, int]:
    finished = [e for e in found if e.finished]
    paired = [e.outcome for e in finished if e.outcome is not None]
    return aggregate(paired), len(found), len(finished) - len(paired)


async def group_outcomes(group_id: UUID, *, by: Actor) -> GroupOutcomesRead:
    """Counts and rates for one group (its facilitators and supervisors)."""
    await require_group_access(group_id, by, Side.CLINICAL)
    counts, ended, unpaired = _summary(await episodes(Enrolment.group == group_id))
    return GroupOutcomesRead(
        group_id=group_id, ended=ended, unpaired=unpaired, counts=_counts_read(counts)
    )


async def _course_scope(course_id: UUID, by: Actor) -> Any:
    """Which enrolments a course report covers (admins refused: clinical).

    Every group of the course for supervisors; a facilitator's own groups of it for them.
    """
    if not await Course.exists().where(Course.id == course_id):
        raise NotFound("No course with this id.")
    groups = Group.select(Group.id).where(Group.course == course_id)
    if by.user_id is None or by.has_any(Role.SUPERVISOR):
        return Enrolment.group.is_in(groups)
    if not by.has_any(Role.FACILITATOR):
        raise Forbidden("Admins see operational records only, never clinical ones.")
    mine = GroupFacilitator.select(GroupFacilitator.group).where(
        GroupFacilitator.staff == by.user_id
    )
    return Enrolment.group.is_in(groups) & Enrolment.group.is_in(mine)


async def course_outcomes(course_id: UUID, *, by: Actor) -> CourseOutcomesRead:
    """Counts and rates over a course's groups (all for supervisors; facilitators' own)."""
    found = await episodes(await _course_scope(course_id, by))
    counts, ended, unpaired = _summary(found)
    return CourseOutcomesRead(
        course_id=course_id,
        groups=len({e.group_id for e in found}),
        ended=ended,
        unpaired=unpaired,
        counts=_counts_read(counts),
    )


_PATIENT_COLUMNS = (
    "enrolment_id",
    "patient_id",
    "status",
    "attended_sessions_with_scores",
    "finished",
    "first_phq9",
    "last_phq9",
    "first_gad7",
    "last_gad7",
    "caseness_at_start",
    "recovered",
    "reliable_improvement",
    "reliable_deterioration",
    "reliable_recovery",
)


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


async def group_outcomes_csv(group_id: UUID, *, by: Actor, now: datetime) -> str:
    """One row per ended enrolment of the group (staff only; every patient read audited)."""
    await require_group_access(group_id, by, Side.CLINICAL)
    found = await episodes(Enrolment.group == group_id)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(_PATIENT_COLUMNS)
    for e in found:
        first_phq9, last_phq9 = e.first_last(PHQ9.code)
        first_gad7, last_gad7 = e.first_last(GAD7.code)
        o = e.outcome
        writer.writerow(
            [
                _cell(v)
                for v in (
                    e.enrolment_id,
                    e.patient_id,
                    e.status,
                    e.attended_scored_sessions,
                    e.finished,
                    first_phq9,
                    last_phq9,
                    first_gad7,
                    last_gad7,
                    o and o.caseness_at_start,
                    o and o.recovered,
                    o and o.reliable_improvement,
                    o and o.reliable_deterioration,
                    o and o.reliable_recovery,
                )
            ]
        )
    await audit.record_reads(by, "patient", [str(e.patient_id) for e in found], now=now)
    return out.getvalue()


_SUMMARY_COLUMNS = (
    "finished",
    "at_caseness",
    "recovered",
    "reliably_improved",
    "reliably_recovered",
    "reliably_deteriorated",
    "recovery_rate",
    "reliable_recovery_rate",
    "reliable_improvement_rate",
    "reliable_deterioration_rate",
)


def summary_csv(scope: str, scope_id: UUID, counts: OutcomeCounts) -> str:
    """The export that may leave the staff API: one row, counts under 5 withheld."""
    shown = suppressed(counts)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(("scope", "id", *_SUMMARY_COLUMNS))
    values = [getattr(shown, name) for name in _SUMMARY_COLUMNS]
    writer.writerow(
        (
            scope,
            str(scope_id),
            *(
                "suppressed" if v is None and name in _SUMMARY_COLUMNS[:6] else _rate_cell(v)
                for name, v in zip(_SUMMARY_COLUMNS, values, strict=True)
            ),
        )
    )
    return out.getvalue()


def _rate_cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.3f}"
    return str(value)


async def group_summary_csv(group_id: UUID, *, by: Actor) -> str:
    """A group's figures for sharing outside the service: counts under 5 suppressed."""
    await require_group_access(group_id, by, Side.CLINICAL)
    counts, _, _ = _summary(await episodes(Enrolment.group == group_id))
    return summary_csv("group", group_id, counts)


async def course_summary_csv(course_id: UUID, *, by: Actor) -> str:
    """A course's figures for sharing outside the service: counts under 5 suppressed."""
    found = await episodes(await _course_scope(course_id, by))
    counts, _, _ = _summary(found)
    return summary_csv("course", course_id, counts)
