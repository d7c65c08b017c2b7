"""Versions as ETags, and If-Match read back to the version a client saw."""

import re

from api.core.errors import StaleVersion

_ETAG = re.compile(r'^\s*(?:W/)?"v(\d{1,9})"\s*$')


def etag(version: int) -> str:
    """The strong ETag for a row version."""
    return f'"v{version}"'


def version_from_if_match(if_match: str | None) -> int | None:
    """The version an If-Match names; None when absent, 412 when it names none we issue."""
    if if_match is None:
        return None
    match = _ETAG.match(if_match)
    if match is None:
        raise StaleVersion("If-Match does not name a version of this record: reload it.")
    return int(match.group(1))
