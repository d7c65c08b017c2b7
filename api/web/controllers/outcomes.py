"""Outcomes: per group and course, charts and CSV, waiting times."""

from litestar import Controller

# Registered by the app factory under /api/v1 (staff, signed in, role-guarded per route).
CONTROLLERS: list[type[Controller]] = []
