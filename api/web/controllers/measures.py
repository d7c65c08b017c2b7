"""Measure sets: single and whole-group entry, corrections, FHIR export."""

from litestar import Controller

# Registered by the app factory under /api/v1 (staff, signed in, role-guarded per route).
CONTROLLERS: list[type[Controller]] = []
