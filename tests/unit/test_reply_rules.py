"""Reading YES and NO in replies to reminders; one form for UK mobile numbers."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scheduling.rules.replies import (
    MAX_BODY,
    Answer,
    is_uk_mobile,
    normalise_number,
    parse_answer,
    shorten,
)


@pytest.mark.parametrize(
    "reply",
    [
        "YES",
        "yes",
        "Y",
        "y.",
        "Yes please",
        "Yeah",
        "yep!",
        "ok",
        "OK thanks",
        "Okay",
        "I'll be there",
        "I\u2019ll be there x",
        "i will be there",
        "See you then",
        "Coming",
        "No problem, see you there",
        "no worries",
        "  yes  ",
    ],
)
def test_yes_words_and_phrases_read_as_yes(reply: str) -> None:
    assert parse_answer(reply) is Answer.YES


@pytest.mark.parametrize(
    "reply",
    [
        "NO",
        "no",
        "N",
        "No sorry",
        "no, I'm ill",
        "Nope",
        "nah",
        "cancel",
        "CANCEL please",
        "please cancel",
        "Can't make it",
        "cant come",
        "I cannot come this week",
        "I won't be there",
        "not coming",
        "unable to attend",
        "I will not be there",
    ],
)
def test_no_words_and_negations_read_as_no(reply: str) -> None:
    assert parse_answer(reply) is Answer.NO


@pytest.mark.parametrize(
    "reply",
    [
        "",
        "   ",
        "?",
        "What time does it start?",
        "Who is this",
        "yes but I can't stay for the whole session",  # both: a person reads it
        "Nobody told me",  # "no" inside a word is not a no
        "Yesterday was hard",  # nor "yes" inside one
        "STOP",
    ],
)
def test_replies_saying_neither_or_both_read_as_none(reply: str) -> None:
    assert parse_answer(reply) is None


@given(st.text(max_size=200))
def test_any_text_reads_as_yes_no_or_none_without_error(reply: str) -> None:
    assert parse_answer(reply) in (Answer.YES, Answer.NO, None)


@given(st.text(alphabet=" .,!?\n\t'", max_size=20))
def test_punctuation_and_space_around_an_answer_do_not_change_it(padding: str) -> None:
    assert parse_answer(padding + "yes" + padding) is Answer.YES
    assert parse_answer(padding + "no" + padding) is Answer.NO


@pytest.mark.parametrize(
    "written",
    [
        "447700900123",  # as Notify sends it
        "+447700900123",
        "07700900123",
        "07700 900123",
        "07700 900 123",
        "(07700) 900-123",
        "+44 7700 900123",
        "+44 (0)7700 900123",
        "0044 7700 900123",
        "7700900123",
    ],
)
def test_a_uk_mobile_in_any_usual_form_becomes_e164(written: str) -> None:
    assert normalise_number(written) == "+447700900123"
    assert is_uk_mobile("+447700900123")


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("020 7946 0000", "+442079460000"),
        ("+33 6 12 34 56 78", "+33612345678"),
        ("", None),
        ("not a number", None),
        ("12345", None),
        ("+", None),
        ("1" * 16, None),
    ],
)
def test_other_numbers_keep_their_digits_and_non_numbers_are_none(
    written: str, expected: str | None
) -> None:
    assert normalise_number(written) == expected


@given(st.from_regex(r"7[0-9]{9}", fullmatch=True), st.sampled_from(["0", "+44", "44", "0044"]))
def test_every_way_of_writing_a_mobile_normalises_to_the_same_number(
    national: str, prefix: str
) -> None:
    spaced = f"{national[:4]} {national[4:]}"
    assert normalise_number(prefix + national) == normalise_number(prefix + spaced)
    assert normalise_number(prefix + national) == "+44" + national
    assert is_uk_mobile("+44" + national)


@given(st.text(max_size=40))
def test_normalising_is_idempotent(written: str) -> None:
    once = normalise_number(written)
    if once is not None:
        assert normalise_number(once) == once


def test_a_long_reply_is_kept_to_its_first_thousand_characters() -> None:
    assert shorten("a" * (MAX_BODY + 5)) == "a" * MAX_BODY
    assert shorten("ok") == "ok"
