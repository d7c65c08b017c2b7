"""One scorer for every instrument: validate the answers, total them, band the total.

Blank items (``None``) are allowed only for paper questionnaires. One or two blank items
take the mean of the answered ones and the total is rounded half up (NHS Data
Dictionary, see ``instruments``); more than ``max_prorated_blanks`` blank, the set is kept
but has no total and counts for nothing.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeGuard

from groups.rules.instruments import Instrument


class AnswersInvalid(ValueError):
    """Answers that fail validation; ``errors`` names each item (``answers.N``, 0-based)."""

    def __init__(self, errors: list[dict[str, str]]) -> None:
        """Keep every problem found, one per item (or one for the list's length)."""
        super().__init__("; ".join(f"{e['field']}: {e['reason']}" for e in errors))
        self.errors = errors


@dataclass(frozen=True)
class Score:
    """The server's reading of one measure set."""

    instrument: str
    answers: tuple[int | None, ...]
    total: int | None
    prorated: bool
    blank_items: int
    band: str | None
    at_caseness: bool | None
    # Whether a risk item is above 0 or was left blank (someone must ask).
    shows_risk: bool


def _item_error(index: int, reason: str) -> dict[str, str]:
    return {"field": f"answers.{index}", "reason": f"item {index + 1}: {reason}"}


def _is_item_value(answer: object, low: int, high: int) -> TypeGuard[int]:
    # bool is an int subclass in Python; JSON true is no answer to a questionnaire.
    return isinstance(answer, int) and not isinstance(answer, bool) and low <= answer <= high


def validate_answers(
    instrument: Instrument, answers: Sequence[object], *, allow_blanks: bool
) -> tuple[int | None, ...]:
    """The answers as integers (or None for blanks), or AnswersInvalid naming each item."""
    low, high = instrument.item_min, instrument.item_max
    expected = len(instrument.items)
    errors: list[dict[str, str]] = []
    clean: list[int | None] = []
    for index, answer in enumerate(answers):
        if index >= expected:
            errors.append(_item_error(index, f"is extra: {instrument.code} has {expected} items"))
        elif answer is None:
            if not allow_blanks:
                errors.append(_item_error(index, "is blank: only a paper questionnaire may be"))
            clean.append(None)
        elif _is_item_value(answer, low, high):
            clean.append(answer)
        else:
            errors.append(_item_error(index, f"must be an integer from {low} to {high}"))
    for index in range(len(answers), expected):
        errors.append(_item_error(index, "is missing"))
    if errors:
        raise AnswersInvalid(errors)
    return tuple(clean)


def prorated_total(answered: Sequence[int], item_count: int) -> int:
    """Sum scaled to ``item_count`` items (blanks take the answered mean), rounded half up."""
    count = len(answered)
    if count == 0:
        raise ValueError("no answered items to prorate from")
    # round(sum * n / count) half up, in integers: floor((2 * sum * n + count) / (2 * count)).
    return (2 * sum(answered) * item_count + count) // (2 * count)


def score(instrument: Instrument, answers: Sequence[object], *, allow_blanks: bool) -> Score:
    """Validate and score one instrument's answers (AnswersInvalid naming each bad item)."""
    clean = validate_answers(instrument, answers, allow_blanks=allow_blanks)
    answered = [a for a in clean if a is not None]
    blanks = len(clean) - len(answered)
    total: int | None
    if blanks == 0:
        total = sum(answered)
    elif blanks <= instrument.max_prorated_blanks and answered:
        total = prorated_total(answered, len(clean))
    else:
        total = None
    shows_risk = any(
        clean[number - 1] is None or (clean[number - 1] or 0) > 0
        for number in instrument.risk_items
    )
    return Score(
        instrument=instrument.code,
        answers=clean,
        total=total,
        prorated=total is not None and blanks > 0,
        blank_items=blanks,
        band=None if total is None else instrument.band_of(total),
        at_caseness=None if total is None else instrument.is_case(total),
        shows_risk=shows_risk,
    )
