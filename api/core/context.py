"""The current request's id, for log lines and audit rows (set by the HTTP layer)."""

from contextvars import ContextVar

request_id_var: ContextVar[str | None] = ContextVar("stepwise_request_id", default=None)
