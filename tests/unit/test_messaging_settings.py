"""Messaging settings: one class, the environment variable names the README documents."""

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn

from api import cli
from api.core.settings import MessagingSettings, get_settings

README = Path(__file__).resolve().parents[2] / "README.md"


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """No Stepwise variable from the test session leaks in."""
    for name in list(os.environ):
        if name.startswith("STEPWISE_"):
            monkeypatch.delenv(name)
    return monkeypatch


def test_every_outbox_and_job_variable_keeps_its_name(clean_env: pytest.MonkeyPatch) -> None:
    for name, value in {
        "STEPWISE_REMINDER_OFFSETS": '["3d", "1h"]',
        "STEPWISE_QUESTIONNAIRE_NUDGE_OFFSETS": '["2d"]',
        "STEPWISE_NOTIFY_TEMPLATE_IDS": '{"session_reminder": "abc"}',
        "STEPWISE_DISPATCH_BATCH": "7",
        "STEPWISE_DISPATCH_INTERVAL_SECONDS": "11",
        "STEPWISE_SENDING_LEASE_SECONDS": "120",
        "STEPWISE_RETRY_BASE_SECONDS": "5",
        "STEPWISE_RETRY_MAX_SECONDS": "600",
        "STEPWISE_RETENTION_DAYS": "30",
        "STEPWISE_SCHEDULER_ENABLED": "true",
        "STEPWISE_SCHEDULER_LEASE_SECONDS": "45",
        "STEPWISE_OUTBOX_DIR": "/srv/stepwise/outbox",
        "STEPWISE_DELIVERY": "smtp",
        "STEPWISE_MAX_ATTEMPTS": "3",
    }.items():
        clean_env.setenv(name, value)

    messaging = MessagingSettings()

    assert messaging.model_dump(
        include={
            "reminder_offsets",
            "questionnaire_nudge_offsets",
            "notify_template_ids",
            "dispatch_batch",
            "dispatch_interval_seconds",
            "sending_lease_seconds",
            "retry_base_seconds",
            "retry_max_seconds",
            "retention_days",
            "scheduler_enabled",
            "scheduler_lease_seconds",
            "outbox_dir",
            "delivery",
            "max_attempts",
        }
    ) == {
        "reminder_offsets": ["3d", "1h"],
        "questionnaire_nudge_offsets": ["2d"],
        "notify_template_ids": {"session_reminder": "abc"},
        "dispatch_batch": 7,
        "dispatch_interval_seconds": 11,
        "sending_lease_seconds": 120,
        "retry_base_seconds": 5,
        "retry_max_seconds": 600,
        "retention_days": 30,
        "scheduler_enabled": True,
        "scheduler_lease_seconds": 45,
        "outbox_dir": "/srv/stepwise/outbox",
        "delivery": "smtp",
        "max_attempts": 3,
    }


def test_the_defaults_suit_one_development_process(clean_env: pytest.MonkeyPatch) -> None:
    messaging = MessagingSettings()

    assert (
        messaging.reminder_offsets,
        messaging.questionnaire_nudge_offsets,
        messaging.dispatch_batch,
        messaging.scheduler_enabled,
        messaging.outbox_dir,
        messaging.retention_days,
    ) == (["2d", "2h"], ["1d"], 100, False, "", 90)


def _documented() -> set[str]:
    """Variable names in the README's configuration table (``_END`` after a full name
    stands for that name with its last words replaced)."""
    table = README.read_text(encoding="utf-8").split("## Configuration", 1)[1]
    table = table.split("\n## ", 1)[0]
    names: set[str] = set()
    for line in table.splitlines():
        if not line.startswith("| `"):
            continue
        first_cell = line.split("|")[1]
        full = ""
        for name in re.findall(r"`([A-Z0-9_]+)`", first_cell):
            if name.startswith("STEPWISE_"):
                full = name
                names.add(name)
                continue
            words = full.split("_")
            names.update("_".join(words[:cut]) + name for cut in range(1, len(words)))
    return names


def test_the_readme_table_documents_every_messaging_variable() -> None:
    missing = sorted(
        f"STEPWISE_{field.upper()}"
        for field in MessagingSettings.model_fields
        if f"STEPWISE_{field.upper()}" not in _documented()
    )

    assert missing == []


@pytest.fixture
def fresh_settings() -> Iterator[None]:
    """Settings read again after the test, so a changed environment does not linger."""
    try:
        yield
    finally:
        get_settings.cache_clear()


def test_serve_turns_the_jobs_on_though_settings_were_read_before(
    clean_env: pytest.MonkeyPatch, fresh_settings: None
) -> None:
    # The undo restores the test session's value, or removes the one serve sets.
    clean_env.setenv("STEPWISE_SCHEDULER_ENABLED", "unset")
    clean_env.delenv("STEPWISE_SCHEDULER_ENABLED")
    clean_env.setattr(uvicorn, "run", lambda *args, **kwargs: None)
    get_settings.cache_clear()
    assert get_settings().messaging.scheduler_enabled is False  # as cmd_serve reads it first

    assert cli._serve("127.0.0.1", 1) == 0

    assert get_settings().messaging.scheduler_enabled is True


def test_serve_leaves_the_jobs_off_when_told(
    clean_env: pytest.MonkeyPatch, fresh_settings: None
) -> None:
    clean_env.setenv("STEPWISE_SCHEDULER_ENABLED", "false")
    clean_env.setattr(uvicorn, "run", lambda *args, **kwargs: None)
    get_settings.cache_clear()

    assert cli._serve("127.0.0.1", 1) == 0

    assert get_settings().messaging.scheduler_enabled is False
