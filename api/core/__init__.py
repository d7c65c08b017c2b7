"""Pieces every app shares and that know nothing of HTTP: settings, database, errors, clock."""
