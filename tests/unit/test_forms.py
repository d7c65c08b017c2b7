"""Homework forms: the built-in six are valid data; answers are checked field by field."""

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from materials.forms import built_in_forms
from materials.rules.forms import free_text, validate_answers
from materials.schemas.forms import FormField, stored_fields

FIELDS: list[dict[str, Any]] = [
    {"key": "title", "kind": "short_text", "label": "Title", "required": True, "max_length": 20},
    {"key": "notes", "kind": "long_text", "label": "Notes", "max_length": 50},
    {"key": "count", "kind": "number", "label": "Count", "min": 0, "max": 10, "integer": True},
    {"key": "mood", "kind": "rating", "label": "Mood", "scale": 10, "required": True},
    {
        "key": "pick",
        "kind": "single_choice",
        "label": "Pick",
        "options": [{"value": "a", "label": "A"}, {"value": "b", "label": "B"}],
    },
    {
        "key": "many",
        "kind": "multiple_choice",
        "label": "Many",
        "options": [{"value": "a", "label": "A"}, {"value": "b", "label": "B"}],
    },
    {"key": "day", "kind": "date", "label": "Day"},
    {"key": "at", "kind": "time", "label": "At"},
    {"key": "took", "kind": "duration", "label": "Took", "max_minutes": 60},
    {
        "key": "rows",
        "kind": "repeating",
        "label": "Rows",
        "required": True,
        "max_rows": 3,
        "fields": [
            {"key": "when", "kind": "time", "label": "When", "required": True},
            {"key": "what", "kind": "short_text", "label": "What", "max_length": 10},
        ],
    },
]
GOOD = {
    "title": "Monday",
    "notes": "line one\nline two",
    "count": 3,
    "mood": 7,
    "pick": "a",
    "many": ["b", "a"],
    "day": "2027-01-12",
    "at": "23:59",
    "took": 60,
    "rows": [{"when": "07:00", "what": "walk"}, {"when": "00:00"}],
}


def test_the_six_built_in_forms_are_valid_definitions() -> None:
    forms = built_in_forms()
    assert [form.slug for form in forms] == [
        "worry-diary",
        "thought-record",
        "activity-schedule",
        "sleep-diary",
        "exposure-record",
        "free-text",
    ]
    thought = forms[1].fields[0].fields or []
    assert [(f.key, f.kind, f.scale) for f in thought if f.kind == "rating"] == [
        ("intensity", "rating", 100),
        ("rerated_intensity", "rating", 100),
    ]


def test_good_answers_have_no_problems_draft_or_final() -> None:
    assert validate_answers(FIELDS, GOOD, final=True) == []
    assert validate_answers(FIELDS, GOOD, final=False) == []


def test_each_bad_answer_is_named_by_field_and_row() -> None:
    bad = {
        "title": "x" * 21,
        "notes": 5,
        "count": 2.5,
        "mood": 11,
        "pick": "c",
        "many": ["a", "a"],
        "day": "2027-02-30",
        "at": "24:00",
        "took": 61,
        "rows": [{"when": "7am"}, {"what": "far too long text"}, {"extra": 1, "when": "01:00"}],
        "unknown": "?",
    }
    assert validate_answers(FIELDS, bad, final=True) == [
        {"field": "answers.unknown", "reason": "is not a field of this form"},
        {"field": "answers.title", "reason": "must be at most 20 characters"},
        {"field": "answers.notes", "reason": "must be text"},
        {"field": "answers.count", "reason": "must be a whole number"},
        {"field": "answers.mood", "reason": "must be a whole number from 0 to 10"},
        {"field": "answers.pick", "reason": "must be one of the options"},
        {"field": "answers.many", "reason": "must not repeat an option"},
        {"field": "answers.day", "reason": 'must be a date, "YYYY-MM-DD"'},
        {"field": "answers.at", "reason": 'must be a time of day, "HH:MM" (24-hour)'},
        {"field": "answers.took", "reason": "must be whole minutes from 0 to 60"},
        {"field": "answers.rows[0].when", "reason": 'must be a time of day, "HH:MM" (24-hour)'},
        {"field": "answers.rows[1].when", "reason": "is required"},
        {"field": "answers.rows[1].what", "reason": "must be at most 10 characters"},
        {"field": "answers.rows[2].extra", "reason": "is not a field of this form"},
    ]


def test_drafts_skip_required_fields_but_not_limits() -> None:
    assert validate_answers(FIELDS, {}, final=False) == []
    assert validate_answers(FIELDS, {"rows": [{}]}, final=False) == []
    assert validate_answers(FIELDS, {}, final=True) == [
        {"field": "answers.title", "reason": "is required"},
        {"field": "answers.mood", "reason": "is required"},
        {"field": "answers.rows", "reason": "must have at least 1 rows"},
    ]
    too_many = {"rows": [{"when": "01:00"}] * 4}
    assert validate_answers(FIELDS, too_many, final=False) == [
        {"field": "answers.rows", "reason": "must have at most 3 rows"}
    ]


@pytest.mark.parametrize("answers", [None, [], "text", 3])
def test_answers_that_are_not_an_object_are_one_problem(answers: Any) -> None:
    assert validate_answers(FIELDS, answers, final=False) == [
        {"field": "answers", "reason": "must be an object of answers keyed by field"}
    ]


def test_booleans_are_not_numbers_or_ratings() -> None:
    problems = validate_answers(FIELDS, {**GOOD, "count": True, "mood": False}, final=True)
    assert [p["field"] for p in problems] == ["answers.count", "answers.mood"]


def test_free_text_collects_every_text_answer_including_rows() -> None:
    assert free_text(FIELDS, GOOD) == ["Monday", "line one\nline two", "walk"]


@pytest.mark.parametrize(
    ("field", "message"),
    [
        ({"key": "r", "kind": "rating", "label": "R", "scale": 7}, "scale 10 or 100"),
        ({"key": "c", "kind": "single_choice", "label": "C", "options": []}, "options"),
        ({"key": "n", "kind": "number", "label": "N", "min": 5, "max": 1}, "min must not"),
        ({"key": "t", "kind": "short_text", "label": "T", "max_length": 500}, "at most 200"),
        ({"key": "rep", "kind": "repeating", "label": "R"}, "needs fields"),
        (
            {
                "key": "rep",
                "kind": "repeating",
                "label": "R",
                "fields": [{"key": "in", "kind": "repeating", "label": "I", "fields": []}],
            },
            "needs fields",
        ),
        ({"key": "Bad Key", "kind": "date", "label": "D"}, "pattern"),
        ({"key": "d", "kind": "date", "label": "D", "fields": []}, "only a repeating"),
    ],
)
def test_field_definitions_that_make_no_sense_are_refused(
    field: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        FormField.model_validate(field)


def test_stored_fields_round_trip() -> None:
    fields = [FormField.model_validate(field) for field in FIELDS]
    stored = stored_fields(fields)
    assert validate_answers(stored, GOOD, final=True) == []


_leaf = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 200),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
    st.lists(st.text(max_size=3), max_size=3),
)
_answers = st.dictionaries(
    st.sampled_from([f["key"] for f in FIELDS] + ["zzz"]),
    st.one_of(_leaf, st.lists(st.dictionaries(st.sampled_from(["when", "what", "x"]), _leaf))),
)


@given(_answers, st.booleans())
def test_validation_never_raises_and_every_problem_names_an_answers_field(
    answers: dict[str, Any], final: bool
) -> None:
    problems = validate_answers(FIELDS, answers, final=final)
    assert all(problem["field"].startswith("answers") and problem["reason"] for problem in problems)
    if not problems and final:
        assert validate_answers(FIELDS, answers, final=False) == []
