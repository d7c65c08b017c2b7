"""Tables of the groups app (filled by the issues that build it)."""
