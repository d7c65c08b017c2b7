"""Attendance outcomes (NHS Data Dictionary attended-or-did-not-attend codes) and DNA counts.

Pure: no I/O, no clock. Codes (NHS Data Dictionary, "Attended or Did Not Attend"):

- 5 attended on time, 6 arrived late and was seen: the only two that count as attended;
- 7 arrived late and could not be seen: not attended, and not a DNA either;
- 2 cancelled by (or on behalf of) the patient, 4 cancelled by the provider: notice given;
- 3 did not attend, no notice (DNA).

Consecutive DNAs, read over an enrolment's outcomes in session order: a DNA adds one, an
attended outcome (5, 6) resets the count to 0, and 2, 4 and 7 leave it as it was (the
patient neither came nor failed to come without a word, so the streak neither breaks
nor grows).
"""

import enum
from collections.abc import Iterable

OUTCOME_MEANING = (
    "NHS Data Dictionary attended-or-did-not-attend code: 5 attended on time, 6 arrived "
    "late and seen, 7 arrived late and not seen, 2 cancelled by patient, 3 did not attend, "
    "4 cancelled by provider. Only 5 and 6 count as attended."
)


class Outcome(enum.IntEnum):
    """An attendance outcome code (the API documents it with ``OUTCOME_MEANING``)."""

    CANCELLED_BY_PATIENT = 2
    DID_NOT_ATTEND = 3
    CANCELLED_BY_PROVIDER = 4
    ATTENDED_ON_TIME = 5
    ARRIVED_LATE_SEEN = 6
    ARRIVED_LATE_NOT_SEEN = 7


# The OpenAPI document describes the enum's one component schema by its docstring.
Outcome.__doc__ = OUTCOME_MEANING


LABELS: dict[Outcome, str] = {
    Outcome.CANCELLED_BY_PATIENT: "cancelled by patient",
    Outcome.DID_NOT_ATTEND: "did not attend",
    Outcome.CANCELLED_BY_PROVIDER: "cancelled by provider",
    Outcome.ATTENDED_ON_TIME: "attended on time",
    Outcome.ARRIVED_LATE_SEEN: "arrived late and seen",
    Outcome.ARRIVED_LATE_NOT_SEEN: "arrived late and not seen",
}
ATTENDED = frozenset({Outcome.ATTENDED_ON_TIME, Outcome.ARRIVED_LATE_SEEN})
CODES = frozenset(int(outcome) for outcome in Outcome)


def counts_as_attended(code: int) -> bool:
    """Whether the outcome counts as attended (5 or 6 only)."""
    return code in ATTENDED


def next_dna_count(count: int, code: int) -> int:
    """The consecutive-DNA count after one more outcome."""
    if code == Outcome.DID_NOT_ATTEND:
        return count + 1
    if code in ATTENDED:
        return 0
    return count


def consecutive_dnas(codes_in_session_order: Iterable[int]) -> int:
    """The consecutive-DNA count after all of an enrolment's outcomes, oldest first."""
    count = 0
    for code in codes_in_session_order:
        count = next_dna_count(count, code)
    return count


def reaches_review(old_count: int, new_count: int, review_after: int) -> bool:
    """Whether a change of the count is one the DNA policy flags for review.

    A rising count at or over the setting flags (again, once a discussion has cleared
    the earlier flag); a falling or unchanged count never does.
    """
    return new_count > old_count and new_count >= review_after
