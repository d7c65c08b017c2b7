"""Request and response bodies of the scheduling API, one module per area."""
