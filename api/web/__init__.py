"""The HTTP half of the API: app factory, auth, problem+json, controllers.

Imported by nothing but the entry points (CLI, ASGI server, tests).
"""
