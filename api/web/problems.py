"""Every error as application/problem+json (RFC 9457) with a stable ``type``.

Domain errors carry their own code; Litestar's HTTP errors get a code from their status;
validation errors list each failing field; anything unexpected becomes a 500 problem
with a correlation id (the request id), logged with its stack and nothing from the request.
"""

import logging
import re
import traceback
from typing import Any

from litestar import Request, Response
from litestar.exceptions import HTTPException
from litestar.plugins.problem_details import (
    ProblemDetailsConfig,
    ProblemDetailsException,
    ProblemDetailsPlugin,
)

from api.core.context import request_id_var
from api.core.errors import DomainError

PROBLEM_TYPE_BASE = "https://stepwise.example/problems/"
PROBLEM_MEDIA_TYPE = "application/problem+json"
_log = logging.getLogger("stepwise.errors")

# Stable codes for the errors Litestar itself raises.
_CODE_BY_STATUS = {
    400: "bad-request",
    401: "not-authenticated",
    403: "forbidden",
    404: "not-found",
    405: "method-not-allowed",
    406: "not-acceptable",
    409: "conflict",
    413: "request-too-large",
    415: "unsupported-media-type",
    429: "too-many-attempts",
    500: "internal-error",
    503: "unavailable",
}
_TITLE_BY_STATUS = {
    400: "The request is not valid",
    401: "Sign-in required",
    403: "Not allowed",
    404: "Not found",
    405: "Method not allowed",
    413: "Request body too large",
    415: "Unsupported media type",
    500: "Something went wrong on our side",
}


def problem_type(code: str) -> str:
    """The stable ``type`` URI for a problem code."""
    return PROBLEM_TYPE_BASE + code


def _from_domain(error: DomainError) -> ProblemDetailsException:
    return ProblemDetailsException(
        status_code=error.status,
        type_=problem_type(error.code),
        title=error.title,
        detail=error.detail,
        extra=dict(error.extra) or None,
        headers=error.headers or None,
    )


_CLIENT_GONE = "client disconnected prematurely"  # Litestar's words
_MISSING_PARAMETER = re.compile(r"^Missing required (\w+) parameter '([^']+)'")


def _validation_errors(extra: Any) -> list[dict[str, str]]:
    errors: list[dict[str, str]] = []
    for item in extra if isinstance(extra, list) else []:
        if isinstance(item, dict):
            field = str(item.get("key") or item.get("source") or "body")
            errors.append({"field": field, "reason": str(item.get("message", "is not valid"))})
    return errors


def _field_from_message(message: str) -> dict[str, str]:
    # Litestar's own messages name the path and query string: echo neither (they may
    # hold search terms), only the parameter they are about.
    missing = _MISSING_PARAMETER.match(message)
    if missing:
        return {"field": missing.group(2), "reason": f"is a required {missing.group(1)} parameter"}
    if message.startswith("Validation failed for"):
        return {"field": "request", "reason": "is not valid"}
    # The body decoder's own words ("JSON is malformed: ... (byte 10)") quote no data.
    return {"field": "body", "reason": f"could not be read: {message}"}


def _from_http(error: HTTPException) -> ProblemDetailsException:
    status = error.status_code
    if status == 400:
        errors = _validation_errors(error.extra) or [_field_from_message(error.detail)]
        return ProblemDetailsException(
            status_code=400,
            type_=problem_type("validation-error"),
            title="The request is not valid",
            detail="; ".join(f"{e['field']}: {e['reason']}" for e in errors),
            extra={"errors": errors},
            headers=error.headers,
        )
    if status == 500 and error.detail == _CLIENT_GONE:
        # The client hung up mid-body: nothing failed here, and nobody reads the answer.
        _log.info("client disconnected before sending its whole request")
        return ProblemDetailsException(status_code=400, type_=problem_type("client-disconnected"))
    if status == 500:
        # Litestar's own InternalServerException: as unexpected as any other crash.
        return _from_unexpected(error)
    code = _CODE_BY_STATUS.get(status, "http-error")
    title = _TITLE_BY_STATUS.get(status, error.detail)
    return ProblemDetailsException(
        status_code=status,
        type_=problem_type(code),
        title=title,
        detail=error.detail if status < 500 else title,
        headers=error.headers,
    )


def _stack_without_values(error: BaseException) -> str:
    # Frames (file, line, function, source line) but never the exception's own text:
    # drivers put query arguments there (asyncpg: "invalid input for query argument $6:
    # '1985-12-10'"), and those can be patient details.
    parts: list[str] = []
    current: BaseException | None = error
    while current is not None and len(parts) < 10:
        parts.append(f"{type(current).__module__}.{type(current).__qualname__}, raised at:\n")
        parts.extend(traceback.format_tb(current.__traceback__))
        current = current.__cause__ or current.__context__
    return "".join(parts)


def _from_unexpected(error: Exception) -> ProblemDetailsException:
    correlation_id = request_id_var.get()
    _log.error(
        "unhandled %s (its text withheld: it may hold patient data)\n%s",
        type(error).__name__,
        _stack_without_values(error),
        extra={"correlation_id": correlation_id},
    )
    return ProblemDetailsException(
        status_code=500,
        type_=problem_type("internal-error"),
        title=_TITLE_BY_STATUS[500],
        detail="The error was logged; quote the correlation id if you report it.",
        extra={"correlation_id": correlation_id},
    )


def _render(request: Request[Any, Any, Any], exc: ProblemDetailsException) -> Response[Any]:
    return exc.to_response(request)


def problem_details_plugin() -> ProblemDetailsPlugin:
    """The plugin with our mappings for domain, HTTP and unexpected errors."""
    return ProblemDetailsPlugin(
        ProblemDetailsConfig(
            exception_handler=_render,
            enable_for_all_http_exceptions=True,
            exception_to_problem_detail_map={
                DomainError: _from_domain,
                HTTPException: _from_http,
                Exception: _from_unexpected,
            },
        )
    )
