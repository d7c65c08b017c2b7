"""Which variant of a module a patient sees: their language and accessibility needs.

Preference: the patient's language in the variant their needs ask for (easy read before
large print when both), then their language in the standard variant, then English in the
variant they need, then English standard. Every step past the first names a fallback, so
staff can see that a patient was given something other than what suits them.
"""

import enum
from collections.abc import Collection, Iterable
from dataclasses import dataclass

ENGLISH = "en"


class Variant(enum.StrEnum):
    """The forms a module's text comes in."""

    STANDARD = "standard"
    EASY_READ = "easy_read"
    LARGE_PRINT = "large_print"


class Fallback(enum.StrEnum):
    """What the chosen variant gave up against the patient's preference."""

    NONE = "none"
    VARIANT = "variant"  # their language, but not the easy-read / large-print variant
    LANGUAGE = "language"  # English, in the variant they need
    LANGUAGE_AND_VARIANT = "language_and_variant"  # English standard
    ANY_AVAILABLE = "any_available"  # not even English standard exists: whatever does


@dataclass(frozen=True, slots=True)
class Choice:
    """The language and variant chosen, and which fallback (if any) got there."""

    language: str
    variant: Variant
    fallback: Fallback


def wanted_variants(needs: Iterable[str]) -> list[Variant]:
    """The variants a patient's needs ask for, most helpful first, standard last."""
    held = set(needs)
    wanted = [v for v in (Variant.EASY_READ, Variant.LARGE_PRINT) if v.value in held]
    return [*wanted, Variant.STANDARD]


def _primary(tag: str) -> str:
    return tag.split("-", 1)[0].lower()


def _language_match(preferred: str, available: Collection[str]) -> str | None:
    """The available tag for the patient's language: exact first, then the same primary."""
    lowered = {tag.lower(): tag for tag in available}
    if preferred.lower() in lowered:
        return lowered[preferred.lower()]
    same = sorted(tag for tag in available if _primary(tag) == _primary(preferred))
    return same[0] if same else None


def choose_variant(
    preferred_language: str,
    needs: Iterable[str],
    available: Collection[tuple[str, str]],
) -> Choice | None:
    """Pick from the published (language, variant) pairs; None when there are none."""
    if not available:
        return None
    wanted = wanted_variants(needs)
    first_wish = wanted[0]
    by_language: dict[str, set[str]] = {}
    for language, variant in available:
        by_language.setdefault(language, set()).add(variant)

    def pick(language: str | None, *, english: bool) -> Choice | None:
        if language is None:
            return None
        for variant in wanted:
            if variant.value in by_language[language]:
                if variant is first_wish:
                    fallback = Fallback.LANGUAGE if english else Fallback.NONE
                else:
                    fallback = Fallback.LANGUAGE_AND_VARIANT if english else Fallback.VARIANT
                return Choice(language, variant, fallback)
        return None

    own = pick(_language_match(preferred_language, by_language), english=False)
    if own is not None:
        return own
    english = pick(_language_match(ENGLISH, by_language), english=True)
    if english is not None:
        return english
    language, variant = min(available)
    return Choice(language, Variant(variant), Fallback.ANY_AVAILABLE)
