"""Words no message leaving the system may carry: diagnoses, scores, risk, revealing topics.

A message may be read by someone else (a shared phone, a letter opened by family), so the
text and every value filled into it must not say why the person is in contact with the
service. English and Welsh; matched on whole words, case-insensitively.
"""

import re
from collections.abc import Iterable, Mapping

FORBIDDEN_WORDS: tuple[str, ...] = (
    # Diagnoses and conditions
    "depression",
    "depressed",
    "depressive",
    "anxiety",
    "anxious",
    "panic",
    "phobia",
    "ocd",
    "obsessive",
    "compulsive",
    "ptsd",
    "trauma",
    "traumatic",
    "insomnia",
    "bipolar",
    "psychosis",
    "psychotic",
    "schizophrenia",
    "eating disorder",
    "bulimia",
    "anorexia",
    "mental health",
    "mental illness",
    "disorder",
    "diagnosis",
    "diagnosed",
    "low mood",
    "worry",
    "stress management",
    "talking therapies",
    "therapy",
    "therapist",
    "psychological",
    "psychology",
    "psychiatric",
    "iapt",
    "cbt",
    # Instruments and scores
    "phq",
    "phq-9",
    "gad",
    "gad-7",
    "wsas",
    "score",
    "scores",
    "scored",
    "caseness",
    "recovery",
    # Risk wording
    "risk",
    "suicide",
    "suicidal",
    "self-harm",
    "self harm",
    "harm",
    "crisis",
    "overdose",
    "alert",
    "safeguarding",
    # Welsh
    "iselder",
    "gorbryder",
    "pryder",
    "panig",
    "risg",
    "hunanladdiad",
    "hunan-niweidio",
    "hunan niweidio",
    "sgôr",
    "sgor",
    "therapi",
    "iechyd meddwl",
    "argyfwng",
    "rhybudd",
)

_PATTERN = re.compile(
    r"(?<![\w-])(" + "|".join(re.escape(word) for word in FORBIDDEN_WORDS) + r")(?![\w-])",
    re.IGNORECASE,
)


def forbidden_words_in(text: str) -> list[str]:
    """The forbidden words ``text`` contains, lower-cased, in order of appearance."""
    return [match.group(0).lower() for match in _PATTERN.finditer(text)]


def forbidden_words_in_values(values: Mapping[str, str] | Iterable[str]) -> list[str]:
    """The forbidden words found in any of the values (a mapping's values, or strings)."""
    texts = values.values() if isinstance(values, Mapping) else values
    found: list[str] = []
    for text in texts:
        found.extend(forbidden_words_in(str(text)))
    return found
