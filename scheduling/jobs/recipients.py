"""The recipients directory with patients: consent and addresses read from ``groups``.

It sits above the base of ``scheduling`` (which may not import ``groups``), beside the
jobs that use it. ``contact_columns`` and ``patient_preferences`` are how every service
that queues a message to a patient reads their consent (``groups`` services too).
"""

from collections.abc import Sequence
from typing import Any

from piccolo.columns import Column

from groups.tables import Patient
from scheduling.delivery.base import Address
from scheduling.delivery.recipients import Recipient, StaffDirectory, known_ids
from scheduling.rules.channels import ContactPreferences

# What ``patient_preferences`` reads, then what a message's greeting and language need.
PREFERENCE_FIELDS = (
    "consents_to_sms",
    "consents_to_email",
    "consents_to_letter",
    "consents_to_app",
    "mobile_phone",
    "email",
    "address_line_1",
    "postcode",
)
CONTACT_FIELDS = (*PREFERENCE_FIELDS, "given_name", "preferred_name", "preferred_language")


def contact_columns(patient: Any = Patient) -> list[Column]:
    """A patient's consent, address, name and language columns, each aliased by its name.

    ``patient`` is the Patient table or a join path to it (``Enrolment.patient``,
    ``Assignment.enrolment._.patient``); the rows then suit ``patient_preferences``.
    """
    return [getattr(patient, name).as_alias(name) for name in CONTACT_FIELDS]


def patient_preferences(row: dict[str, Any]) -> ContactPreferences:
    """A patient row's consents and which addresses are known (``contact_columns``)."""
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
    Patient.family_name,
    Patient.address_line_2,
    Patient.town,
    *contact_columns(Patient),
)


def _postal_lines(row: dict[str, object]) -> tuple[str, ...]:
    if not row["address_line_1"]:
        return ()
    name = f"{row['given_name']} {row['family_name']}".strip()
    parts = (name, row["address_line_1"], row["address_line_2"], row["town"], row["postcode"])
    return tuple(str(part) for part in parts if part)


async def patient_recipients(ids: Sequence[str]) -> dict[str, Recipient]:
    """Patients by id, with consent as it stands now."""
    wanted = known_ids(ids)
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
