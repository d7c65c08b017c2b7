"""UK postcodes: normalised from the ways people type them, refused when not a postcode."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scheduling.rules.postcode import (
    InvalidPostcode,
    normalise_district,
    normalise_postcode,
    postcode_district,
)

# Every outward-code shape (A9, A99, AA9, AA99, A9A, AA9A) and the historic GIR 0AA.
VALID = [
    ("sw1a1aa", "SW1A 1AA", "SW1A"),
    ("EC1A 1BB", "EC1A 1BB", "EC1A"),
    ("W1A 0AX", "W1A 0AX", "W1A"),
    ("M1 1AE", "M1 1AE", "M1"),
    ("B33 8TH", "B33 8TH", "B33"),
    ("CR2 6XH", "CR2 6XH", "CR2"),
    ("DN55 1PT", "DN55 1PT", "DN55"),
    ("GIR 0AA", "GIR 0AA", "GIR"),
    ("gir0aa", "GIR 0AA", "GIR"),
    ("  pl19 0ae ", "PL19 0AE", "PL19"),
    ("ex20\t1aa", "EX20 1AA", "EX20"),
    ("Tq13   7dX", "TQ13 7DX", "TQ13"),
    ("n1 9gu", "N1 9GU", "N1"),
]

INVALID = [
    "",
    "   ",
    "SW1A",  # outward code only
    "1AA",  # inward code only
    "SW1A 1AAA",  # inward code too long
    "SW1A1A",  # inward code too short
    "QQ1 1AA",  # Q never starts a postcode
    "V1 1AA",  # nor V
    "X1 1AA",  # nor X
    "AI1 1AA",  # I is never the second letter
    "M1 1CA",  # C is never in the inward code's letters
    "EC1A 1BC",
    "M1 1AI",
    "W1A 0AV",
    "SW1A-1AA",  # punctuation
    "SW1A 1AA!",
    "SW1A \uff11AA",  # a full-width digit one
    "ABC1 1AA",  # three area letters
    "GIR 0AB",  # GIR is only ever GIR 0AA
    "12345",  # a US ZIP code
]


@pytest.mark.parametrize(("typed", "normalised", "district"), VALID)
def test_normalise_postcode_when_valid_gives_canonical_form_and_district(
    typed: str, normalised: str, district: str
) -> None:
    assert normalise_postcode(typed) == normalised
    assert postcode_district(normalise_postcode(typed)) == district


@pytest.mark.parametrize("typed", INVALID)
def test_normalise_postcode_when_not_a_postcode_raises_invalid_postcode(typed: str) -> None:
    with pytest.raises(InvalidPostcode):
        normalise_postcode(typed)


@pytest.mark.parametrize(
    ("typed", "district"),
    [("ex1", "EX1"), (" sw1a ", "SW1A"), ("dn55", "DN55"), ("W1A", "W1A"), ("m1", "M1")],
)
def test_normalise_district_when_valid_gives_upper_case(typed: str, district: str) -> None:
    assert normalise_district(typed) == district


@pytest.mark.parametrize("typed", ["", "9X", "EX1 1AA", "QQ1", "SW1A1", "E-1"])
def test_normalise_district_when_not_a_district_raises_invalid_postcode(typed: str) -> None:
    with pytest.raises(InvalidPostcode):
        normalise_district(typed)


_OUTWARD = st.from_regex(
    r"\A(?:[A-PR-UWYZ][0-9][0-9A-HJKPSTUW]?|[A-PR-UWYZ][A-HK-Y][0-9][0-9ABEHMNPRVWXY]?)\Z"
)
_INWARD = st.from_regex(r"\A[0-9][ABD-HJLNP-UW-Z]{2}\Z")


@given(
    outward=_OUTWARD,
    inward=_INWARD,
    gap=st.sampled_from(["", " ", "  ", "\t"]),
    lower=st.booleans(),
)
def test_normalise_postcode_ignores_case_and_spacing(
    outward: str, inward: str, gap: str, lower: bool
) -> None:
    typed = f" {outward}{gap}{inward} "
    typed = typed.lower() if lower else typed

    normalised = normalise_postcode(typed)

    assert normalised == f"{outward} {inward}"
    assert normalise_postcode(normalised) == normalised
    assert postcode_district(normalised) == outward
    assert normalise_district(outward.lower()) == outward


@given(st.text(max_size=12))
def test_normalise_postcode_on_any_text_answers_or_raises_invalid_postcode(typed: str) -> None:
    try:
        normalised = normalise_postcode(typed)
    except InvalidPostcode:
        return
    assert normalise_postcode(normalised) == normalised
    assert len(normalised) <= len("SW1A 1AA")
