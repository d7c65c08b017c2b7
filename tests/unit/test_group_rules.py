"""Group defaults, size limits, facilitator lists and the status moves an edit may make."""

from datetime import date
from uuid import uuid4

import pytest

from groups.rules.groups import (
    GroupStatus,
    capacity_problem,
    default_go_no_go_date,
    default_name,
    facilitator_problem,
    is_allowed_edit_move,
    places_free,
)

G = GroupStatus


def test_default_name_names_course_town_and_date() -> None:
    assert default_name("Stress Control", "Tavistock", date(2027, 1, 11)) == (
        "Stress Control - Tavistock, 2027-01-11"
    )
    assert len(default_name("x" * 200, "Town", date(2027, 1, 11))) == 200


def test_default_go_no_go_is_two_weeks_before() -> None:
    assert default_go_no_go_date(date(2027, 1, 11)) == date(2026, 12, 28)


def test_facilitator_problem() -> None:
    one, two = uuid4(), uuid4()
    assert facilitator_problem([one, two]) is None
    assert facilitator_problem([one]) == "needs at least 2 co-facilitators"
    assert facilitator_problem([one, one]) == "must not name anyone twice"


@pytest.mark.parametrize(
    ("capacity", "expected"),
    [
        (12, None),
        (14, "exceeds the course's maximum group size of 12"),
        (15, "exceeds the room's capacity of 14"),
    ],
)
def test_capacity_problem(capacity: int, expected: str | None) -> None:
    assert capacity_problem(capacity, room_capacity=14, course_max=12) == expected


@pytest.mark.parametrize(
    ("current", "target", "allowed"),
    [
        (G.SCHEDULED, G.RUNNING, True),
        (G.RUNNING, G.COMPLETED, True),
        (G.RUNNING, G.RUNNING, True),
        (G.DRAFT, G.SCHEDULED, False),  # the schedule commit does that
        (G.SCHEDULED, G.COMPLETED, False),
        (G.COMPLETED, G.RUNNING, False),
        (G.CANCELLED, G.RUNNING, False),
    ],
)
def test_is_allowed_edit_move(current: G, target: G, allowed: bool) -> None:
    assert is_allowed_edit_move(current, target) is allowed


def test_places_free_never_negative() -> None:
    assert places_free(12, 5) == 7
    assert places_free(4, 6) == 0
