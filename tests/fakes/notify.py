"""A small fake GOV.UK Notify API on loopback: checks every request, records it, answers.

It checks what the real service would refuse: the bearer JWT (HS256, signed with the
key's secret, ``iss`` the service id, ``iat`` within 30 seconds), the JSON body's fields
for each notification type, and a template id it knows. Tests script its answers per
call (``answers``: status codes used in order, then 201) and by phone number
(``INVALID_NUMBER`` always gets Notify's 400 validation error).
"""

import json
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt

SERVICE_ID = "7a4f1c2e-2d43-4c5e-9d3e-0b1f2a3c4d5e"
SECRET = "0f9e8d7c-6b5a-4c3d-8e2f-1a0b9c8d7e6f"
API_KEY = f"stepwise_test-{SERVICE_ID}-{SECRET}"
INVALID_NUMBER = "07700900000"

_REQUIRED = {
    "sms": ("phone_number", "template_id"),
    "email": ("email_address", "template_id"),
    "letter": ("template_id", "personalisation"),
}
_ERRORS = {
    400: ("ValidationError", "phone_number Not a UK mobile number"),
    403: ("AuthError", "Invalid token: signature, api token not found"),
    429: (
        "RateLimitError",
        "Exceeded rate limit for key type LIVE of 3000 requests per 60 seconds",
    ),
    500: ("Exception", "Internal server error"),
    503: ("Exception", "Service unavailable"),
}


@dataclass
class FakeNotify:
    """The server's state: known templates, scripted answers, and what it received."""

    template_ids: set[str] = field(default_factory=set)
    answers: list[int] = field(default_factory=list)
    received: list[dict[str, Any]] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    base_url: str = ""
    lock: threading.Lock = field(default_factory=threading.Lock)

    def check(self, kind: str, headers: Any, body: dict[str, Any]) -> str:
        """Why a request would be refused ("" when it is well formed)."""
        authorization = headers.get("Authorization", "")
        if not authorization.startswith("Bearer "):
            return "no bearer token"
        try:
            claims = jwt.decode(authorization[7:], SECRET, algorithms=["HS256"])
        except jwt.PyJWTError as error:
            return f"bad token: {error}"
        if claims.get("iss") != SERVICE_ID or abs(time.time() - claims.get("iat", 0)) > 30:
            return "bad token claims"
        if headers.get("Content-type") != "application/json":
            return "not JSON"
        missing = [name for name in _REQUIRED[kind] if name not in body]
        if missing:
            return f"missing {missing}"
        if body["template_id"] not in self.template_ids:
            return "unknown template"
        if not isinstance(body.get("personalisation", {}), dict):
            return "personalisation is not an object"
        return ""

    def answer(self, kind: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        """The status and JSON to answer with."""
        with self.lock:
            self.received.append({"kind": kind, **body})
            status = self.answers.pop(0) if self.answers else 201
        if kind == "sms" and body.get("phone_number") == INVALID_NUMBER:
            status = 400
        if status != 201:
            error, message = _ERRORS[status]
            return status, {"status_code": status, "errors": [{"error": error, "message": message}]}
        return 201, {
            "id": str(uuid.uuid4()),
            "reference": body.get("reference"),
            "content": {"body": "(Notify's own template text)"},
            "template": {"id": body["template_id"], "version": 1, "uri": ""},
        }


def _handler(state: FakeNotify) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            kind = self.path.rsplit("/", 1)[-1]
            length = int(self.headers.get("Content-Length", "0"))
            try:
                body = json.loads(self.rfile.read(length) or b"{}")
            except ValueError:
                body = None
            problem = "not JSON" if not isinstance(body, dict) else ""
            if not self.path.startswith("/v2/notifications/") or kind not in _REQUIRED:
                problem = f"unknown path {self.path}"
            if not problem and isinstance(body, dict):
                problem = state.check(kind, self.headers, body)
            if problem:
                with state.lock:
                    state.refused.append(problem)
                status, answer = 403, {"errors": [{"error": "AuthError", "message": problem}]}
            else:
                assert isinstance(body, dict)
                status, answer = state.answer(kind, body)
            encoded = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(encoded)))
            self.end_headers()
            self.wfile.write(encoded)

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: tests read ``received`` instead."""

    return Handler


@contextmanager
def fake_notify(*template_ids: str) -> Iterator[FakeNotify]:
    """Run the fake on a free loopback port for the duration of the block."""
    state = FakeNotify(template_ids=set(template_ids))
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    state.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
