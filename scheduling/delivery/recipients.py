"""Who a message goes to, read at send time: addresses and consent as they are now.

The outbox names recipients by kind and id. This base layer knows the duty contact
(settings) and staff; patients live in ``groups``, so the directory for them is supplied
by the layer above (``scheduling.jobs.recipients``), keeping imports one way.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol
from uuid import UUID

from api.core.settings import get_settings
from api.identity.tables import StaffUser
from scheduling.delivery.base import Address
from scheduling.rules.channels import ContactPreferences


@dataclass(frozen=True)
class Recipient:
    """Where to reach someone and what they consent to, at this moment."""

    address: Address
    preferences: ContactPreferences


class RecipientDirectory(Protocol):
    """Looks recipients of one kind up in bulk; an id it does not know is left out."""

    async def lookup(self, kind: str, ids: Sequence[str]) -> dict[str, Recipient]:
        """The recipients found, by id."""
        ...


def duty_contact() -> Recipient:
    """The duty clinician's contact from settings (staff consent to their work channels).

    In-app duty messages go to the inbox under recipient kind "duty", for the staff
    dashboard, so a notice exists even when no duty address is configured.
    """
    clinical = get_settings().clinical
    return Recipient(
        address=Address(phone=clinical.duty_contact_phone, email=clinical.duty_contact_email),
        preferences=ContactPreferences(
            sms=True,
            email=True,
            app=True,
            has_mobile=bool(clinical.duty_contact_phone),
            has_email=bool(clinical.duty_contact_email),
        ),
    )


def _uuid_or_none(value: str) -> UUID | None:
    try:
        return UUID(value)
    except ValueError:
        return None


def known_ids(ids: Sequence[str]) -> list[UUID]:
    """The ids that are UUIDs (an outbox row may name anyone; only these can be looked up)."""
    return [found for found in map(_uuid_or_none, ids) if found is not None]


async def staff_recipients(ids: Sequence[str]) -> dict[str, Recipient]:
    """Active staff by id: email at work, and the in-app inbox."""
    wanted = known_ids(ids)
    if not wanted:
        return {}
    rows = await StaffUser.select(StaffUser.id, StaffUser.email).where(
        StaffUser.id.is_in(wanted) & (StaffUser.is_active == True)  # noqa: E712 - Piccolo
    )
    return {
        str(row["id"]): Recipient(
            address=Address(email=row["email"]),
            preferences=ContactPreferences(email=True, app=True, has_email=True),
        )
        for row in rows
    }


class StaffDirectory:
    """Duty contact and staff; patients are unknown here (see scheduling.jobs.recipients)."""

    async def lookup(self, kind: str, ids: Sequence[str]) -> dict[str, Recipient]:
        """The recipients of ``kind`` found among ``ids``."""
        if kind == "duty":
            return dict.fromkeys(ids, duty_contact())
        if kind == "staff":
            return await staff_recipients(ids)
        return {}
