"""Choosing a module variant: the patient's language and needs, then the named fallbacks."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from materials.rules.choice import Choice, Fallback, Variant, choose_variant, wanted_variants

ALL = {
    ("en", "standard"),
    ("en", "easy_read"),
    ("en", "large_print"),
    ("cy", "standard"),
    ("cy", "easy_read"),
    ("pl", "standard"),
}


@pytest.mark.parametrize(
    ("language", "needs", "available", "expected"),
    [
        ("en", [], ALL, Choice("en", Variant.STANDARD, Fallback.NONE)),
        ("cy", [], ALL, Choice("cy", Variant.STANDARD, Fallback.NONE)),
        ("cy", ["easy_read"], ALL, Choice("cy", Variant.EASY_READ, Fallback.NONE)),
        # Welsh has no large print: Welsh standard, the variant given up.
        ("cy", ["large_print"], ALL, Choice("cy", Variant.STANDARD, Fallback.VARIANT)),
        # Both needs: easy read first, then large print.
        ("en", ["large_print", "easy_read"], ALL, Choice("en", Variant.EASY_READ, Fallback.NONE)),
        (
            "en",
            ["large_print", "easy_read"],
            ALL - {("en", "easy_read")},
            Choice("en", Variant.LARGE_PRINT, Fallback.VARIANT),
        ),
        # Region and case do not matter when the language is there.
        ("PL-pl", [], ALL, Choice("pl", Variant.STANDARD, Fallback.NONE)),
        # Polish easy read does not exist, English easy read does.
        ("pl", ["easy_read"], ALL, Choice("pl", Variant.STANDARD, Fallback.VARIANT)),
        ("so", [], ALL, Choice("en", Variant.STANDARD, Fallback.LANGUAGE)),
        ("so", ["easy_read"], ALL, Choice("en", Variant.EASY_READ, Fallback.LANGUAGE)),
        (
            "so",
            ["easy_read"],
            {("en", "standard")},
            Choice("en", Variant.STANDARD, Fallback.LANGUAGE_AND_VARIANT),
        ),
        (
            "so",
            [],
            {("cy", "standard"), ("cy", "easy_read")},
            Choice("cy", Variant.EASY_READ, Fallback.ANY_AVAILABLE),
        ),
        # Needs that are not about text (a hearing loop) change nothing.
        ("en", ["hearing_loop", "step_free"], ALL, Choice("en", Variant.STANDARD, Fallback.NONE)),
    ],
)
def test_choose_variant_prefers_language_then_needs_then_english(
    language: str, needs: list[str], available: set[tuple[str, str]], expected: Choice
) -> None:
    assert choose_variant(language, needs, available) == expected


def test_choose_variant_with_nothing_published_is_none() -> None:
    assert choose_variant("en", [], set()) is None


def test_wanted_variants_ends_with_standard() -> None:
    assert wanted_variants(["large_print", "easy_read"]) == [
        Variant.EASY_READ,
        Variant.LARGE_PRINT,
        Variant.STANDARD,
    ]


@given(
    language=st.sampled_from(["en", "cy", "pl", "so", "en-GB"]),
    needs=st.lists(st.sampled_from(["easy_read", "large_print", "hearing_loop"])),
    available=st.sets(
        st.tuples(st.sampled_from(["en", "cy", "pl"]), st.sampled_from(list(Variant))),
        min_size=1,
    ),
)
def test_choose_variant_always_picks_something_published_and_names_no_fallback_only_when_ideal(
    language: str, needs: list[str], available: set[tuple[str, str]]
) -> None:
    pairs = {(lang, str(variant)) for lang, variant in available}
    choice = choose_variant(language, needs, pairs)
    assert choice is not None
    assert (choice.language, choice.variant.value) in pairs
    ideal = wanted_variants(needs)[0]
    same_language = choice.language == language.split("-")[0]
    assert (choice.fallback is Fallback.NONE) == (same_language and choice.variant is ideal)
