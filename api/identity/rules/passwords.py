"""Password strength rules (pure): a minimum length and no well-known password."""

from functools import cache
from importlib.resources import files

_COMMON_PASSWORDS_FILE = "common_passwords.txt"


@cache
def common_passwords() -> frozenset[str]:
    """A short list of passwords every guessing tool tries first (lower case)."""
    text = files("api.identity.rules").joinpath(_COMMON_PASSWORDS_FILE).read_text("utf-8")
    return frozenset(line.strip().lower() for line in text.splitlines() if line.strip())


def password_problems(password: str, *, min_length: int, email: str = "") -> list[str]:
    """Why this password is refused; an empty list means it is acceptable."""
    problems: list[str] = []
    if len(password) < min_length:
        problems.append(f"must be at least {min_length} characters")
    if len(password) > 1024:
        problems.append("must be at most 1024 characters")
    folded = password.strip().lower()
    if folded in common_passwords():
        problems.append("is a commonly used password")
    local_part = email.partition("@")[0].lower()
    if local_part and len(local_part) >= 4 and local_part in folded:
        problems.append("must not contain your email address")
    if len(set(password)) < 4:
        problems.append("uses too few different characters")
    return problems
