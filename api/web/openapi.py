"""Make the OpenAPI document say what the server enforces.

Litestar documents success responses only and leaves request models open. After the
routes are known, this adds to every operation the problem+json responses it can give
(one shared ``Problem`` schema), marks request models ``additionalProperties: false`` and
says that public operations need no token (the bearer scheme is the document's default).
"""

from typing import Any

from litestar import Litestar
from litestar._openapi.plugin import OpenAPIPlugin
from litestar.routes import HTTPRoute

from api.core.schemas import RequestModel
from api.web.openapi_docs import PROBLEMS_OPT
from api.web.problems import PROBLEM_MEDIA_TYPE, PROBLEM_TYPE_BASE
from api.web.security import PUBLIC_OPT

PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "An RFC 9457 problem. Validation problems list each failing field.",
    "required": ["type", "title", "status"],
    "properties": {
        "type": {"type": "string", "description": f"A stable URI under {PROBLEM_TYPE_BASE}"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["field", "reason"],
                "properties": {"field": {"type": "string"}, "reason": {"type": "string"}},
            },
        },
        "correlation_id": {"type": ["string", "null"]},
    },
    "additionalProperties": True,
}
_DESCRIPTIONS = {
    400: "The request is not valid: malformed, or a field fails a rule (each field named)",
    401: "Sign-in required: no token, or one that is expired, revoked or forged",
    403: "Your role does not allow this",
    404: "No such record, or not one you may see",
    409: "Conflicts with the current state (duplicate, clash, capacity)",
    412: "If-Match names a version that is no longer current",
    413: "The request body is too large",
    422: "The Idempotency-Key was reused with a different request",
    428: "If-Match is required for this edit",
    429: "Too many attempts: wait for Retry-After seconds",
    503: "Not ready: the database is not answering",
}
_BODY_METHODS = {"post", "put", "patch"}


def _handlers_by_operation(app: Litestar) -> dict[tuple[str, str], Any]:
    found: dict[tuple[str, str], Any] = {}
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        for handler in route.route_handlers:
            for method in handler.http_methods:
                found[(route.path_format or "/", method.lower())] = handler
    return found


def _statuses(operation: dict[str, Any], method: str, handler: Any) -> set[int]:
    statuses = set(handler.opt.get(PROBLEMS_OPT, ()))
    has_body = "requestBody" in operation or method in _BODY_METHODS
    if operation.get("parameters") or has_body:
        statuses.add(400)
    if has_body:
        statuses.add(413)
    if not handler.opt.get(PUBLIC_OPT):
        statuses.update({401, 403})
    return statuses


def _request_model_names() -> set[str]:
    names: set[str] = set()
    pending = list(RequestModel.__subclasses__())
    while pending:
        model = pending.pop()
        names.add(model.__name__)
        pending.extend(model.__subclasses__())
    return names


def finish_openapi(app: Litestar) -> dict[str, Any]:
    """Complete the cached OpenAPI document in place (the one /schema/openapi.json serves)."""
    document = app.plugins.get(OpenAPIPlugin).provide_openapi_schema()
    components = document.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    schemas["Problem"] = PROBLEM_SCHEMA
    for name in _request_model_names() & set(schemas):
        schemas[name]["additionalProperties"] = False
    handlers = _handlers_by_operation(app)
    for path, item in document.get("paths", {}).items():
        for method, operation in item.items():
            handler = handlers.get((path, method))
            if handler is None or not isinstance(operation, dict):
                continue
            if handler.opt.get(PUBLIC_OPT):
                operation["security"] = []  # no token needed, whatever the document's default
            responses = operation.setdefault("responses", {})
            for status in sorted(_statuses(operation, method, handler)):
                responses[str(status)] = {
                    "description": _DESCRIPTIONS.get(status, "A problem"),
                    "content": {
                        PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}
                    },
                }
    return document
