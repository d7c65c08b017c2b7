"""Message templates: every kind in every language renders, and nothing clinical leaves."""

import pytest

from scheduling.rules.clinical_words import forbidden_words_in, forbidden_words_in_values
from scheduling.templates import TemplateError, fields_used, render, template, templates

KINDS = (
    "session_reminder",
    "session_moved",
    "session_cancelled",
    "invitation",
    "waitlist_offer",
    "opt_in_letter",
    "dna_follow_up",
    "questionnaire_nudge",
    "homework_due",
    "risk_alert_duty",
    "risk_alert_escalation",
)
# What the services fill the templates with, as they fill them (names, local times,
# venue names, codes, the service's phone number, links to the sign-in page).
SAMPLE_VALUES = {
    "name": "Siân",
    "starts": "Monday 29 March at 10:00",
    "venue": "Tavistock Library",
    "code": "K7P-4QX",
    "reply_by": "Friday 2 April",
    "service_name": "Stepwise",
    "alert_id": "0b6c7a52-8f0e-4c1e-9a57-3d2f1e0c9b8a",
    "minutes": "30",
}


def test_every_kind_has_english_and_welsh() -> None:
    assert set(templates()) == set(KINDS)
    for kind in KINDS:
        assert {"en", "cy"} <= set(template(kind).languages), kind


@pytest.mark.parametrize("kind", KINDS)
def test_every_language_renders_every_parameter_and_nothing_clinical(kind: str) -> None:
    entry = template(kind)
    parameters = {name: SAMPLE_VALUES[name] for name in entry.parameters}
    assert forbidden_words_in_values(parameters) == []
    for language in entry.languages:
        text = entry.text[language]
        # Each language uses exactly the kind's parameters, no more and no fewer.
        assert fields_used(text.subject) | fields_used(text.body) == set(entry.parameters)
        rendered = render(kind, language, parameters)
        assert rendered.language == language
        assert "{" not in rendered.body
        assert "}" not in rendered.body
        for value in parameters.values():
            assert value in rendered.body, (kind, language, value)
        assert forbidden_words_in(rendered.subject) == [], (kind, language)
        assert forbidden_words_in(rendered.body) == [], (kind, language)
        if entry.audience == "patient":
            # An SMS stays within three fragments (GOV.UK Notify counts 160 characters each).
            assert len(rendered.body) <= 459, (kind, language)


def test_the_forbidden_list_catches_clinical_words_in_either_language() -> None:
    assert forbidden_words_in("Your Depression group on Monday") == ["depression"]
    assert forbidden_words_in("PHQ-9 score 21, self-harm risk") == [
        "phq-9",
        "score",
        "self-harm",
        "risk",
    ]
    assert forbidden_words_in("Grŵp Gorbryder ac Iselder") == ["gorbryder", "iselder"]
    assert forbidden_words_in_values({"venue": "Anxiety Management Course"}) == ["anxiety"]
    # Whole words only: a place name containing a forbidden word's letters is fine.
    assert forbidden_words_in("Harmston Road, Riskington, Gadshill") == []


def test_unknown_languages_fall_back_to_the_primary_tag_then_english() -> None:
    parameters = {"name": "Siân", "starts": "Monday 29 March at 10:00"}
    assert render("session_cancelled", "cy-GB", parameters).language == "cy"
    assert render("session_cancelled", "pl", parameters).language == "en"


def test_a_missing_parameter_or_kind_is_refused_by_name() -> None:
    with pytest.raises(TemplateError, match="needs venue"):
        render("session_reminder", "en", {"name": "Siân", "starts": "Monday"})
    with pytest.raises(TemplateError, match="no message template"):
        render("pigeon_post", "en", {})
