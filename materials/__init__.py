"""Self-help modules, homework forms, assignments and submissions."""
