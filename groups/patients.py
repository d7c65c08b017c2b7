"""Patients: create, read, search and edit, every read and write in the audit log.

Who may see a patient: admins (contact and operational details) and supervisors; a
facilitator reads (audited) one patient enrolled in a group they run, and no other.
Searching stays with admins and supervisors.

Nothing here logs or echoes a patient's details: problems say what is wrong, never the
name, NHS number or date of birth that was sent.
"""

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from api.core.actor import Actor, Role
from api.core.database import CONSTRAINT_ERRORS, is_unique_violation, write_transaction
from api.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from api.core.schemas import DEFAULT_PAGE_SIZE, Page, decode_cursor, encode_cursor
from api.core.settings import get_settings
from api.identity import audit
from api.identity.versioning import write_versioned
from groups.access import facilitates_patient
from groups.rules.nhs_number import InvalidNhsNumber, normalise_nhs_number
from groups.schemas.patients import InterpreterKind, PatientCreate, PatientRead, PatientUpdate
from groups.tables import Patient
from scheduling.outbox import cancel_pending_for_recipient
from scheduling.rules.channels import EMAIL, IN_APP, LETTER, PUSH, SMS
from scheduling.rules.replies import normalise_number
from scheduling.schemas.venues import one_line

ENTITY = "patient"
# Search and lists; a facilitator reads one patient of a group they run (get_patient).
READERS = (Role.ADMIN, Role.SUPERVISOR)
DUPLICATE_DETAIL = "A patient with this NHS number already exists."
_READ_COLUMNS = tuple(getattr(Patient, name) for name in PatientRead.model_fields)
_DATE_FIELDS = ("date_of_birth", "referral_date")


def _require_admin(by: Actor) -> None:
    if by.user_id is not None and not by.has_any(Role.ADMIN):
        raise Forbidden("Only admins create and edit patients.")


def _require_reader(by: Actor) -> None:
    if by.user_id is not None and not by.has_any(*READERS):
        raise Forbidden("Your role does not allow reading patient records.")


def _check_interpreter(needed: bool, language: str, kind: str) -> None:
    """An interpreter needed names its language and kind; none needed names neither."""
    if needed:
        if not language:
            raise InvalidInput(
                [
                    {
                        "field": "interpreter_language",
                        "reason": "is required when an interpreter is needed",
                    }
                ]
            )
        if kind == InterpreterKind.NONE:
            raise InvalidInput(
                [
                    {
                        "field": "interpreter_kind",
                        "reason": "is required when an interpreter is needed",
                    }
                ]
            )
    elif language or kind != InterpreterKind.NONE:
        field = "interpreter_language" if language else "interpreter_kind"
        raise InvalidInput(
            [{"field": field, "reason": "must be empty when no interpreter is needed"}]
        )


def _column_values(model: PatientCreate | PatientUpdate) -> dict[str, Any]:
    """The fields sent, as the drivers take them: JSON types, but dates kept as dates."""
    values = model.model_dump(mode="json", exclude_none=True)
    for name in _DATE_FIELDS:
        if name in values:
            values[name] = getattr(model, name)
    return values


def _check_birth_date(born: date | None, *, now: datetime) -> None:
    """A date of birth after today (in the service's zone) is a typing slip."""
    today = now.astimezone(ZoneInfo(get_settings().service.time_zone)).date()
    if born is not None and born > today:
        raise InvalidInput([{"field": "date_of_birth", "reason": "is in the future"}])


async def _existing_with_nhs_number(nhs_number: str) -> UUID | None:
    row = await Patient.select(Patient.id).where(Patient.nhs_number == nhs_number).first()
    return None if row is None else UUID(str(row["id"]))


async def _refuse_duplicate(nhs_number: str | None, *, other_than: UUID | None = None) -> None:
    if nhs_number is None:
        return
    existing = await _existing_with_nhs_number(nhs_number)
    if existing is not None and existing != other_than:
        raise Conflict(DUPLICATE_DETAIL, existing_patient_id=str(existing))


async def _duplicate_after_race(nhs_number: str | None, error: Exception) -> Conflict:
    """The unique index refused a write another request won: the same 409, naming it."""
    existing = None if nhs_number is None else await _existing_with_nhs_number(nhs_number)
    if existing is None:
        raise error
    return Conflict(DUPLICATE_DETAIL, existing_patient_id=str(existing))


async def _patient_row(patient_id: UUID) -> dict[str, Any]:
    row: dict[str, Any] | None = (
        await Patient.select(*_READ_COLUMNS).where(Patient.id == patient_id).first()
    )
    if row is None:
        raise NotFound("No patient with this id.")
    return row


async def create_patient(new: PatientCreate, *, by: Actor, now: datetime) -> PatientRead:
    """Add a patient; an NHS number already held is a 409 naming the existing record."""
    _require_admin(by)
    _check_interpreter(new.interpreter_needed, new.interpreter_language, new.interpreter_kind)
    _check_birth_date(new.date_of_birth, now=now)
    try:
        async with write_transaction():
            await _refuse_duplicate(new.nhs_number)
            patient = Patient(
                **_column_values(new),
                family_name_folded=new.family_name.casefold(),
                mobile_phone_normalised=normalise_number(new.mobile_phone) or "",
                created_at=now,
                updated_at=now,
            )
            await patient.save()
            await audit.record(by, "patient.create", ENTITY, patient.id, now=now)
            row = await _patient_row(patient.id)
    except CONSTRAINT_ERRORS as error:
        if not is_unique_violation(error):
            raise
        raise await _duplicate_after_race(new.nhs_number, error) from None
    return PatientRead.model_validate(row)


async def _require_patient_reader(patient_id: UUID, by: Actor) -> None:
    """Admins and supervisors read any patient; facilitators those of groups they run."""
    if by.user_id is None or by.has_any(*READERS):
        return
    if by.has_any(Role.FACILITATOR) and await facilitates_patient(by, patient_id):
        return
    raise Forbidden("Your role does not allow reading this patient's record.")


async def get_patient(patient_id: UUID, *, by: Actor, now: datetime) -> PatientRead:
    """One patient; the read is audited (patient.read)."""
    await _require_patient_reader(patient_id, by)
    async with write_transaction():
        row = await _patient_row(patient_id)
        await audit.record_reads(by, ENTITY, [patient_id], now=now)
    return PatientRead.model_validate(row)


def _search_nhs_number(raw: str) -> str:
    try:
        return normalise_nhs_number(raw)
    except InvalidNhsNumber as error:
        raise InvalidInput([{"field": "nhs_number", "reason": str(error)}]) from None


def _search_conditions(
    nhs_number: str | None, family_name: str | None, date_of_birth: date | None
) -> list[Any]:
    if nhs_number is not None:
        if family_name is not None or date_of_birth is not None:
            raise InvalidInput(
                [
                    {
                        "field": "nhs_number",
                        "reason": "search by NHS number, or by family name and "
                        "date of birth, not both",
                    }
                ]
            )
        return [Patient.nhs_number == _search_nhs_number(nhs_number)]
    if family_name is None or date_of_birth is None or not family_name.strip():
        field = "date_of_birth" if family_name and family_name.strip() else "family_name"
        raise InvalidInput(
            [{"field": field, "reason": "give nhs_number, or family_name with date_of_birth"}]
        )
    try:
        folded = one_line(family_name.strip()).casefold()
    except ValueError as error:
        raise InvalidInput([{"field": "family_name", "reason": str(error)}]) from None
    return [
        Patient.family_name_folded == folded,
        Patient.date_of_birth == date_of_birth,
    ]


async def search_patients(
    *,
    by: Actor,
    now: datetime,
    nhs_number: str | None = None,
    family_name: str | None = None,
    date_of_birth: date | None = None,
    cursor: str | None = None,
    limit: int = DEFAULT_PAGE_SIZE,
) -> Page[PatientRead]:
    """Patients by NHS number, or by family name (any case) and date of birth, by id.

    Each patient shown gets its own patient.read audit entry, written in one insert.
    """
    _require_reader(by)
    conditions = _search_conditions(nhs_number, family_name, date_of_birth)
    if cursor is not None:
        (after_id,) = decode_cursor(cursor, str)
        try:
            conditions.append(Patient.id > UUID(after_id))
        except ValueError:
            raise InvalidInput(
                [{"field": "cursor", "reason": "is not a cursor this API gave"}]
            ) from None
    query = Patient.select(*_READ_COLUMNS).where(*conditions).order_by(Patient.id).limit(limit + 1)
    async with write_transaction():
        rows = await query
        items = [PatientRead.model_validate(row) for row in rows[:limit]]
        await audit.record_reads(by, ENTITY, [item.id for item in items], now=now)
    next_cursor = encode_cursor(str(items[-1].id)) if items and len(rows) > limit else None
    return Page[PatientRead](items=items, next_cursor=next_cursor)


# Which outbox channels each consent covers.
_CONSENT_CHANNELS = (
    ("consents_to_sms", (SMS,)),
    ("consents_to_email", (EMAIL,)),
    ("consents_to_letter", (LETTER,)),
    ("consents_to_app", (IN_APP, PUSH)),
)


def withdrawn_channels(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[str]:
    """The channels whose consent the edit took away (their pending messages are cancelled)."""
    return [
        channel
        for consent, channels in _CONSENT_CHANNELS
        if before[consent] and not after[consent]
        for channel in channels
    ]


async def update_patient(
    patient_id: UUID,
    changes: PatientUpdate,
    *,
    expected_version: int | None,
    by: Actor,
    now: datetime,
) -> PatientRead:
    """Edit a patient if ``expected_version`` is still current (else 412; 428 without one).

    Withdrawing a consent cancels the patient's messages still pending on that channel, in
    the same transaction (the dispatcher checks consent again at send time too).
    """
    _require_admin(by)
    _check_birth_date(changes.date_of_birth, now=now)
    sent = _column_values(changes)
    values: dict[Any, Any] = {getattr(Patient, name): value for name, value in sent.items()}
    if changes.family_name is not None:
        values[Patient.family_name_folded] = changes.family_name.casefold()
    if changes.mobile_phone is not None:
        values[Patient.mobile_phone_normalised] = normalise_number(changes.mobile_phone) or ""
    try:
        async with write_transaction():
            current = await _patient_row(patient_id)
            merged = {**current, **sent}
            _check_interpreter(
                merged["interpreter_needed"],
                merged["interpreter_language"],
                merged["interpreter_kind"],
            )
            await _refuse_duplicate(changes.nhs_number, other_than=patient_id)
            if await write_versioned(
                Patient, patient_id, values, expected_version=expected_version, now=now
            ):
                await audit.record(by, "patient.update", ENTITY, patient_id, now=now)
            row = await _patient_row(patient_id)
            withdrawn = withdrawn_channels(current, row)
            if withdrawn:
                await cancel_pending_for_recipient(
                    "patient", str(patient_id), now=now, channels=withdrawn
                )
    except CONSTRAINT_ERRORS as error:
        if not is_unique_violation(error):
            raise
        raise await _duplicate_after_race(changes.nhs_number, error) from None
    return PatientRead.model_validate(row)
