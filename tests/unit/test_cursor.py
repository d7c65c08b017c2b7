"""Page cursors: what encode_cursor writes decode_cursor reads; anything else is a 400."""

import base64
import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from api.core.errors import InvalidInput
from api.core.schemas import decode_cursor, encode_cursor

REFUSED = [{"field": "cursor", "reason": "is not a cursor this API gave"}]


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode()


def _refused(cursor: str, *types: type) -> list[dict[str, str]]:
    with pytest.raises(InvalidInput) as refused:
        decode_cursor(cursor, *types)
    errors: list[dict[str, str]] = refused.value.extra["errors"]
    return errors


@pytest.mark.parametrize(
    ("key", "types"),
    [
        (("staff1@test.example",), (str,)),
        ((42,), (int,)),
        ((0,), (int,)),
        (("2026-01-05T09:30:00+00:00", 17), (str, int)),
        (("ünïcödé ✓",), (str,)),
    ],
)
def test_cursor_round_trip_gives_the_key_back(key: tuple[object, ...], types: tuple[type]) -> None:
    cursor = encode_cursor(*key)

    assert decode_cursor(cursor, *types) == list(key)


@pytest.mark.parametrize(
    ("cursor", "types"),
    [
        ("not base64 at all!", (str,)),  # no base64 characters left: empty, not JSON
        ("é", (str,)),  # not ASCII
        ("abc", (str,)),  # bad padding
        (_b64(b"\xff\xfe\xfd"), (str,)),  # not UTF-8
        (_b64(b"{not json"), (str,)),
        (_b64(b'{"email": "a@b.example"}'), (str,)),  # an object, not a list
        (_b64(b'"a@b.example"'), (str,)),  # a bare string, not a list
        (_b64(b"[]"), (str,)),  # too short
        (_b64(b'["a@b.example", 1]'), (str,)),  # too long
        (_b64(b'["17"]'), (int,)),  # a string where an int is expected
        (_b64(b"[17.0]"), (int,)),  # a float where an int is expected
        (_b64(b"[true]"), (int,)),  # a bool is not an int here
        (_b64(b"[null]"), (str,)),
        (_b64(b"[17]"), (str,)),  # an int where a string is expected
        (_b64(b"[" * 5000 + b"]" * 5000), (int,)),  # nested too deep for the parser
    ],
)
def test_cursor_forged_or_damaged_raises_invalid_input_naming_cursor(
    cursor: str, types: tuple[type]
) -> None:
    assert _refused(cursor, *types) == REFUSED


def _outcome(cursor: str, *types: type) -> list[Any] | dict[str, Any]:
    """The decoded key, or the refusal's ``extra``; any other exception escapes."""
    try:
        return decode_cursor(cursor, *types)
    except InvalidInput as refused:
        return refused.extra


@given(st.text())
def test_cursor_any_text_raises_nothing_but_invalid_input(cursor: str) -> None:
    outcome = _outcome(cursor, int)

    if isinstance(outcome, dict):
        assert outcome == {"errors": REFUSED}
    else:
        assert [type(value) for value in outcome] == [int]


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(), children, max_size=3)
    ),
    max_leaves=8,
)


@given(_JSON)
def test_cursor_any_encoded_json_decodes_only_when_it_is_a_str_int_pair(value: object) -> None:
    fits = (
        isinstance(value, list)
        and len(value) == 2
        and type(value[0]) is str
        and type(value[1]) is int
    )

    outcome = _outcome(_b64(json.dumps(value).encode()), str, int)

    assert outcome == (value if fits else {"errors": REFUSED})
