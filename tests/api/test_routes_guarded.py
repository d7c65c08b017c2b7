"""Every route is guarded: the app's own route table, audited and then called.

The audit (``route_audit``) reads the allow-lists in api.web.public_routes: a public route
not listed there, or a staff route with neither a ``requires(...)`` guard nor a place in
the any-staff list, is a failure. The sweeps then call every route without a token (401)
and as staff holding none of its roles (403). Only Litestar's OpenAPI routes under /schema
are left out: they are public by design.
"""

import re
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from litestar import Litestar, Router, get, post
from litestar.handlers import HTTPRouteHandler
from litestar.routes import HTTPRoute

from api.core.actor import STAFF_ROLES, Role
from api.web.public_routes import ANY_STAFF_ROUTES, PUBLIC_ROUTES
from api.web.security import PUBLIC_OPT, requires, signed_in
from tests.api.test_calendar_feed_download import feed_route_admits_only_a_live_token
from tests.api.test_replies import callback_route_admits_only_its_token
from tests.factories import SignedIn, StaffFactory

PROBLEM = "application/problem+json"
NOT_AUTHENTICATED = {
    "type": "https://stepwise.example/problems/not-authenticated",
    "title": "Sign-in required",
    "status": 401,
    "detail": "No JWT token found in request header",
}
NOT_FOUND_TYPE = "https://stepwise.example/problems/not-found"
FORBIDDEN = {
    "type": "https://stepwise.example/problems/forbidden",
    "title": "Not allowed",
    "status": 403,
    "detail": "Your role does not allow this.",
}
_PATH_PARAM = re.compile(r"\{(\w+)\}")
_AUTOMATIC_OPTIONS = "HTTPRoute.create_options_handler.<locals>.options_handler"


@dataclass(frozen=True)
class RouteEntry:
    """One method on one path, and the handler that answers it."""

    method: str
    path: str
    handler: HTTPRouteHandler

    @property
    def key(self) -> tuple[str, str]:
        """As the allow-lists spell it."""
        return (self.method, self.path)

    def url(self) -> str:
        """The path with every parameter filled by a random UUID."""
        return _PATH_PARAM.sub(lambda _: str(uuid.uuid4()), self.path)


def _body(response: httpx.Response) -> dict[str, Any]:
    try:
        body: dict[str, Any] = response.json()
    except ValueError:
        return {"not json": response.text}
    return body


def _is_schema_path(path: str) -> bool:
    return path == "/schema" or path.startswith("/schema/")


def _is_automatic_options(handler: HTTPRouteHandler) -> bool:
    return handler.fn.__qualname__ == _AUTOMATIC_OPTIONS


def route_entries(app: Litestar, *, options: bool = False) -> list[RouteEntry]:
    """Every (method, path) the app routes, outside /schema; Litestar's OPTIONS only if asked."""
    entries: list[RouteEntry] = []
    for route in app.routes:
        if not isinstance(route, HTTPRoute) or _is_schema_path(route.path_format):
            continue
        for handler in route.route_handlers:
            if _is_automatic_options(handler) != options:
                continue
            entries.extend(
                RouteEntry(method, route.path_format, handler) for method in handler.http_methods
            )
    return sorted(entries, key=lambda entry: (entry.path, entry.method))


def required_role_sets(handler: HTTPRouteHandler) -> list[frozenset[Role]]:
    """The roles of each ``requires(...)`` guard on the handler, outermost layer first."""
    found = []
    for guard in handler.resolve_guards():
        function = getattr(guard, "func", guard)  # sync guards come wrapped in AsyncCallable
        roles = getattr(function, "required_roles", None)
        if roles is not None:
            found.append(frozenset(roles))
    return found


def _schema_route_problems(app: Litestar) -> list[str]:
    # Authentication skips every path under /schema: only Litestar's OpenAPI routes belong.
    problems = []
    for route in app.routes:
        if isinstance(route, HTTPRoute) and _is_schema_path(route.path_format):
            for handler in route.route_handlers:
                if not handler.fn.__module__.startswith("litestar."):
                    problems.append(f"{route.path_format} is under /schema but is not OpenAPI's")
    return problems


def route_audit(
    app: Litestar,
    *,
    public: frozenset[tuple[str, str]] = PUBLIC_ROUTES,
    any_staff: frozenset[tuple[str, str]] = ANY_STAFF_ROUTES,
) -> list[str]:
    """What is wrong with the app's access rules; empty when every route is accounted for."""
    problems = _schema_route_problems(app)
    entries = route_entries(app)
    marked_public = {entry.key for entry in entries if entry.handler.opt.get(PUBLIC_OPT)}
    for method, path in sorted(marked_public - public):
        problems.append(f"{method} {path} is public but not in PUBLIC_ROUTES")
    for method, path in sorted(public - marked_public):
        problems.append(f"{method} {path} is in PUBLIC_ROUTES but is not a public route")
    present = {entry.key for entry in entries}
    for method, path in sorted(any_staff - present):
        problems.append(f"{method} {path} is in ANY_STAFF_ROUTES but there is no such route")
    for entry in entries:
        if entry.key in marked_public:
            continue
        guarded = bool(required_role_sets(entry.handler))
        if entry.key in any_staff and guarded:
            problems.append(f"{entry.method} {entry.path} is in ANY_STAFF_ROUTES but checks roles")
        elif entry.key not in any_staff and not guarded:
            problems.append(f"{entry.method} {entry.path} has no requires(...) guard")
    return problems


# -- the audit, on the real app and on throwaway ones -------------------------------------------


def test_route_audit_of_the_app_finds_nothing(app: Litestar) -> None:
    assert route_audit(app) == []


def test_route_audit_sees_every_staff_route(app: Litestar) -> None:
    keys = {entry.key for entry in route_entries(app)}

    assert keys > PUBLIC_ROUTES | ANY_STAFF_ROUTES
    assert ("POST", "/api/v1/staff/{user_id}/deactivate") in keys
    assert ("GET", "/api/v1/audit") in keys


@get("/unguarded", sync_to_thread=False)
def _unguarded() -> str:
    return "anyone signed in"


@get("/guarded", guards=[requires(Role.ADMIN)], sync_to_thread=False)
def _guarded() -> str:
    return "admins"


@get("/every-role", guards=[requires(*Role)], sync_to_thread=False)
def _every_role() -> str:
    return "any role at all"


@post("/open", opt={PUBLIC_OPT: True}, sync_to_thread=False)
def _open() -> str:
    return "anyone"


def _throwaway(*handlers: Any) -> Litestar:
    staff_api = Router(path="/api/v1", route_handlers=list(handlers), guards=[signed_in])
    return Litestar(route_handlers=[staff_api], openapi_config=None, logging_config=None)


def test_route_audit_when_route_has_no_role_guard_flags_it() -> None:
    app = _throwaway(_guarded, _unguarded)

    problems = route_audit(app, public=frozenset(), any_staff=frozenset())

    assert problems == ["GET /api/v1/unguarded has no requires(...) guard"]


def test_route_audit_when_guard_names_every_role_accepts_it() -> None:
    app = _throwaway(_every_role)  # an explicit choice, unlike a forgotten guard

    problems = route_audit(app, public=frozenset(), any_staff=frozenset())

    assert problems == []


def test_route_audit_when_unguarded_route_is_listed_as_any_staff_passes() -> None:
    app = _throwaway(_guarded, _unguarded)

    problems = route_audit(
        app, public=frozenset(), any_staff=frozenset({("GET", "/api/v1/unguarded")})
    )

    assert problems == []


def test_route_audit_when_public_route_is_not_listed_flags_it() -> None:
    app = _throwaway(_guarded, _open)

    problems = route_audit(app, public=frozenset(), any_staff=frozenset())

    assert problems == ["POST /api/v1/open is public but not in PUBLIC_ROUTES"]


def test_route_audit_when_lists_name_missing_or_guarded_routes_flags_them() -> None:
    app = _throwaway(_guarded)

    problems = route_audit(
        app,
        public=frozenset({("GET", "/api/v1/gone")}),
        any_staff=frozenset({("GET", "/api/v1/guarded"), ("POST", "/api/v1/gone")}),
    )

    assert problems == [
        "GET /api/v1/gone is in PUBLIC_ROUTES but is not a public route",
        "POST /api/v1/gone is in ANY_STAFF_ROUTES but there is no such route",
        "GET /api/v1/guarded is in ANY_STAFF_ROUTES but checks roles",
    ]


@get("/schema/backdoor", sync_to_thread=False)
def _backdoor() -> str:
    return "no token needed"


def test_route_audit_when_app_route_hides_under_schema_flags_it() -> None:
    app = Litestar(route_handlers=[_backdoor], openapi_config=None, logging_config=None)

    assert route_audit(app, public=frozenset(), any_staff=frozenset()) == [
        "/schema/backdoor is under /schema but is not OpenAPI's"
    ]


# -- every route, called ------------------------------------------------------------------------


async def test_every_route_without_token_answers_401_problem(
    app: Litestar, client: httpx.AsyncClient
) -> None:
    called, wrong = [], []
    for entry in route_entries(app):
        if entry.key in PUBLIC_ROUTES:
            continue
        response = await client.request(entry.method, entry.url())
        called.append(entry.key)
        if (
            response.status_code,
            response.headers.get("content-type"),
            _body(response),
        ) != (401, PROBLEM, NOT_AUTHENTICATED):
            wrong.append((entry.method, entry.path, response.status_code, response.text))

    assert wrong == []
    assert len(called) == len(route_entries(app)) - len(PUBLIC_ROUTES)


async def test_every_automatic_options_route_without_token_is_401_when_guarded(
    app: Litestar, client: httpx.AsyncClient
) -> None:
    wrong = []
    for entry in route_entries(app, options=True):
        response = await client.options(entry.url())
        guarded = bool(entry.handler.resolve_guards())
        expected = 401 if guarded else 204
        if response.status_code != expected:
            wrong.append((entry.path, expected, response.status_code, response.text))
        elif guarded and response.headers["content-type"] != PROBLEM:
            wrong.append((entry.path, expected, response.status_code, "not problem+json"))

    assert wrong == []


async def test_every_role_route_as_staff_without_its_roles_answers_403_problem(
    app: Litestar, client: httpx.AsyncClient, staff: StaffFactory
) -> None:
    signed_in_as: dict[frozenset[Role], SignedIn] = {}
    checked, every_role, wrong = [], [], []
    for entry in route_entries(app):
        role_sets = required_role_sets(entry.handler)
        if entry.key in PUBLIC_ROUTES or not role_sets:
            continue
        narrowest = min(role_sets, key=len)
        if narrowest >= STAFF_ROLES:
            every_role.append(entry.key)  # no role to lack
            continue
        lacking = frozenset(STAFF_ROLES - narrowest)
        if lacking not in signed_in_as:
            signed_in_as[lacking] = await staff.signed_in(*sorted(lacking))
        caller = signed_in_as[lacking]

        response = await client.request(entry.method, entry.url(), headers=caller.headers)

        checked.append(entry.key)
        body = _body(response)
        refused = (response.status_code == 403 and body == FORBIDDEN) or (
            response.status_code == 404 and body["type"] == NOT_FOUND_TYPE  # hides it exists
        )
        if response.headers.get("content-type") != PROBLEM or not refused:
            wrong.append((entry.method, entry.path, sorted(lacking), response.status_code, body))

    assert wrong == []
    assert ("POST", "/api/v1/staff") in checked
    staff_routes = len(route_entries(app)) - len(PUBLIC_ROUTES | ANY_STAFF_ROUTES)
    assert len(checked) + len(every_role) == staff_routes


# -- each public route proves its own access rule -----------------------------------------------


async def _health_says_status_and_nothing_else(
    client: httpx.AsyncClient, path: str, staff: StaffFactory
) -> None:
    response = await client.get(path)

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {"status": "ok"}


async def _login_admits_only_the_right_password(
    client: httpx.AsyncClient, path: str, staff: StaffFactory
) -> None:
    user = await staff.create(Role.ADMIN)

    wrong = await client.post(path, json={"email": user.email, "password": "not-the-password"})
    right = await staff.login(user.email)

    assert wrong.status_code == 401
    assert wrong.headers["content-type"] == PROBLEM
    assert right.status_code == 200
    assert right.json()["token_type"] == "bearer"


PUBLIC_ROUTE_CHECKS: dict[tuple[str, str], Callable[..., Awaitable[None]]] = {
    ("GET", "/health/live"): _health_says_status_and_nothing_else,
    ("GET", "/health/ready"): _health_says_status_and_nothing_else,
    ("POST", "/api/v1/auth/login"): _login_admits_only_the_right_password,
    ("GET", "/feeds/{filename}"): feed_route_admits_only_a_live_token,
    ("POST", "/callbacks/notify/received-text"): callback_route_admits_only_its_token,
}


def test_public_routes_each_have_a_check_of_their_own() -> None:
    assert set(PUBLIC_ROUTE_CHECKS) == PUBLIC_ROUTES


@pytest.mark.parametrize(("method", "path"), sorted(PUBLIC_ROUTES))
async def test_public_route_without_token_answers_only_what_it_may(
    client: httpx.AsyncClient, staff: StaffFactory, method: str, path: str
) -> None:
    check = PUBLIC_ROUTE_CHECKS[(method, path)]

    await check(client, path, staff)
