"""The HTTP half of the API: app factory, auth, problem+json, controllers (imported by nothing else)."""
