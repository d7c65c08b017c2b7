"""Domain errors: what a service raises; the HTTP layer turns each into problem+json."""

from typing import Any, ClassVar


class DomainError(Exception):
    """A refusal a user can act on. ``code`` is stable: it ends the problem ``type`` URI."""

    code: ClassVar[str] = "domain-error"
    title: ClassVar[str] = "The request could not be completed"
    status: ClassVar[int] = 400

    def __init__(self, detail: str | None = None, **extra: Any) -> None:
        """Keep the human detail and any machine-readable members (no patient data)."""
        super().__init__(detail or self.title)
        self.detail = detail or self.title
        self.extra = extra
        self.headers: dict[str, str] = {}


class InvalidInput(DomainError):
    """Fields that fail a rule the schema cannot express; ``errors`` names each field."""

    code = "validation-error"
    title = "The request is not valid"
    status = 400

    def __init__(self, errors: list[dict[str, str]], detail: str | None = None) -> None:
        """``errors`` is a list of ``{"field": ..., "reason": ...}``."""
        super().__init__(detail or "; ".join(f"{e['field']}: {e['reason']}" for e in errors))
        self.extra = {"errors": errors}


class NotAuthenticated(DomainError):
    """No valid credentials."""

    code = "not-authenticated"
    title = "Sign-in required"
    status = 401


class Forbidden(DomainError):
    """Signed in, but this role may not do this."""

    code = "forbidden"
    title = "Not allowed"
    status = 403


class PasswordChangeRequired(Forbidden):
    """Signed in with a one-time password that must be changed first."""

    code = "password-change-required"
    title = "Change your password first"


class NotFound(DomainError):
    """No such record, or none this user may see (we never say which)."""

    code = "not-found"
    title = "Not found"
    status = 404


class Conflict(DomainError):
    """The request clashes with stored state (a duplicate, a clash, a full group)."""

    code = "conflict"
    title = "Conflict with the current state"
    status = 409


class StaleVersion(DomainError):
    """``If-Match`` named a version that is no longer current."""

    code = "stale-version"
    title = "The record changed since you read it"
    status = 412


class PreconditionRequired(DomainError):
    """An edit arrived without ``If-Match``."""

    code = "precondition-required"
    title = "If-Match is required"
    status = 428


class TooManyAttempts(DomainError):
    """Slowed down after repeated failures."""

    code = "too-many-attempts"
    title = "Too many attempts"
    status = 429

    def __init__(self, detail: str, *, retry_after_seconds: int) -> None:
        """Say when to try again, in the detail and the Retry-After header."""
        super().__init__(detail)
        self.headers = {"Retry-After": str(retry_after_seconds)}
