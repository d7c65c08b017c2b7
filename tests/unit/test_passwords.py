"""Password rules: length limits, common passwords, the email, too few characters."""

import pytest

from api.identity.rules.passwords import common_passwords, password_problems

MIN = 12
TOO_SHORT = f"must be at least {MIN} characters"
TOO_LONG = "must be at most 1024 characters"
COMMON = "is a commonly used password"
EMAIL = "must not contain your email address"
FEW = "uses too few different characters"


@pytest.mark.parametrize(
    ("password", "problems"),
    [
        ("", [TOO_SHORT, FEW]),
        ("k7#mQ2$vX9p", [TOO_SHORT]),  # 11 characters
        ("k7#mQ2$vX9pL", []),  # 12 characters
        ("abcd" * 256, []),  # 1024 characters
        ("abcd" * 256 + "e", [TOO_LONG]),  # 1025 characters
    ],
)
def test_password_problems_length_cut_offs(password: str, problems: list[str]) -> None:
    assert password_problems(password, min_length=MIN) == problems


@pytest.mark.parametrize(
    ("password", "problems"),
    [
        ("passwordpassword", [COMMON]),
        ("PasswordPassword", [COMMON]),
        ("TALKINGTHERAPIES", [COMMON]),
        ("  correcthorsebatterystaple  ", [COMMON]),  # surrounding spaces do not hide it
        ("password123", [TOO_SHORT, COMMON]),
        ("passwordpassword!", []),  # not on the list
    ],
)
def test_password_problems_common_password_refused_case_insensitively(
    password: str, problems: list[str]
) -> None:
    assert password_problems(password, min_length=MIN) == problems


def test_common_passwords_list_is_lower_case_and_not_empty() -> None:
    listed = common_passwords()

    assert len(listed) > 100
    assert {word.lower() for word in listed} == listed


@pytest.mark.parametrize(
    ("password", "email", "problems"),
    [
        ("my-name-is-alice.smith", "alice.smith@nhs.example", [EMAIL]),
        ("ALICE.SMITH-rocks-2026", "Alice.Smith@nhs.example", [EMAIL]),
        ("alic-is-not-the-name", "alice.smith@nhs.example", []),
        ("nhs.example-domain-ok", "alice.smith@nhs.example", []),  # only the local part
        ("bob-likes-long-walks", "bob@nhs.example", []),  # under 4 characters: not checked
        ("robb-likes-long-walks", "robb@nhs.example", [EMAIL]),  # 4 characters: checked
        ("a-long-passphrase-here", "", []),
    ],
)
def test_password_problems_email_local_part_refused(
    password: str, email: str, problems: list[str]
) -> None:
    assert password_problems(password, min_length=MIN, email=email) == problems


@pytest.mark.parametrize(
    ("password", "problems"),
    [
        ("aaaaaaaaaaaaaaaa", [FEW]),  # 1 distinct
        ("abababababababab", [FEW]),  # 2 distinct
        ("abcabcabcabcabca", [FEW]),  # 3 distinct
        ("abcdabcdabcdabcd", []),  # 4 distinct
        ("aaaaaaaaaaaa", [COMMON, FEW]),  # on the list as well
    ],
)
def test_password_problems_distinct_characters_cut_off(password: str, problems: list[str]) -> None:
    assert password_problems(password, min_length=MIN) == problems


def test_password_problems_all_rules_at_once_are_reported_in_order() -> None:
    assert password_problems("aaaa", min_length=MIN, email="aaaa@x.example") == [
        TOO_SHORT,
        EMAIL,
        FEW,
    ]
