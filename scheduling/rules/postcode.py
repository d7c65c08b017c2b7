"""UK postcodes: validate and normalise ("sw1a1aa" -> "SW1A 1AA"), and the district.

The pattern follows the published UK postcode format: an outward code (area letters,
district digits, optional letter) and an inward code (digit + two letters, excluding
C, I, K, M, O, V in the last two places). GIR 0AA is the one historic exception.
"""

import re

_OUTWARD = r"(?:[A-PR-UWYZ][0-9][0-9A-HJKPSTUW]?|[A-PR-UWYZ][A-HK-Y][0-9][0-9ABEHMNPRVWXY]?)"
_INWARD = r"[0-9][ABD-HJLNP-UW-Z]{2}"
_POSTCODE = re.compile(rf"^(?P<outward>{_OUTWARD})(?P<inward>{_INWARD})$")


class InvalidPostcode(ValueError):
    """Not a UK postcode."""


def normalise_postcode(raw: str) -> str:
    """Upper case, one space before the inward code; raise InvalidPostcode otherwise."""
    compact = re.sub(r"\s+", "", raw).upper()
    if compact == "GIR0AA":
        return "GIR 0AA"
    match = _POSTCODE.match(compact)
    if match is None:
        raise InvalidPostcode(f"{raw!r} is not a UK postcode")
    return f"{match['outward']} {match['inward']}"


def postcode_district(postcode: str) -> str:
    """The outward code of a normalised postcode ("SW1A 1AA" -> "SW1A")."""
    return postcode.split(" ", 1)[0]


def normalise_district(raw: str) -> str:
    """A postcode district typed by a person ("ex1" -> "EX1"); raise InvalidPostcode."""
    compact = re.sub(r"\s+", "", raw).upper()
    if not re.fullmatch(_OUTWARD, compact):
        raise InvalidPostcode(f"{raw!r} is not a UK postcode district")
    return compact
