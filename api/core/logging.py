"""Logging: JSON lines in production, readable lines in development; every line has its request id.

Nothing here logs request bodies, query strings, tokens or patient details: the access log
names the route template (``/api/v1/staff/{user_id}``), never the raw path.
"""

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any

from api.core.context import request_id_var

_STANDARD_ATTRS = frozenset(vars(logging.makeLogRecord({})).keys()) | {"message", "asctime"}


class _RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line."""

    def format(self, record: logging.LogRecord) -> str:
        """Render the record and any ``extra=`` fields as JSON."""
        line: dict[str, Any] = {
            "at": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD_ATTRS and not key.startswith("_"):
                line[key] = value
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str)


def configure_logging(*, level: str, json_lines: bool) -> None:
    """Send the service's logs to stderr in the chosen shape."""
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(_RequestIdFilter())
    if json_lines:
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(
            logging.Formatter("%(asctime)s %(levelname)-7s %(name)s [%(request_id)s] %(message)s")
        )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # Uvicorn's access log prints raw paths and query strings (search terms): ours does not.
    logging.getLogger("uvicorn.access").disabled = True
    # httpx logs whole URLs, query strings included, at INFO.
    logging.getLogger("httpx").setLevel(logging.WARNING)
