"""Calendar feeds: staff manage secret feed URLs; subscribers fetch them by token."""

from litestar import Controller

# Staff routes, registered under /api/v1.
CONTROLLERS: list[type[Controller]] = []
# Feed downloads, authenticated by the secret token in the path (see public_routes.py).
PUBLIC_CONTROLLERS: list[type[Controller]] = []
