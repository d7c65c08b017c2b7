"""Request and response bodies for patients (contact and operational details only)."""

import enum
import re
from datetime import date, datetime
from typing import Annotated
from uuid import UUID

from pydantic import AfterValidator, Field, StringConstraints

from api.core.schemas import RequestModel, ResponseModel
from groups.rules.nhs_number import normalise_nhs_number
from scheduling.rules.postcode import InvalidPostcode, normalise_postcode
from scheduling.schemas.venues import ContactEmail, one_line, text

EARLIEST_BIRTH_DATE = date(1900, 1, 1)
EARLIEST_REFERRAL_DATE = date(2000, 1, 1)
LATEST_DATE = date(2100, 12, 31)
NAME_LENGTH = 100  # the columns' length; the folded family name must fit too


class InterpreterKind(enum.StrEnum):
    """What kind of interpreter a patient needs ("" when none)."""

    NONE = ""
    SPOKEN = "spoken"
    BSL = "bsl"
    OTHER = "other"


class AccessibilityNeed(enum.StrEnum):
    """An accessibility need the venue and materials must meet."""

    STEP_FREE_ACCESS = "step_free_access"
    LARGE_PRINT = "large_print"
    EASY_READ = "easy_read"
    BSL = "bsl"
    HEARING_LOOP = "hearing_loop"


class ReferralSource(enum.StrEnum):
    """Who referred the patient."""

    GP = "gp"
    SELF = "self"
    OTHER_SERVICE = "other_service"
    OTHER = "other"


def _family_name(value: str) -> str:
    # The folded copy ("ß" -> "ss") is stored in a column of the same length.
    if len(value.casefold()) > NAME_LENGTH:
        raise ValueError(f"is too long (at most {NAME_LENGTH} characters once case-folded)")
    return value


def _nhs_number(value: str) -> str:
    # InvalidNhsNumber is a ValueError whose message never repeats the number.
    return normalise_nhs_number(value)


def _postcode(value: str) -> str:
    if value == "":
        return value
    try:
        return normalise_postcode(value)
    except InvalidPostcode as error:
        # The rule's own message quotes the input: a patient's address stays out of problems.
        raise ValueError("is not a UK postcode") from error


_PHONE = re.compile(r"^\+?[0-9 ()\-]+$")
_PHONE_COLUMN = 20
_MIN_DIGITS = 10  # a UK number with its area code
_MAX_DIGITS = 15  # E.164's longest


def _phone(value: str) -> str:
    if value == "":
        return value
    digits = sum(ch.isdigit() for ch in value)
    compact = " ".join(value.split())
    if (
        not _PHONE.match(value)
        or not _MIN_DIGITS <= digits <= _MAX_DIGITS
        or len(compact) > _PHONE_COLUMN
    ):
        raise ValueError(
            "is not a phone number: 10 to 15 digits, with spaces, +, hyphens or brackets"
        )
    return compact


def _unique_needs(value: list[AccessibilityNeed]) -> list[AccessibilityNeed]:
    if len(set(value)) != len(value):
        raise ValueError("lists a need twice")
    return sorted(value)


GivenName = Annotated[str, text(NAME_LENGTH, 1), AfterValidator(one_line)]
FamilyName = Annotated[
    str, text(NAME_LENGTH, 1), AfterValidator(one_line), AfterValidator(_family_name)
]
PreferredName = Annotated[str, text(NAME_LENGTH), AfterValidator(one_line)]
NhsNumber = Annotated[str, StringConstraints(max_length=20), AfterValidator(_nhs_number)]
Phone = Annotated[str, text(40), AfterValidator(_phone)]
AddressLine = Annotated[str, text(200), AfterValidator(one_line)]
Town = Annotated[str, text(100), AfterValidator(one_line)]
Postcode = Annotated[str, text(10), AfterValidator(_postcode)]
Language = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, max_length=35, pattern=r"^([A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*)?$"
    ),
    Field(description='A language tag, e.g. "en", "pl", "bfi" (British Sign Language).'),
]
PracticeCode = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=10, pattern=r"^[A-Za-z0-9]*$"),
    Field(description='The ODS code of the GP practice, e.g. "L83001".'),
]
PracticeName = Annotated[str, text(200), AfterValidator(one_line)]
BirthDate = Annotated[date, Field(ge=EARLIEST_BIRTH_DATE, le=LATEST_DATE)]
ReferralDate = Annotated[date, Field(ge=EARLIEST_REFERRAL_DATE, le=LATEST_DATE)]
Needs = Annotated[list[AccessibilityNeed], Field(max_length=5), AfterValidator(_unique_needs)]


class PatientCreate(RequestModel):
    """A referred patient. The NHS number may wait, but when given it must be valid."""

    given_name: GivenName
    family_name: FamilyName
    preferred_name: PreferredName = ""
    date_of_birth: BirthDate
    nhs_number: NhsNumber | None = Field(
        default=None, description='10 digits; spaces or hyphens allowed ("943 476 5919").'
    )
    mobile_phone: Phone = ""
    email: ContactEmail = ""
    address_line_1: AddressLine = ""
    address_line_2: AddressLine = ""
    town: Town = ""
    postcode: Postcode = ""
    consents_to_sms: bool = False
    consents_to_email: bool = False
    consents_to_letter: bool = True
    consents_to_app: bool = False
    messages_may_be_left: bool = False
    preferred_language: Language = "en"
    interpreter_needed: bool = False
    interpreter_language: Language = ""
    interpreter_kind: InterpreterKind = InterpreterKind.NONE
    accessibility_needs: Needs = Field(default_factory=list)
    gp_practice_code: PracticeCode = ""
    gp_practice_name: PracticeName = ""
    referral_date: ReferralDate
    referral_source: ReferralSource = ReferralSource.GP


class PatientUpdate(RequestModel):
    """Fields to change; send only those that change (an NHS number, once set, stays set)."""

    given_name: GivenName | None = None
    family_name: FamilyName | None = None
    preferred_name: PreferredName | None = None
    date_of_birth: BirthDate | None = None
    nhs_number: NhsNumber | None = None
    mobile_phone: Phone | None = None
    email: ContactEmail | None = None
    address_line_1: AddressLine | None = None
    address_line_2: AddressLine | None = None
    town: Town | None = None
    postcode: Postcode | None = None
    consents_to_sms: bool | None = None
    consents_to_email: bool | None = None
    consents_to_letter: bool | None = None
    consents_to_app: bool | None = None
    messages_may_be_left: bool | None = None
    preferred_language: Language | None = None
    interpreter_needed: bool | None = None
    interpreter_language: Language | None = None
    interpreter_kind: InterpreterKind | None = None
    accessibility_needs: Needs | None = None
    gp_practice_code: PracticeCode | None = None
    gp_practice_name: PracticeName | None = None
    referral_date: ReferralDate | None = None
    referral_source: ReferralSource | None = None


class PatientRead(ResponseModel):
    """A patient's contact and operational details, as admins and supervisors see them.

    No clinical data lives here. Once enrolments and measures land, scores, risk alerts,
    notes and homework answers go in their own models that admins never receive
    (DESIGN.md, Privacy); this model stays the operational half.
    """

    id: UUID
    given_name: str
    family_name: str
    preferred_name: str
    date_of_birth: date
    nhs_number: str | None
    mobile_phone: str
    email: str
    address_line_1: str
    address_line_2: str
    town: str
    postcode: str
    consents_to_sms: bool
    consents_to_email: bool
    consents_to_letter: bool
    consents_to_app: bool
    messages_may_be_left: bool
    preferred_language: str
    interpreter_needed: bool
    interpreter_language: str
    interpreter_kind: InterpreterKind
    accessibility_needs: list[AccessibilityNeed]
    gp_practice_code: str
    gp_practice_name: str
    referral_date: date
    referral_source: ReferralSource
    version: int
    created_at: datetime
    updated_at: datetime
