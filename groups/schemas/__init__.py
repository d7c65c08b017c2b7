"""Request and response bodies of the groups app."""
