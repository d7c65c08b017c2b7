"""Supervision lists, discussions and step-up decisions."""

from litestar import Controller

# Registered by the app factory under /api/v1 (staff, signed in, role-guarded per route).
CONTROLLERS: list[type[Controller]] = []
