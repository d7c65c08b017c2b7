"""The delivery channel interface: one message in, one outcome out.

A channel never raises for a provider's answer: it says whether the message was sent,
should be tried again later (rate limit, server error, network) or failed for good
(invalid number, refused address). Small enough for web push to join later.
"""

import enum
from dataclasses import dataclass, field
from typing import Protocol
from uuid import UUID

from scheduling.templates import Rendered


class Outcome(enum.Enum):
    """What became of one attempt."""

    SENT = "sent"
    RETRY = "retry"
    FAILED = "failed"


@dataclass(frozen=True)
class Address:
    """Where a recipient is reached; only the part the channel needs is filled."""

    phone: str = ""
    email: str = ""
    postal_lines: tuple[str, ...] = ()


@dataclass(frozen=True)
class Delivery:
    """One message as a channel sends it. ``reference`` is stable across attempts."""

    message_id: UUID
    reference: str
    channel: str
    template_key: str
    recipient_kind: str
    recipient_id: str
    address: Address
    text: Rendered
    personalisation: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class DeliveryResult:
    """A channel's answer: outcome, what the provider said (kept until retention), why not."""

    outcome: Outcome
    provider_payload: str = ""
    error: str = ""
    # Sent, and to appear in the recipient's in-app inbox: the dispatcher adds the inbox
    # entry in the same transaction that records the message as sent.
    to_inbox: bool = False


class Channel(Protocol):
    """Sends one message; safe to call from the event loop (blocking work in a thread)."""

    async def send(self, delivery: Delivery) -> DeliveryResult:
        """Hand the message to the provider and say what happened."""
        ...
