"""NHS numbers: ten digits, the last a modulus 11 check digit.

The check, as the NHS Data Dictionary ("NHS Number") defines it: multiply each of the
first nine digits by a weight from 10 down to 2, add the products, and take the
remainder of the sum divided by 11; the check digit is 11 minus that remainder. A result
of 11 makes the check digit 0; a result of 10 means the nine digits can never form a
valid number.

Numbers of one repeated digit ("0000000000", "1111111111", ...) pass that check: for
nine copies of d the sum is 54d, and 54d mod 11 = 11 - d (d > 0), so the check digit
comes out as d again (and 0 for d = 0). They are placeholders typed when the real number
is not to hand, not numbers NHS England issues, so we refuse them as well: the check
digit rule alone would let them through.
"""

import re

NHS_NUMBER_LENGTH = 10
_WEIGHTS = (10, 9, 8, 7, 6, 5, 4, 3, 2)
_SEPARATORS = re.compile(r"[ \-]")


class InvalidNhsNumber(ValueError):
    """Not a valid NHS number (the message never repeats the number)."""


def check_digit(first_nine: str) -> int | None:
    """The check digit for nine digits, or None when the remainder makes it 10 (invalid)."""
    total = sum(int(digit) * weight for digit, weight in zip(first_nine, _WEIGHTS, strict=True))
    result = 11 - total % 11
    if result == 11:  # the Data Dictionary: 11 becomes 0
        return 0
    if result == 10:  # the Data Dictionary: 10 is never valid
        return None
    return result


def normalise_nhs_number(raw: str) -> str:
    """Ten digits, spaces and hyphens removed ("943 476 5919" -> "9434765919"); or raise."""
    compact = _SEPARATORS.sub("", raw.strip())
    if len(compact) != NHS_NUMBER_LENGTH or not compact.isascii() or not compact.isdigit():
        raise InvalidNhsNumber("must be 10 digits (spaces or hyphens allowed)")
    if len(set(compact)) == 1:
        raise InvalidNhsNumber("is a placeholder, not an NHS number")
    if check_digit(compact[:9]) != int(compact[9]):
        raise InvalidNhsNumber("is not a valid NHS number (the check digit does not match)")
    return compact


def is_valid_nhs_number(raw: str) -> bool:
    """Whether ``raw`` is a valid NHS number, separators allowed."""
    try:
        normalise_nhs_number(raw)
    except InvalidNhsNumber:
        return False
    return True
