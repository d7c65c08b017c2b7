"""The one scorer: validation naming each item, proration, rounding, bands, risk."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from groups.rules.instruments import GAD7, PHQ9, WSAS, Instrument
from groups.rules.scoring import AnswersInvalid, prorated_total, score


@pytest.mark.parametrize(
    ("instrument", "answers", "total", "band"),
    [
        (PHQ9, [0] * 9, 0, "minimal"),
        (PHQ9, [3] * 9, 27, "severe"),
        (PHQ9, [1, 1, 1, 1, 1, 1, 1, 1, 1], 9, "mild"),  # 9 x 1
        (PHQ9, [2, 1, 1, 1, 1, 1, 1, 1, 1], 10, "moderate"),  # 2 + 8 x 1
        (GAD7, [0] * 7, 0, "minimal"),
        (GAD7, [3] * 7, 21, "severe"),
        (GAD7, [1, 1, 1, 1, 1, 1, 1], 7, "mild"),  # 7 x 1: under caseness 8
        (GAD7, [2, 1, 1, 1, 1, 1, 1], 8, "mild"),  # 2 + 6 x 1: caseness
        (WSAS, [0] * 5, 0, "subclinical"),
        (WSAS, [8] * 5, 40, "moderately severe or worse"),
        (WSAS, [2, 2, 2, 2, 1], 9, "subclinical"),  # 4 x 2 + 1
        (WSAS, [2, 2, 2, 2, 2], 10, "significant impairment"),
    ],
)
def test_score_complete_answers(
    instrument: Instrument, answers: list[int], total: int, band: str
) -> None:
    result = score(instrument, answers, allow_blanks=False)
    assert (result.total, result.band, result.prorated, result.blank_items) == (
        total,
        band,
        False,
        0,
    )


@pytest.mark.parametrize(
    ("instrument", "answers", "at_caseness"),
    [
        (PHQ9, [1] * 9, False),  # 9
        (PHQ9, [2] + [1] * 8, True),  # 10
        (GAD7, [1] * 7, False),  # 7
        (GAD7, [2] + [1] * 6, True),  # 8
        (WSAS, [8] * 5, None),  # no caseness shipped
    ],
)
def test_caseness_either_side_of_the_threshold(
    instrument: Instrument, answers: list[int], at_caseness: bool | None
) -> None:
    assert score(instrument, answers, allow_blanks=False).at_caseness is at_caseness


def test_every_bad_item_is_named_at_once() -> None:
    with pytest.raises(AnswersInvalid) as caught:
        score(PHQ9, [0, 4, -1, 1.5, "2", True, None, 0, 0, 1], allow_blanks=False)
    assert caught.value.errors == [
        {"field": "answers.1", "reason": "item 2: must be an integer from 0 to 3"},
        {"field": "answers.2", "reason": "item 3: must be an integer from 0 to 3"},
        {"field": "answers.3", "reason": "item 4: must be an integer from 0 to 3"},
        {"field": "answers.4", "reason": "item 5: must be an integer from 0 to 3"},
        {"field": "answers.5", "reason": "item 6: must be an integer from 0 to 3"},
        {"field": "answers.6", "reason": "item 7: is blank: only a paper questionnaire may be"},
        {"field": "answers.9", "reason": "item 10: is extra: PHQ-9 has 9 items"},
    ]


def test_missing_items_are_named() -> None:
    with pytest.raises(AnswersInvalid) as caught:
        score(GAD7, [0, 0, 0, 0, 0], allow_blanks=False)
    assert caught.value.errors == [
        {"field": "answers.5", "reason": "item 6: is missing"},
        {"field": "answers.6", "reason": "item 7: is missing"},
    ]


@pytest.mark.parametrize(
    ("answers", "total"),
    [
        # 8 answered summing 8: mean 1, total 8 * 9 / 8 = 9
        ([1, 1, 1, 1, 1, 1, 1, 1, None], 9),
        # 8 answered summing 9: 9 * 9 / 8 = 10.125 -> 10
        ([2, 1, 1, 1, 1, 1, 1, 1, None], 10),
        # 7 answered summing 7: 7 * 9 / 7 = 9
        ([None, 1, 1, 1, 1, 1, 1, 1, None], 9),
        # 8 answered summing 4: 4 * 9 / 8 = 4.5 -> rounds half up to 5 (band mild)
        ([1, 1, 1, 1, 0, 0, 0, 0, None], 5),
        # 8 answered summing 12: 12 * 9 / 8 = 13.5 -> 14
        ([3, 3, 3, 3, 0, 0, 0, 0, None], 14),
        # 7 answered summing 20: 20 * 9 / 7 = 25.71 -> 26
        ([3, 3, 3, 3, 3, 3, 2, None, None], 26),
    ],
)
def test_one_or_two_blanks_on_paper_are_prorated(answers: list[int | None], total: int) -> None:
    result = score(PHQ9, answers, allow_blanks=True)
    assert (result.total, result.prorated) == (total, True)
    assert result.blank_items == answers.count(None)


def test_more_than_two_blanks_keep_the_set_without_a_total() -> None:
    result = score(PHQ9, [None, None, None, 1, 1, 1, 1, 1, 0], allow_blanks=True)
    assert (result.total, result.prorated, result.band, result.at_caseness) == (
        None,
        False,
        None,
        None,
    )
    assert result.blank_items == 3


def test_all_blank_has_no_total() -> None:
    result = score(GAD7, [None] * 7, allow_blanks=True)
    assert (result.total, result.blank_items) == (None, 7)


@pytest.mark.parametrize(
    ("item9", "risk"), [(0, False), (1, True), (2, True), (3, True), (None, True)]
)
def test_phq9_item_9_above_zero_or_blank_shows_risk(item9: int | None, risk: bool) -> None:
    assert score(PHQ9, [0] * 8 + [item9], allow_blanks=True).shows_risk is risk


def test_risk_whatever_the_total() -> None:
    # Total 1: minimal, still a risk.
    result = score(PHQ9, [0] * 8 + [1], allow_blanks=False)
    assert (result.total, result.band, result.shows_risk) == (1, "minimal", True)


def test_gad7_never_shows_risk() -> None:
    assert score(GAD7, [3] * 7, allow_blanks=False).shows_risk is False


@given(st.lists(st.integers(0, 3), min_size=9, max_size=9))
def test_complete_total_is_the_sum(answers: list[int]) -> None:
    assert score(PHQ9, answers, allow_blanks=False).total == sum(answers)


@given(
    st.lists(st.integers(0, 3), min_size=9, max_size=9),
    st.sets(st.integers(0, 8), min_size=1, max_size=2),
)
def test_prorated_total_is_within_range_and_near_the_mean(
    answers: list[int], blanks: set[int]
) -> None:
    with_blanks: list[int | None] = [None if i in blanks else a for i, a in enumerate(answers)]
    answered = [a for a in with_blanks if a is not None]
    result = score(PHQ9, with_blanks, allow_blanks=True)
    assert result.total is not None
    assert 0 <= result.total <= 27
    exact = sum(answered) * 9 / len(answered)
    assert abs(result.total - exact) <= 0.5
    assert result.prorated


@given(st.integers(0, 100), st.integers(1, 20), st.integers(1, 20))
def test_prorated_total_rounds_half_up(total: int, count: int, items: int) -> None:
    scaled = total * items
    expected = (scaled * 2 + count) // (2 * count)
    assert prorated_total([total] + [0] * (count - 1), items) == expected
    # Half up: exactly .5 goes up.
    assert prorated_total([1, 0], 1) == 1  # 1 * 1 / 2 = 0.5 -> 1


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=3),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=2), children)
    ),
    max_leaves=5,
)


@given(st.lists(json_values, max_size=12), st.booleans())
def test_any_json_answers_are_scored_or_refused_by_item(answers: list[object], paper: bool) -> None:
    refused: list[dict[str, str]] = []
    try:
        result = score(PHQ9, answers, allow_blanks=paper)
    except AnswersInvalid as error:
        refused = error.errors
        result = None
    if result is None:
        assert refused
        assert all(e["field"].startswith("answers.") for e in refused)
    else:
        assert len(result.answers) == 9
        assert result.total is None or 0 <= result.total <= 27
