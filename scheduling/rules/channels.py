"""Which channels a recipient may be messaged on: consent given and an address to send to."""

from dataclasses import dataclass

SMS = "sms"
EMAIL = "email"
LETTER = "letter"
PUSH = "push"
IN_APP = "in_app"
CHANNELS = (SMS, EMAIL, LETTER, PUSH, IN_APP)


@dataclass(frozen=True)
class ContactPreferences:
    """A recipient's consents and whether each address is known."""

    sms: bool = False
    email: bool = False
    letter: bool = False
    app: bool = False
    has_mobile: bool = False
    has_email: bool = False
    has_postal_address: bool = False


def consented_channels(preferences: ContactPreferences) -> tuple[str, ...]:
    """The channels to use, in the order a service prefers them; empty when none applies."""
    chosen: list[str] = []
    if preferences.sms and preferences.has_mobile:
        chosen.append(SMS)
    if preferences.email and preferences.has_email:
        chosen.append(EMAIL)
    if preferences.app:
        chosen.append(IN_APP)
    if preferences.letter and preferences.has_postal_address:
        chosen.append(LETTER)
    return tuple(chosen)


def is_consented(channel: str, preferences: ContactPreferences) -> bool:
    """Whether ``channel`` may carry a message now (consent and an address); push needs app."""
    if channel == PUSH:
        return preferences.app
    return channel in consented_channels(preferences)
