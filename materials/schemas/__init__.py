"""Request and response bodies of the materials app."""
