"""Tables of the scheduling app (filled by the issues that build it)."""
