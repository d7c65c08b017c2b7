"""The recipients directory with patients: consent and addresses read from ``groups``.

It sits above the base of ``scheduling`` (which may not import ``groups``), beside the
jobs that use it.
"""

from collections.abc import Sequence
from uuid import UUID

from groups.tables import Patient
from scheduling.delivery.base import Address
from scheduling.delivery.recipients import Recipient, StaffDirectory
from scheduling.rules.channels import ContactPreferences


def patient_preferences(row: dict[str, object]) -> ContactPreferences:
    """A patient row's consents and which addresses are known."""
    return ContactPreferences(
        sms=bool(row["consents_to_sms"]),
        email=bool(row["consents_to_email"]),
        letter=bool(row["consents_to_letter"]),
        app=bool(row["consents_to_app"]),
        has_mobile=bool(row["mobile_phone"]),
        has_email=bool(row["email"]),
        has_postal_address=bool(row["address_line_1"]) and bool(row["postcode"]),
    )


PATIENT_CONTACT_COLUMNS = (
    Patient.id,
    Patient.given_name,
    Patient.family_name,
    Patient.preferred_name,
    Patient.mobile_phone,
    Patient.email,
    Patient.address_line_1,
    Patient.address_line_2,
    Patient.town,
    Patient.postcode,
    Patient.consents_to_sms,
    Patient.consents_to_email,
    Patient.consents_to_letter,
    Patient.consents_to_app,
    Patient.preferred_language,
)


def _postal_lines(row: dict[str, object]) -> tuple[str, ...]:
    if not row["address_line_1"]:
        return ()
    name = f"{row['given_name']} {row['family_name']}".strip()
    parts = (name, row["address_line_1"], row["address_line_2"], row["town"], row["postcode"])
    return tuple(str(part) for part in parts if part)


def _uuid_or_none(value: str) -> UUID | None:
    try:
        return UUID(value)
    except ValueError:
        return None


async def patient_recipients(ids: Sequence[str]) -> dict[str, Recipient]:
    """Patients by id, with consent as it stands now."""
    wanted = [found for found in map(_uuid_or_none, ids) if found is not None]
    if not wanted:
        return {}
    rows = await Patient.select(*PATIENT_CONTACT_COLUMNS).where(Patient.id.is_in(wanted))
    return {
        str(row["id"]): Recipient(
            address=Address(
                phone=row["mobile_phone"], email=row["email"], postal_lines=_postal_lines(row)
            ),
            preferences=patient_preferences(row),
        )
        for row in rows
    }


class ServiceDirectory(StaffDirectory):
    """Everyone the service messages: patients, staff and the duty contact."""

    async def lookup(self, kind: str, ids: Sequence[str]) -> dict[str, Recipient]:
        """The recipients of ``kind`` found among ``ids``."""
        if kind == "patient":
            return await patient_recipients(ids)
        return await super().lookup(kind, ids)
