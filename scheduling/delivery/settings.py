"""Outbox settings that ``api.core.settings.MessagingSettings`` does not (yet) hold.

Read from the environment with the STEPWISE_ prefix, with defaults that suit a single
development process. Proposed for ``MessagingSettings``; kept here meanwhile.
"""

from functools import lru_cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class OutboxSettings(BaseSettings):
    """Reminder offsets, template ids, dispatch batch, retention, the scheduler switch."""

    model_config = SettingsConfigDict(env_prefix="STEPWISE_", extra="ignore")

    # "2d" is two calendar days before at the same local time; "2h" is two hours before.
    reminder_offsets: list[str] = Field(default_factory=lambda: ["2d", "2h"])
    questionnaire_nudge_offsets: list[str] = Field(default_factory=lambda: ["1d"])
    # GOV.UK Notify template id per message kind, e.g. {"session_reminder": "<uuid>"}.
    notify_template_ids: dict[str, str] = Field(default_factory=dict)
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
    outbox_dir: str = ""  # default: <var_dir>/outbox


@lru_cache(maxsize=1)
def get_outbox_settings() -> OutboxSettings:
    """The outbox settings, read once."""
    return OutboxSettings()
