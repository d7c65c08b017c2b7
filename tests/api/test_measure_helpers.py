"""Shared set-up for the measure, risk alert, outcome, FHIR and chart tests (no tests here)."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from api.core.actor import Role
from groups.tables import Enrolment, Group, GroupSession
from tests.factories import SignedIn, StaffFactory
from tests.group_factories import make_enrolment, make_group, make_session

PROBLEMS = "https://stepwise.example/problems/"
PROBLEM_JSON = "application/problem+json"
FIRST_SESSION_AT = datetime(2027, 1, 11, 10, 0, tzinfo=UTC)


@dataclass
class Cohort:
    """A group run by one signed-in facilitator, with enrolments and sessions."""

    facilitator: SignedIn
    group: Group
    enrolments: list[Enrolment]
    sessions: list[GroupSession]

    def measures_url(self, number: int = 1) -> str:
        return f"/api/v1/sessions/{self.sessions[number - 1].id}/measures"


async def make_cohort(
    staff: StaffFactory,
    *,
    patients: int = 2,
    sessions: int = 2,
    facilitator: SignedIn | None = None,
) -> Cohort:
    """A group with ``patients`` active enrolments and ``sessions`` weekly sessions."""
    facilitator = facilitator or await staff.signed_in(Role.FACILITATOR)
    group = await make_group(facilitators=(facilitator.user.id,), status="running")
    enrolments = [await make_enrolment(group) for _ in range(patients)]
    made = [
        await make_session(group, n, FIRST_SESSION_AT + timedelta(weeks=n - 1))
        for n in range(1, sessions + 1)
    ]
    return Cohort(facilitator, group, enrolments, made)


def phq9(*answers: int | None, enrolment: Enrolment, **fields: Any) -> dict[str, Any]:
    """A PHQ-9 body; nine answers, item 9 last."""
    return {
        "enrolment_id": str(enrolment.id),
        "instrument": "PHQ-9",
        "answers": list(answers),
        **fields,
    }


def gad7(*answers: int | None, enrolment: Enrolment, **fields: Any) -> dict[str, Any]:
    """A GAD-7 body; seven answers."""
    return {
        "enrolment_id": str(enrolment.id),
        "instrument": "GAD-7",
        "answers": list(answers),
        **fields,
    }


def validation_problem(errors: list[dict[str, str]]) -> dict[str, Any]:
    return {
        "type": PROBLEMS + "validation-error",
        "status": 400,
        "title": "The request is not valid",
        "detail": "; ".join(f"{e['field']}: {e['reason']}" for e in errors),
        "errors": errors,
    }


def forbidden(detail: str) -> dict[str, Any]:
    return {"type": PROBLEMS + "forbidden", "status": 403, "title": "Not allowed", "detail": detail}
