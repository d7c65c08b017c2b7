"""Homework forms as data, and checking a submission against the form version assigned.

A form is an ordered list of fields (plain dicts, as stored): ``key``, ``kind``,
``label``, ``help``, ``required`` and, per kind, its limits:

- ``short_text`` / ``long_text``: ``max_length`` (at most 200 / 4000 characters)
- ``number``: ``min`` and ``max``; ``integer`` (whole numbers only)
- ``rating``: ``scale`` 10 or 100 (answers 0..scale, whole numbers)
- ``single_choice`` / ``multiple_choice``: ``options`` [{value, label}]
- ``date`` ("YYYY-MM-DD"), ``time`` ("HH:MM", 24-hour), ``duration`` (whole minutes,
  0..``max_minutes``)
- ``repeating``: ``fields`` (any kind but repeating), ``min_rows``, ``max_rows``: one row
  per diary entry, a list of objects

Answers are an object keyed by field key. A draft is checked for shape and limits only;
a final submission must also fill every required field (and a required repeating field
needs at least one row). Each problem names its field and row, e.g.
``answers.nights[2].bed_time``.
"""

import math
import re
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

KINDS = (
    "short_text",
    "long_text",
    "number",
    "rating",
    "single_choice",
    "multiple_choice",
    "date",
    "time",
    "duration",
    "repeating",
)
TEXT_KINDS = ("short_text", "long_text")
SHORT_TEXT_LIMIT = 200
LONG_TEXT_LIMIT = 4000
MAX_ROWS_LIMIT = 100
DEFAULT_MAX_ROWS = 31
DEFAULT_MAX_MINUTES = 24 * 60
RATING_SCALES = (10, 100)
_TIME = re.compile(r"^([01][0-9]|2[0-3]):([0-5][0-9])$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")

Problem = dict[str, str]


def text_limit(field: Mapping[str, Any]) -> int:
    """The most characters a text field takes."""
    ceiling = SHORT_TEXT_LIMIT if field["kind"] == "short_text" else LONG_TEXT_LIMIT
    return min(int(field.get("max_length") or ceiling), ceiling)


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip()) or value == []


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _check_text(field: Mapping[str, Any], value: Any) -> str | None:
    if not isinstance(value, str):
        return "must be text"
    if len(value) > text_limit(field):
        return f"must be at most {text_limit(field)} characters"
    if "\x00" in value:
        return "must not contain NUL characters"
    if field["kind"] == "short_text" and ("\n" in value or "\r" in value):
        return "must be one line"
    return None


def _check_number(field: Mapping[str, Any], value: Any) -> str | None:
    if not _is_number(value) or not math.isfinite(value):
        return "must be a number"
    if field.get("integer") and not float(value).is_integer():
        return "must be a whole number"
    low, high = field.get("min"), field.get("max")
    if low is not None and value < low:
        return f"must be at least {low}"
    if high is not None and value > high:
        return f"must be at most {high}"
    return None


def _check_rating(field: Mapping[str, Any], value: Any) -> str | None:
    scale = int(field.get("scale") or 10)
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= scale:
        return f"must be a whole number from 0 to {scale}"
    return None


def _options(field: Mapping[str, Any]) -> set[str]:
    return {str(option["value"]) for option in field.get("options") or []}


def _check_single(field: Mapping[str, Any], value: Any) -> str | None:
    if not isinstance(value, str) or value not in _options(field):
        return "must be one of the options"
    return None


def _check_multiple(field: Mapping[str, Any], value: Any) -> str | None:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        return "must be a list of options"
    if len(set(value)) != len(value):
        return "must not repeat an option"
    if not set(value) <= _options(field):
        return "must be chosen from the options"
    return None


def _check_date(_: Mapping[str, Any], value: Any) -> str | None:
    if not isinstance(value, str) or not _DATE.match(value):
        return 'must be a date, "YYYY-MM-DD"'
    try:
        date.fromisoformat(value)
    except ValueError:
        return 'must be a date, "YYYY-MM-DD"'
    return None


def _check_time(_: Mapping[str, Any], value: Any) -> str | None:
    if not isinstance(value, str) or not _TIME.match(value):
        return 'must be a time of day, "HH:MM" (24-hour)'
    return None


def _check_duration(field: Mapping[str, Any], value: Any) -> str | None:
    most = int(field.get("max_minutes") or DEFAULT_MAX_MINUTES)
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= most:
        return f"must be whole minutes from 0 to {most}"
    return None


_CHECKS = {
    "short_text": _check_text,
    "long_text": _check_text,
    "number": _check_number,
    "rating": _check_rating,
    "single_choice": _check_single,
    "multiple_choice": _check_multiple,
    "date": _check_date,
    "time": _check_time,
    "duration": _check_duration,
}


def _check_object(
    fields: Sequence[Mapping[str, Any]], answers: Any, path: str, *, final: bool
) -> list[Problem]:
    if not isinstance(answers, Mapping):
        return [{"field": path, "reason": "must be an object of answers keyed by field"}]
    known = {field["key"] for field in fields}
    problems = [
        {"field": f"{path}.{key}", "reason": "is not a field of this form"}
        for key in answers
        if key not in known
    ]
    for field in fields:
        where = f"{path}.{field['key']}"
        value = answers.get(field["key"])
        if _blank(value) and field["kind"] != "repeating":
            if final and field.get("required"):
                problems.append({"field": where, "reason": "is required"})
            continue
        if field["kind"] == "repeating":
            problems.extend(_check_rows(field, value, where, final=final))
            continue
        reason = _CHECKS[field["kind"]](field, value)
        if reason is not None:
            problems.append({"field": where, "reason": reason})
    return problems


def max_rows(field: Mapping[str, Any]) -> int:
    """The most rows a repeating field takes."""
    return min(int(field.get("max_rows") or DEFAULT_MAX_ROWS), MAX_ROWS_LIMIT)


def _check_rows(field: Mapping[str, Any], value: Any, where: str, *, final: bool) -> list[Problem]:
    rows = [] if value is None else value
    if not isinstance(rows, list):
        return [{"field": where, "reason": "must be a list of rows"}]
    if len(rows) > max_rows(field):
        return [{"field": where, "reason": f"must have at most {max_rows(field)} rows"}]
    least = int(field.get("min_rows") or 0)
    if final and field.get("required"):
        least = max(least, 1)
    problems: list[Problem] = []
    if final and len(rows) < least:
        problems.append({"field": where, "reason": f"must have at least {least} rows"})
    for index, row in enumerate(rows):
        problems.extend(_check_object(field["fields"], row, f"{where}[{index}]", final=final))
    return problems


def validate_answers(
    fields: Sequence[Mapping[str, Any]], answers: Any, *, final: bool
) -> list[Problem]:
    """Every problem with these answers to this form version (empty when none)."""
    return _check_object(fields, answers, "answers", final=final)


def free_text(fields: Sequence[Mapping[str, Any]], answers: Mapping[str, Any]) -> list[str]:
    """Every text answer (rows included), for the risk-phrase safety net."""
    found: list[str] = []
    for field in fields:
        value = answers.get(field["key"])
        if field["kind"] in TEXT_KINDS and isinstance(value, str) and value.strip():
            found.append(value)
        elif field["kind"] == "repeating" and isinstance(value, list):
            for row in value:
                if isinstance(row, Mapping):
                    found.extend(free_text(field["fields"], row))
    return found
