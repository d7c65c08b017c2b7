"""The routes that need no role: the one place that says which, read by the route audit.

Every other route must carry a ``requires(...)`` guard. tests/api/test_routes_guarded.py
walks the app's route table and fails when a route is public, or open to any signed-in
staff member, without being listed here, so widening access is always a visible edit.
Paths are Litestar's ``path_format`` (``/api/v1/staff/{user_id}``); methods are upper case.
"""

PUBLIC_ROUTES: frozenset[tuple[str, str]] = frozenset(
    {
        # Liveness and readiness answer {"status": ...} and nothing else.
        ("GET", "/health/live"),
        ("GET", "/health/ready"),
        # Signing in is how a token is got; it is throttled per account and per address.
        ("POST", "/api/v1/auth/login"),
        # Calendar feeds: the path's secret token (256 bits, made by secrets.token_urlsafe,
        # shown once, stored only as its SHA-256) is the credential, as calendar apps
        # cannot sign in. Unknown, malformed and revoked tokens answer the same 404; the
        # access log names the route template, never the token.
        ("GET", "/feeds/{filename}"),
        # GOV.UK Notify's received-text callback: its Authorization header must carry
        # STEPWISE_NOTIFY_CALLBACK_TOKEN (compared in constant time); anything else is a
        # 401, and while no token is configured every call is the 404 of a missing route.
        # Texts and numbers never reach the log.
        ("POST", "/callbacks/notify/received-text"),
    }
)

ANY_STAFF_ROUTES: frozenset[tuple[str, str]] = frozenset(
    {
        # Each acts only on the caller's own account or session.
        ("GET", "/api/v1/auth/me"),
        ("POST", "/api/v1/auth/logout"),
        ("POST", "/api/v1/auth/password"),
    }
)
