"""Request and response bodies for sign-in, staff accounts and the audit log."""

from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

from pydantic import AfterValidator, Field, StringConstraints

from api.core.actor import Role
from api.core.schemas import JsonList, RequestModel, ResponseModel

EMAIL_MAX_LENGTH = 254  # the email columns' length


def _fits_once_lower_cased(value: str) -> str:
    # Lower-casing can lengthen a string ("İ" becomes two characters): check the stored form.
    if len(value.lower()) > EMAIL_MAX_LENGTH:
        raise ValueError(f"must be at most {EMAIL_MAX_LENGTH} characters once lower-cased")
    return value


def _normalise_email(value: str) -> str:
    local, at, domain = value.partition("@")
    if not at or not local or "." not in domain or " " in value:
        raise ValueError("is not an email address")
    return _fits_once_lower_cased(value).lower()


Email = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=3, max_length=EMAIL_MAX_LENGTH),
    AfterValidator(_normalise_email),
    Field(json_schema_extra={"format": "email"}),
]
FullName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Password = Annotated[str, StringConstraints(min_length=1, max_length=1024)]
Roles = Annotated[list[Role], Field(min_length=1, max_length=3)]


class LoginRequest(RequestModel):
    """Email and password."""

    email: Annotated[
        str,
        StringConstraints(strip_whitespace=True, min_length=1, max_length=EMAIL_MAX_LENGTH),
        AfterValidator(_fits_once_lower_cased),
    ]
    password: Password


class TokenRead(ResponseModel):
    """A bearer token for the staff API."""

    access_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105 - the scheme name
    expires_in: int = Field(description="Seconds until the token expires.")
    password_change_required: bool = Field(
        default=False,
        description="True after an admin reset: only POST /api/v1/auth/password works until then.",
    )


class PasswordChange(RequestModel):
    """Change your own password."""

    current_password: Password
    new_password: Password


class StaffUserCreate(RequestModel):
    """A new staff account; it gets a one-time password to change at first sign-in."""

    email: Email
    full_name: FullName
    roles: Roles


class StaffUserUpdate(RequestModel):
    """Fields to change; send only those that change."""

    email: Email | None = None
    full_name: FullName | None = None
    roles: Roles | None = None


class StaffUserRead(ResponseModel):
    """A staff account as admins see it."""

    id: UUID
    email: str
    full_name: str
    roles: JsonList[Role]
    is_active: bool
    must_change_password: bool
    version: int
    created_at: datetime
    updated_at: datetime


class StaffUserCreated(StaffUserRead):
    """A created account, with the one-time password shown this once."""

    one_time_password: str


class PasswordReset(ResponseModel):
    """A one-time password, shown this once; the user must change it at next sign-in."""

    one_time_password: str


class AuditEntryRead(ResponseModel):
    """One audit row."""

    id: int
    at: datetime
    actor_id: UUID | None
    actor_kind: str
    action: str
    entity: str
    entity_id: str
    request_id: str | None
