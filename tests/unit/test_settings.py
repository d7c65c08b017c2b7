"""Settings: strong defaults, the signing key rules, and refused values."""

import os
import stat
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from argon2.exceptions import VerifyMismatchError
from pydantic import ValidationError

from api.core.settings import (
    DatabaseSettings,
    SecuritySettings,
    ServiceSettings,
    Settings,
)
from api.identity.hashing import hasher

URL_RULE = "Value error, use sqlite:///PATH or postgresql://USER@HOST:PORT/DB"


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> pytest.MonkeyPatch:
    """No Stepwise variable from the test session leaks in; var/ is this test's own."""
    for name in list(os.environ):
        if name.startswith("STEPWISE_") or name == "DATABASE_URL":
            monkeypatch.delenv(name)
    monkeypatch.setenv("STEPWISE_VAR_DIR", str(tmp_path / "var"))
    return monkeypatch


def _errors(error: pytest.ExceptionInfo[ValidationError]) -> list[tuple[str, object]]:
    return [(detail["msg"], detail["input"]) for detail in error.value.errors()]


# -- argon2 --------------------------------------------------------------------------------


def test_security_settings_argon2_defaults_are_the_strong_ones(clean_env: object) -> None:
    security = SecuritySettings(_env_file=None)

    assert (
        security.argon2_time_cost,
        security.argon2_memory_kib,
        security.argon2_parallelism,
    ) == (3, 65536, 4)


def test_hasher_with_default_settings_makes_strong_hash_that_verifies(clean_env: object) -> None:
    strong = hasher(SecuritySettings(_env_file=None))

    hashed = strong.hash("a-long-production-passphrase")

    assert hashed.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert PasswordHasher().verify(hashed, "a-long-production-passphrase") is True
    with pytest.raises(VerifyMismatchError):
        PasswordHasher().verify(hashed, "a-long-production-passphrasE")


# -- the signing key -----------------------------------------------------------------------


def test_signing_key_in_production_without_key_raises(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("STEPWISE_ENVIRONMENT", "production")
    settings = Settings()

    with pytest.raises(RuntimeError) as refused:
        settings.signing_key()

    assert str(refused.value) == (
        "STEPWISE_SECRET_KEY is not set: production mode refuses to start without one"
    )
    assert not (settings.service.var_dir / "secret_key").exists()


@pytest.mark.parametrize("environment", ["production", "development"])
def test_signing_key_31_characters_raises(clean_env: pytest.MonkeyPatch, environment: str) -> None:
    clean_env.setenv("STEPWISE_ENVIRONMENT", environment)
    clean_env.setenv("STEPWISE_SECRET_KEY", "k" * 31)

    with pytest.raises(RuntimeError) as refused:
        Settings().signing_key()

    assert str(refused.value) == "STEPWISE_SECRET_KEY must be at least 32 characters"


def test_signing_key_32_characters_in_production_is_used(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("STEPWISE_ENVIRONMENT", "production")
    clean_env.setenv("STEPWISE_SECRET_KEY", "k" * 32)

    assert Settings().signing_key() == "k" * 32


def test_signing_key_in_development_is_made_owner_only_and_reused(clean_env: object) -> None:
    first = Settings()

    made = first.signing_key()
    again = Settings().signing_key()

    key_file = first.service.var_dir / "secret_key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert key_file.read_text() == made + "\n"
    assert len(made) >= 32
    assert again == made


# -- refused values ------------------------------------------------------------------------


@pytest.mark.parametrize("zone", ["Mars/Olympus_Mons", "utc", "", "../../etc/passwd"])
def test_service_settings_unknown_time_zone_is_refused(clean_env: object, zone: str) -> None:
    with pytest.raises(ValidationError) as refused:
        ServiceSettings(time_zone=zone)

    assert _errors(refused) == [(f"Value error, unknown time zone {zone!r}", zone)]


@pytest.mark.parametrize("zone", ["Europe/London", "UTC"])
def test_service_settings_known_time_zone_is_kept(clean_env: object, zone: str) -> None:
    assert ServiceSettings(time_zone=zone).time_zone == zone


def test_database_settings_plain_database_url_is_read(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("DATABASE_URL", "postgresql://app@db.internal:5432/stepwise")

    database = DatabaseSettings()

    assert (database.url, database.is_sqlite) == (
        "postgresql://app@db.internal:5432/stepwise",
        False,
    )


def test_database_settings_prefixed_url_wins_over_plain(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("DATABASE_URL", "postgresql://app@db.internal:5432/stepwise")
    clean_env.setenv("STEPWISE_DATABASE_URL", "sqlite:////srv/stepwise/db.sqlite3")

    database = DatabaseSettings()

    assert (database.url, database.is_sqlite, database.sqlite_path) == (
        "sqlite:////srv/stepwise/db.sqlite3",
        True,
        Path("/srv/stepwise/db.sqlite3"),
    )


@pytest.mark.parametrize(
    "url",
    ["mysql://app@db/stepwise", "sqlite://relative.db", "postgresql:/db", "", "var/x.sqlite3"],
)
def test_database_settings_unknown_url_is_refused(clean_env: pytest.MonkeyPatch, url: str) -> None:
    clean_env.setenv("STEPWISE_DATABASE_URL", url)

    with pytest.raises(ValidationError) as refused:
        DatabaseSettings()

    assert _errors(refused) == [(URL_RULE, url)]


def test_groups_clinical_and_materials_defaults_are_the_documented_ones(
    clean_env: object,
) -> None:
    settings = Settings()
    assert settings.service.name == "Stepwise"
    assert (
        settings.groups.invitation_expiry_days,
        settings.groups.dna_review_after,
        settings.groups.show_course_name_to_patients,
    ) == (14, 2, False)
    assert settings.clinical.risk_escalation_minutes == 120
    assert (settings.messaging.quiet_hours_start, settings.messaging.quiet_hours_end) == (21, 8)
    assert settings.materials.risk_phrases_file is None


def test_service_name_and_risk_phrases_file_come_from_the_environment(
    clean_env: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    clean_env.setenv("STEPWISE_NAME", "Devon Talking Therapies")
    clean_env.setenv("STEPWISE_RISK_PHRASES_FILE", str(tmp_path / "phrases.txt"))
    settings = Settings()
    assert settings.service.name == "Devon Talking Therapies"
    assert settings.materials.risk_phrases_file == tmp_path / "phrases.txt"


def test_an_empty_service_name_is_refused(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("STEPWISE_NAME", "")
    with pytest.raises(ValidationError):
        ServiceSettings()
