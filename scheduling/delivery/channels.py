"""Which adapter carries each channel, from the delivery setting."""

from datetime import datetime
from pathlib import Path

from api.core.settings import get_settings
from scheduling.delivery.base import Channel, Delivery, DeliveryResult, Outcome
from scheduling.delivery.development import DevelopmentChannel
from scheduling.delivery.inbox import InboxChannel
from scheduling.delivery.notify import NotifyChannel
from scheduling.delivery.smtp import SmtpChannel
from scheduling.rules.channels import EMAIL, IN_APP, LETTER, SMS


class _Unavailable:
    """A channel the configured provider cannot carry: fails visibly, never silently."""

    def __init__(self, reason: str) -> None:
        self._reason = reason

    async def send(self, delivery: Delivery) -> DeliveryResult:
        return DeliveryResult(Outcome.FAILED, error=self._reason)


def outbox_directory() -> Path:
    """Where the development channel writes: STEPWISE_OUTBOX_DIR or <var_dir>/outbox."""
    configured = get_settings().messaging.outbox_dir
    return Path(configured) if configured else get_settings().service.var_dir / "outbox"


def configured_channels(now: datetime) -> dict[str, Channel]:
    """The adapter per channel for the configured delivery (development, notify or smtp)."""
    messaging = get_settings().messaging
    routes: dict[str, Channel] = {IN_APP: InboxChannel(now)}
    if messaging.delivery == "development":
        development = DevelopmentChannel(outbox_directory(), now)
        for channel in (SMS, EMAIL, LETTER, "push", IN_APP):
            routes[channel] = development
        return routes
    routes["push"] = _Unavailable("push delivery is not set up")
    if messaging.delivery == "notify":
        key = messaging.notify_api_key
        if key is None:
            missing = _Unavailable("STEPWISE_NOTIFY_API_KEY is not set")
            routes.update(dict.fromkeys((SMS, EMAIL, LETTER), missing))
            return routes
        notify = NotifyChannel(
            key.get_secret_value(),
            messaging.notify_template_ids,
            messaging.notify_base_url,
        )
        routes.update(dict.fromkeys((SMS, EMAIL, LETTER), notify))
        return routes
    routes[EMAIL] = SmtpChannel(messaging.smtp_host, messaging.smtp_port, messaging.smtp_sender)
    routes[SMS] = _Unavailable("SMTP delivery cannot send SMS")
    routes[LETTER] = _Unavailable("SMTP delivery cannot send letters")
    return routes
