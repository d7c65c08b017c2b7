"""A local SMTP server (aiosmtpd) that keeps what it receives and can refuse recipients."""

import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from email.policy import default
from typing import Any

from aiosmtpd.controller import Controller

REFUSED_ADDRESS = "nobody@refused.example"
BUSY_ADDRESS = "busy@greylist.example"


@dataclass
class SmtpInbox:
    """What the server accepted."""

    messages: list[Message] = field(default_factory=list)
    envelopes: list[tuple[str, list[str]]] = field(default_factory=list)

    async def handle_RCPT(  # noqa: N802 - aiosmtpd's hook names
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: Any
    ) -> str:
        """Refuse one address for good (550) and greylist another (451)."""
        if address == REFUSED_ADDRESS:
            return "550 5.1.1 No such user"
        if address == BUSY_ADDRESS:
            return "451 4.7.1 Try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        """Keep the message."""
        self.messages.append(message_from_bytes(envelope.original_content, policy=default))
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 Message accepted"


@contextmanager
def smtp_server() -> Iterator[tuple[SmtpInbox, int]]:
    """Run the server on a free loopback port; yields the inbox and the port."""
    inbox = SmtpInbox()
    # aiosmtpd's controller checks its server by connecting to the port it was given, so
    # it needs a real port number, not 0.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()
