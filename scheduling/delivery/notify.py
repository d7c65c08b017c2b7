"""GOV.UK Notify: SMS, email and letters through notifications-python-client.

The client is synchronous (requests), so each call runs in a worker thread. Notify keeps
the text of each template; we send its template id for the message kind (settings) and
the kind's parameters as personalisation. Our stable reference goes with every request,
so a message handed over twice (a kill after hand-off) can be matched up in Notify.
"""

import asyncio
import json
from collections.abc import Mapping
from typing import Any

from notifications_python_client.errors import APIError
from notifications_python_client.notifications import NotificationsAPIClient
from requests import RequestException

from scheduling.delivery.base import Delivery, DeliveryResult, Outcome
from scheduling.rules.channels import EMAIL, LETTER, SMS

DEFAULT_BASE_URL = "https://api.notifications.service.gov.uk"
_TIMEOUT_SECONDS = 20


def classify(status_code: int) -> Outcome:
    """Notify's error statuses: 429 and 5xx are worth retrying; other 4xx never succeed."""
    if status_code == 429 or status_code >= 500:
        return Outcome.RETRY
    return Outcome.FAILED


def _error_text(error: APIError) -> str:
    message = error.message
    if isinstance(message, list):
        # [{"error": "ValidationError", "message": "phone_number Not a UK mobile number"}]
        message = "; ".join(str(item.get("message", item)) for item in message)
    return f"Notify {error.status_code}: {message}"[:500]


class NotifyChannel:
    """Sends SMS, email and letters through GOV.UK Notify."""

    def __init__(self, api_key: str, template_ids: Mapping[str, str], base_url: str = "") -> None:
        """One client per channel object; ``template_ids`` maps message kind to Notify id."""
        self._client = NotificationsAPIClient(  # type: ignore[no-untyped-call]
            api_key, base_url=base_url or DEFAULT_BASE_URL, timeout=_TIMEOUT_SECONDS
        )
        self._template_ids = dict(template_ids)

    def _call(self, delivery: Delivery, template_id: str) -> Any:
        personalisation = dict(delivery.personalisation)
        if delivery.channel == SMS:
            return self._client.send_sms_notification(  # type: ignore[no-untyped-call]
                phone_number=delivery.address.phone,
                template_id=template_id,
                personalisation=personalisation,
                reference=delivery.reference,
            )
        if delivery.channel == EMAIL:
            return self._client.send_email_notification(  # type: ignore[no-untyped-call]
                email_address=delivery.address.email,
                template_id=template_id,
                personalisation=personalisation,
                reference=delivery.reference,
            )
        for number, line in enumerate(delivery.address.postal_lines[:7], start=1):
            personalisation[f"address_line_{number}"] = line
        return self._client.send_letter_notification(  # type: ignore[no-untyped-call]
            template_id=template_id, personalisation=personalisation, reference=delivery.reference
        )

    async def send(self, delivery: Delivery) -> DeliveryResult:
        """Post the notification; sort Notify's answer into sent, retry or failed."""
        if delivery.channel not in (SMS, EMAIL, LETTER):
            return DeliveryResult(Outcome.FAILED, error=f"Notify cannot send {delivery.channel}")
        template_id = self._template_ids.get(delivery.template_key)
        if not template_id:
            return DeliveryResult(
                Outcome.FAILED, error=f"no Notify template id for {delivery.template_key}"
            )
        try:
            answer = await asyncio.to_thread(self._call, delivery, template_id)
        except APIError as error:
            return DeliveryResult(classify(error.status_code), error=_error_text(error))
        except RequestException as error:
            return DeliveryResult(
                Outcome.RETRY, error=f"Notify unreachable: {type(error).__name__}"
            )
        payload = {"id": answer.get("id"), "reference": answer.get("reference")}
        return DeliveryResult(Outcome.SENT, provider_payload=json.dumps(payload))
