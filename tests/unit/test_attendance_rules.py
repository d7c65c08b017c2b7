"""Attendance codes and the consecutive-DNA count."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from groups.rules.attendance import (
    CODES,
    Outcome,
    consecutive_dnas,
    counts_as_attended,
    next_dna_count,
    reaches_review,
)


@pytest.mark.parametrize(
    ("code", "attended"),
    [(2, False), (3, False), (4, False), (5, True), (6, True), (7, False)],
)
def test_only_codes_5_and_6_count_as_attended(code: int, attended: bool) -> None:
    assert counts_as_attended(code) is attended


def test_the_codes_are_the_data_dictionary_six() -> None:
    assert sorted(CODES) == [2, 3, 4, 5, 6, 7]
    assert Outcome(3) is Outcome.DID_NOT_ATTEND


@pytest.mark.parametrize(
    ("codes", "count"),
    [
        ([], 0),
        ([3], 1),
        ([3, 3], 2),
        ([3, 5, 3], 1),  # attended resets
        ([3, 6, 3, 3], 2),  # arrived late and seen resets too
        ([3, 7, 3], 2),  # late and not seen: neither attended nor a DNA, count kept
        ([3, 2, 3], 2),  # cancelled by the patient: kept
        ([3, 4, 3], 2),  # cancelled by the provider: kept
        ([7, 7, 7], 0),
        ([3, 3, 5], 0),
    ],
)
def test_consecutive_dnas_in_session_order(codes: list[int], count: int) -> None:
    assert consecutive_dnas(codes) == count


@given(st.lists(st.sampled_from(sorted(CODES)), max_size=20))
def test_count_is_the_dnas_since_the_last_attended_session(codes: list[int]) -> None:
    attended = [index for index, code in enumerate(codes) if counts_as_attended(code)]
    since = codes[attended[-1] + 1 :] if attended else codes
    assert consecutive_dnas(codes) == since.count(3)


@given(st.integers(0, 20), st.sampled_from(sorted(CODES)))
def test_next_count_never_negative_and_moves_by_at_most_one_up(count: int, code: int) -> None:
    following = next_dna_count(count, code)
    assert following >= 0
    assert following <= count + 1


@pytest.mark.parametrize(
    ("old", "new", "flags"),
    [(0, 1, False), (1, 2, True), (2, 3, True), (2, 2, False), (3, 2, False), (0, 2, True)],
)
def test_review_is_flagged_only_by_a_rising_count_at_the_setting(
    old: int, new: int, flags: bool
) -> None:
    assert reaches_review(old, new, 2) is flags
