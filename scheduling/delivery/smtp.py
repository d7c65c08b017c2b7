"""Email through SMTP with aiosmtplib (a relay the service runs or rents)."""

from email.message import EmailMessage

import aiosmtplib

from scheduling.delivery.base import Delivery, DeliveryResult, Outcome
from scheduling.rules.channels import EMAIL

_TIMEOUT_SECONDS = 20


class SmtpChannel:
    """Sends email; other channels are refused (they need a provider that can carry them)."""

    def __init__(self, host: str, port: int, sender: str) -> None:
        """Relay at ``host``:``port``; messages come from ``sender``."""
        self._host = host
        self._port = port
        self._sender = sender

    def _message(self, delivery: Delivery) -> EmailMessage:
        message = EmailMessage()
        message["From"] = self._sender
        message["To"] = delivery.address.email
        message["Subject"] = delivery.text.subject
        # Our stable reference: a message sent twice after a kill carries the same id.
        message["Message-ID"] = f"<{delivery.reference}@stepwise>"
        message["Content-Language"] = delivery.text.language
        message.set_content(delivery.text.body)
        return message

    async def send(self, delivery: Delivery) -> DeliveryResult:
        """Hand the message to the relay; 5xx refusals fail, the rest is retried."""
        if delivery.channel != EMAIL:
            return DeliveryResult(Outcome.FAILED, error=f"SMTP cannot send {delivery.channel}")
        try:
            _, answer = await aiosmtplib.send(
                self._message(delivery),
                hostname=self._host,
                port=self._port,
                timeout=_TIMEOUT_SECONDS,
            )
        except aiosmtplib.SMTPRecipientsRefused as error:
            codes = [refused.code for refused in error.recipients]
            outcome = Outcome.FAILED if all(code >= 500 for code in codes) else Outcome.RETRY
            return DeliveryResult(outcome, error=f"SMTP refused the recipient ({codes})")
        except aiosmtplib.SMTPResponseException as error:
            outcome = Outcome.FAILED if error.code >= 500 else Outcome.RETRY
            return DeliveryResult(outcome, error=f"SMTP {error.code}")
        except (aiosmtplib.SMTPException, OSError) as error:
            return DeliveryResult(Outcome.RETRY, error=f"SMTP unreachable: {type(error).__name__}")
        return DeliveryResult(Outcome.SENT, provider_payload=answer[:500])
