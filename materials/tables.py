"""Tables of the materials app (filled by the issues that build it)."""
