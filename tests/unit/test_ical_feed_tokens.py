"""Feed tokens: long enough, URL-safe, stored only as a hash, and read back only from the
names this service issues."""

import hashlib
import string

from hypothesis import given
from hypothesis import strategies as st

from scheduling.feeds.tokens import feed_path, hash_token, new_token, token_from_filename

URL_SAFE = set(string.ascii_letters + string.digits + "-_")


def test_new_tokens_carry_256_bits_in_url_safe_characters_and_differ() -> None:
    tokens = {new_token() for _ in range(1000)}

    assert len(tokens) == 1000
    assert {len(token) for token in tokens} == {43}  # 32 bytes, base64url without padding
    assert set("".join(tokens)) <= URL_SAFE


def test_hash_is_the_sha256_hex_that_fits_the_column() -> None:
    token = new_token()

    assert hash_token(token) == hashlib.sha256(token.encode()).hexdigest()
    assert len(hash_token(token)) == 64


def test_issued_path_reads_back_to_its_token() -> None:
    token = new_token()

    assert token_from_filename(feed_path(token).removeprefix("/feeds/")) == token


@given(st.text(max_size=80))
def test_any_name_that_is_not_an_issued_token_dot_ics_reads_as_none(name: str) -> None:
    token = token_from_filename(name)

    if token is not None:
        assert name == f"{token}.ics"
        assert len(token) == 43
        assert set(token) <= URL_SAFE


def test_near_misses_read_as_none() -> None:
    token = new_token()

    for name in (token, f"{token}.ICS", f"{token}.ics\n", f"{token[:-1]}.ics", f"{token}x.ics"):
        assert token_from_filename(name) is None
