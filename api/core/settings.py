"""Settings from environment variables, one class per concern, read once."""

import os
import secrets
from functools import cache
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

_COMMON = SettingsConfigDict(env_prefix="STEPWISE_", extra="ignore", env_file=None)
SECRET_KEY_FILE = "secret_key"  # noqa: S105 - a file name, not a secret
MIN_SECRET_KEY_LENGTH = 32


class ServiceSettings(BaseSettings):
    """Where the service keeps its files, how it logs and which clock people read."""

    model_config = _COMMON

    environment: Literal["development", "production"] = "development"
    # How the service names itself to patients in messages ("Devon Talking Therapies").
    name: str = Field(default="Stepwise", min_length=1, max_length=80)
    var_dir: Path = Path("var")
    time_zone: str = "Europe/London"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    max_body_bytes: int = Field(default=1_048_576, ge=1024)
    access_log: bool = True

    @field_validator("time_zone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise ValueError(f"unknown time zone {value!r}") from error
        return value

    @property
    def is_production(self) -> bool:
        """Production refuses insecure defaults and logs JSON."""
        return self.environment == "production"


class DatabaseSettings(BaseSettings):
    """One URL chooses the engine: sqlite:///path or postgresql://user@host/db."""

    model_config = _COMMON

    url: str = Field(
        default="sqlite:///var/stepwise.sqlite3",
        validation_alias=AliasChoices("STEPWISE_DATABASE_URL", "DATABASE_URL"),
    )
    sqlite_read_connections: int = Field(default=4, ge=1, le=64)
    sqlite_busy_timeout_ms: int = Field(default=5000, ge=0)
    postgres_pool_min: int = Field(default=2, ge=1)
    postgres_pool_max: int = Field(default=10, ge=1)

    @field_validator("url")
    @classmethod
    def _known_engine(cls, value: str) -> str:
        if not value.startswith(("sqlite:///", "postgresql://", "postgres://")):
            raise ValueError("use sqlite:///PATH or postgresql://USER@HOST:PORT/DB")
        return value

    @property
    def is_sqlite(self) -> bool:
        """Whether the embedded engine is chosen."""
        return self.url.startswith("sqlite:///")

    @property
    def sqlite_path(self) -> Path:
        """The database file named by a sqlite:/// URL."""
        return Path(self.url.removeprefix("sqlite:///"))


class SecuritySettings(BaseSettings):
    """Token signing, lifetimes, passwords and login throttling."""

    model_config = _COMMON

    secret_key: SecretStr | None = None
    access_token_minutes: int = Field(default=60, ge=1, le=24 * 60)
    token_issuer: str = "stepwise"  # noqa: S105 - a claim value
    staff_token_audience: str = "stepwise-staff"  # noqa: S105 - a claim value
    password_min_length: int = Field(default=12, ge=8)
    # argon2id cost; RFC 9106's second recommended option (64 MiB, 3 passes) by default.
    argon2_time_cost: int = Field(default=3, ge=1)
    argon2_memory_kib: int = Field(default=65536, ge=8)
    argon2_parallelism: int = Field(default=4, ge=1)
    login_failures_per_account: int = Field(default=5, ge=1)
    login_failures_per_address: int = Field(default=20, ge=1)
    login_lockout_minutes: int = Field(default=15, ge=1)


class GroupSettings(BaseSettings):
    """How groups fill: invitations, the go/no-go horizon, the DNA policy."""

    model_config = _COMMON

    # An invitation not answered in this many days has expired (the opt-in letter's window).
    invitation_expiry_days: int = Field(default=14, ge=1, le=90)
    # The go/no-go list shows groups whose go/no-go date falls within this many days.
    go_no_go_horizon_days: int = Field(default=21, ge=1, le=365)
    # Consecutive did-not-attends after which an enrolment is flagged for review.
    dna_review_after: int = Field(default=2, ge=1, le=10)
    # Patient-facing calendar events name the course only where the service opts in.
    show_course_name_to_patients: bool = False


class ClinicalSettings(BaseSettings):
    """Risk alerts: who hears of them and when an unacknowledged one escalates."""

    model_config = _COMMON

    risk_escalation_minutes: int = Field(default=120, ge=5, le=7 * 24 * 60)
    # The duty clinician told at once of a new alert (no clinical detail in the message).
    duty_contact_email: str = ""
    duty_contact_phone: str = ""


class MessagingSettings(BaseSettings):
    """The outbox and its jobs: delivery, quiet hours, providers, reminders, dispatch."""

    model_config = _COMMON

    delivery: Literal["development", "notify", "smtp"] = "development"
    quiet_hours_start: int = Field(default=21, ge=0, le=23)
    quiet_hours_end: int = Field(default=8, ge=0, le=23)
    notify_api_key: SecretStr | None = None
    notify_base_url: str = ""
    # GOV.UK Notify template id per message kind, e.g. {"session_reminder": "<uuid>"}.
    notify_template_ids: dict[str, str] = Field(default_factory=dict)
    # The bearer token GOV.UK Notify sends with received texts; unset, the callback is shut.
    notify_callback_token: SecretStr | None = None
    smtp_host: str = "127.0.0.1"
    smtp_port: int = Field(default=25, ge=1, le=65535)
    smtp_sender: str = "stepwise@localhost"
    max_attempts: int = Field(default=5, ge=1, le=50)
    outbox_dir: str = ""  # the development channel's files; empty: <var_dir>/outbox
    # "2d" is two calendar days before at the same local time; "2h" is two hours before.
    reminder_offsets: list[str] = Field(default_factory=lambda: ["2d", "2h"])
    questionnaire_nudge_offsets: list[str] = Field(default_factory=lambda: ["1d"])
    dispatch_batch: int = Field(default=100, ge=1, le=1000)
    dispatch_interval_seconds: int = Field(default=30, ge=1, le=3600)
    # How long a claimed ("sending") message is left alone before it is tried again.
    sending_lease_seconds: int = Field(default=300, ge=10, le=86400)
    retry_base_seconds: int = Field(default=60, ge=1, le=3600)
    retry_max_seconds: int = Field(default=6 * 3600, ge=1, le=7 * 86400)
    retention_days: int = Field(default=90, ge=1, le=3650)
    # Off unless asked for: `stepwise serve`, `demo` and `worker` turn it on (so tests, the
    # benchmark and extra API processes never run jobs by accident).
    scheduler_enabled: bool = False
    scheduler_lease_seconds: int = Field(default=90, ge=10, le=3600)


class MaterialsSettings(BaseSettings):
    """Where module attachments live and how large they may be."""

    model_config = _COMMON

    attachment_dir: Path | None = None  # default: <var_dir>/attachments
    # One phrase a line; default: the list shipped in materials/forms/risk_phrases.txt.
    risk_phrases_file: Path | None = None
    max_attachment_bytes: int = Field(default=10 * 1024 * 1024, ge=1024)


class Settings:
    """All settings, each concern read from the environment once."""

    def __init__(self) -> None:
        self.service = ServiceSettings()
        self.database = DatabaseSettings()
        self.security = SecuritySettings()
        self.groups = GroupSettings()
        self.clinical = ClinicalSettings()
        self.messaging = MessagingSettings()
        self.materials = MaterialsSettings()

    def signing_key(self) -> str:
        """The token signing key: from the environment, or kept under var/ in development.

        Raises:
            RuntimeError: in production without a strong STEPWISE_SECRET_KEY.
        """
        if self.security.secret_key is not None:
            key = self.security.secret_key.get_secret_value()
            if len(key) < MIN_SECRET_KEY_LENGTH:
                raise RuntimeError(
                    f"STEPWISE_SECRET_KEY must be at least {MIN_SECRET_KEY_LENGTH} characters"
                )
            return key
        if self.service.is_production:
            raise RuntimeError(
                "STEPWISE_SECRET_KEY is not set: production mode refuses to start without one"
            )
        return _development_key(self.service.var_dir / SECRET_KEY_FILE)


def _development_key(path: Path) -> str:
    """Read the kept key, or create it once, owner-only, even if two processes race."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        key = path.read_text().strip()
        if len(key) < MIN_SECRET_KEY_LENGTH:
            raise RuntimeError(f"{path} holds no usable key: delete it to make a new one") from None
        return key
    key = secrets.token_urlsafe(48)
    with os.fdopen(descriptor, "w") as file:
        file.write(key + "\n")
    return key


@cache
def get_settings() -> Settings:
    """The process's settings, read from the environment on first use."""
    return Settings()
