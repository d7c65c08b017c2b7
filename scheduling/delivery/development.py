"""The development channel: each message to its own file under var/outbox/, never the log.

It stands in for every provider, so a new install shows its reminders without an account
anywhere: a patient's messages also appear in their in-app inbox, one entry per message
however many channels carry it (``scheduling.delivery.inbox.one_entry_per_message``).
"""

import asyncio
import json
import os
from datetime import datetime
from pathlib import Path

from scheduling.delivery.base import Delivery, DeliveryResult, Outcome
from scheduling.rules.channels import IN_APP


def _write(directory: Path, delivery: Delivery, sent_at: datetime) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{delivery.message_id}.json"
    document = {
        "reference": delivery.reference,
        "channel": delivery.channel,
        "template_key": delivery.template_key,
        "language": delivery.text.language,
        "recipient": {"kind": delivery.recipient_kind, "id": delivery.recipient_id},
        "to": {
            "phone": delivery.address.phone,
            "email": delivery.address.email,
            "postal_lines": list(delivery.address.postal_lines),
        },
        "subject": delivery.text.subject,
        "body": delivery.text.body,
        "sent_at": sent_at.isoformat(),
    }
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(document, ensure_ascii=False, indent=2), encoding="utf-8")
    os.replace(temporary, path)  # a reader never sees half a file; a resend overwrites
    return path


class DevelopmentChannel:
    """Writes ``<directory>/<message id>.json``; a patient's copy goes to their inbox."""

    def __init__(self, directory: Path, now: datetime) -> None:
        """Files go under ``directory``; deliveries are stamped with ``now``."""
        self._directory = directory
        self._now = now

    async def send(self, delivery: Delivery) -> DeliveryResult:
        """Write the file (in a thread), then the inbox entry for a patient."""
        path = await asyncio.to_thread(_write, self._directory, delivery, self._now)
        return DeliveryResult(
            Outcome.SENT,
            provider_payload=json.dumps({"file": path.name}),
            to_inbox=delivery.recipient_kind == "patient" or delivery.channel == IN_APP,
        )
