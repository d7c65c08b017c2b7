"""NHS numbers: the modulus 11 check digit (NHS Data Dictionary), separators, placeholders."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from groups.rules.nhs_number import (
    InvalidNhsNumber,
    check_digit,
    is_valid_nhs_number,
    normalise_nhs_number,
)

WEIGHTS = (10, 9, 8, 7, 6, 5, 4, 3, 2)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        # 9*10+4*9+3*8+4*7+7*6+6*5+5*4+9*3+1*2 = 299; 299 mod 11 = 2; 11-2 = 9
        ("9434765919", "9434765919"),
        # 4*10+0+1*8+0+2*6+3*5+2*4+1*3+3*2 = 92; 92 mod 11 = 4; 11-4 = 7
        ("4010232137", "4010232137"),
        ("943 476 5919", "9434765919"),
        ("943-476-5919", "9434765919"),
        ("  9434765919 ", "9434765919"),
        # 4*10+0+1*8+0+2*6+3*5+2*4+0+1*2 = 85; 85 mod 11 = 8; 11-8 = 3
        ("4010232013", "4010232013"),
    ],
)
def test_normalise_nhs_number_when_valid_returns_ten_digits(raw: str, expected: str) -> None:
    assert normalise_nhs_number(raw) == expected


def test_check_digit_when_remainder_is_zero_returns_zero() -> None:
    # "000100100": 1*7 + 1*4 = 11; 11 mod 11 = 0; 11 - 0 = 11, which becomes 0.
    assert check_digit("000100100") == 0
    assert normalise_nhs_number("0001001000") == "0001001000"


def test_check_digit_when_result_is_ten_returns_none() -> None:
    # "100000001": 1*10 + 1*2 = 12; 12 mod 11 = 1; 11 - 1 = 10: no check digit is valid.
    assert check_digit("100000001") is None
    assert [is_valid_nhs_number(f"100000001{d}") for d in "0123456789"] == [False] * 10


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("9434765918", "is not a valid NHS number (the check digit does not match)"),
        ("4010232138", "is not a valid NHS number (the check digit does not match)"),
        ("1000000010", "is not a valid NHS number (the check digit does not match)"),
        ("943476591", "must be 10 digits (spaces or hyphens allowed)"),
        ("94347659190", "must be 10 digits (spaces or hyphens allowed)"),
        ("943476591X", "must be 10 digits (spaces or hyphens allowed)"),
        ("943.476.5919", "must be 10 digits (spaces or hyphens allowed)"),
        ("٩٤٣٤٧٦٥٩١٩", "must be 10 digits (spaces or hyphens allowed)"),  # Arabic-Indic digits
        ("", "must be 10 digits (spaces or hyphens allowed)"),
        ("0000000000", "is a placeholder, not an NHS number"),
        ("1111111111", "is a placeholder, not an NHS number"),
        ("999 999 9999", "is a placeholder, not an NHS number"),
    ],
)
def test_normalise_nhs_number_when_invalid_raises_without_echoing(raw: str, reason: str) -> None:
    with pytest.raises(InvalidNhsNumber) as raised:
        normalise_nhs_number(raw)

    assert str(raised.value) == reason


@pytest.mark.parametrize("digit", "0123456789")
def test_repeated_digits_pass_the_check_digit_but_are_refused(digit: str) -> None:
    # Why the placeholder rule exists: 54d mod 11 = 11 - d, so the check digit is d again.
    assert check_digit(digit * 9) == int(digit)
    assert is_valid_nhs_number(digit * 10) is False


@given(st.text(alphabet="0123456789", min_size=9, max_size=9))
def test_any_nine_digits_with_computed_check_digit_valid_unless_remainder_one(nine: str) -> None:
    remainder = sum(int(d) * w for d, w in zip(nine, WEIGHTS, strict=True)) % 11
    expected = None if remainder == 1 else (11 - remainder) % 11

    assert check_digit(nine) == expected
    if expected is not None and len(set(nine + str(expected))) > 1:
        number = nine + str(expected)
        assert normalise_nhs_number(number) == number
        assert normalise_nhs_number(f"{number[:3]} {number[3:6]}-{number[6:]}") == number
        wrong = (expected + 1) % 10
        assert is_valid_nhs_number(nine + str(wrong)) is False
