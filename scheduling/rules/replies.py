"""Replies to reminder texts: read YES or NO, and put UK mobile numbers in one form.

Pure: no I/O, no clock. A reply is YES when, once lower-cased and stripped of
punctuation, it is one of the known "I'll be there" phrases or starts with one of the
plain yes words; NO likewise; a reply that reads as both, or as neither, is neither
(``None``): staff read it themselves. Negations win over the words they contain, so
"not coming" and "can't make it" are NO, never YES.

Numbers: GOV.UK Notify gives the sender as ``447700900123``; patients' records hold
``07700 900123``, ``+44 7700 900123``, ``(07700) 900-123`` and the like. Each becomes
``+447700900123`` (E.164), as does any UK number written with its trunk 0 (11 digits).
Other numbers are answered as their digits, with a leading ``+`` when they carried a
country code; text that is not a number at all is ``None``.
"""

import enum
import re

MAX_BODY = 1000


class Answer(enum.StrEnum):
    """What a reply says about the reminded session."""

    YES = "yes"
    NO = "no"


_YES_WORDS = frozenset(
    {"yes", "y", "yeah", "yea", "yep", "yup", "ya", "ok", "okay", "sure", "confirm", "confirmed"}
)
_NO_WORDS = frozenset({"no", "n", "nope", "nah", "cancel", "cancelled", "canceled"})
_YES_PHRASES = (
    "ill be there",
    "i will be there",
    "will be there",
    "see you there",
    "see you then",
    "i can come",
    "i am coming",
    "im coming",
    "i will come",
    "ill come",
    "coming",
    "attending",
)
_NO_PHRASES = (
    "cant",
    "cannot",
    "can not",
    "wont",
    "will not",
    "not coming",
    "not able",
    "unable",
    "not attending",
    "cant make it",
    "cant come",
    "not be there",
    "wont be there",
    "dont think so",
    "please cancel",
)
_NO_MATTER = ("no problem", "no worries")
_APOSTROPHES = str.maketrans({"'": "", "\u2019": "", "`": "", "\u2018": ""})
_NOT_WORD = re.compile(r"[^a-z0-9 ]+")


def _words(text: str) -> str:
    lowered = text.lower().translate(_APOSTROPHES)
    return " ".join(_NOT_WORD.sub(" ", lowered).split())


def _has_phrase(words: str, phrases: tuple[str, ...]) -> bool:
    padded = f" {words} "
    return any(f" {phrase} " in padded for phrase in phrases)


def parse_answer(text: str) -> Answer | None:
    """YES, NO, or None when the reply says neither (or both)."""
    words = _words(text)
    if not words:
        return None
    first = words.split()[0]
    no_matter = words.startswith(_NO_MATTER)
    negated = _has_phrase(words, _NO_PHRASES)
    says_no = negated or (first in _NO_WORDS and not no_matter)
    says_yes = (
        first in _YES_WORDS or no_matter or (not negated and _has_phrase(words, _YES_PHRASES))
    )
    if says_yes and says_no:
        return None
    if says_yes:
        return Answer.YES
    return Answer.NO if says_no else None


_SEPARATORS = re.compile(r"[\s\-().]")


def normalise_number(text: str) -> str | None:
    """One form for a phone number (E.164 for UK mobiles); None when it is not a number."""
    compact = _SEPARATORS.sub("", text.strip())
    plus = compact.startswith("+")
    digits = compact[1:] if plus else compact
    if not digits.isdigit() or not 7 <= len(digits) <= 15:
        return None
    if digits.startswith("00"):
        digits, plus = digits[2:], True
    if plus or (digits.startswith("44") and len(digits) == 12):
        # 44 followed by a UK number, sometimes written with its trunk 0: +44 (0)7700...
        if digits.startswith("440"):
            digits = "44" + digits[3:]
        return "+" + digits
    if digits.startswith("0") and len(digits) == 11:
        return "+44" + digits[1:]  # a UK number with its trunk 0
    if digits.startswith("7") and len(digits) == 10:
        return "+44" + digits
    return digits


def is_uk_mobile(number: str) -> bool:
    """Whether a normalised number is a UK mobile (+447 and 9 more digits)."""
    return re.fullmatch(r"\+447\d{9}", number) is not None


def shorten(body: str) -> str:
    """The reply as kept: at most ``MAX_BODY`` characters."""
    return body[:MAX_BODY]
