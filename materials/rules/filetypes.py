"""What an uploaded file is, read from its bytes (never its name or the client's header)."""

import puremagic

ALLOWED_TYPES = ("application/pdf", "image/png", "image/jpeg", "image/webp")


def detect_type(data: bytes) -> str | None:
    """The allowed content type the bytes are, or None (empty, unknown or not allowed)."""
    if not data:
        return None
    try:
        matches = puremagic.magic_string(data)
    except (puremagic.PureError, ValueError):
        return None
    found = {match.mime_type for match in matches}
    for allowed in ALLOWED_TYPES:
        if allowed in found:
            return allowed
    return None
