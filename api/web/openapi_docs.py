"""Helpers that make each operation's OpenAPI entry say which problems it can answer."""

from typing import Any

PROBLEMS_OPT = "problems"


def problems(*statuses: int) -> dict[str, Any]:
    """Route ``opt`` naming the problem statuses a handler can answer beyond the defaults."""
    return {PROBLEMS_OPT: tuple(sorted(statuses))}
