"""Finding listed risk phrases in free text: a safety net, not an assessment.

A match means a clinician should read the answer; it says nothing about how much risk
there is, and no match says nothing either (people describe self-harm in words no list
holds). Text and phrases are compared after folding case, curly apostrophes and every
run of punctuation or space to one space, on whole words.
"""

import re
from collections.abc import Iterable

_NOT_WORD = re.compile(r"[^\w']+")


def normalise(text: str) -> str:
    """Lower case, straight apostrophes, words separated by single spaces."""
    folded = text.casefold().replace("\u2019", "'").replace("\u2018", "'")
    return " ".join(_NOT_WORD.sub(" ", folded).split())


def parse_phrases(lines: Iterable[str]) -> tuple[str, ...]:
    """The phrases of a list file: one per line, # comments and blank lines skipped."""
    found: dict[str, None] = {}
    for line in lines:
        phrase = normalise(line.split("#", 1)[0])
        if phrase:
            found[phrase] = None
    return tuple(found)


def matching_phrases(texts: Iterable[str], phrases: Iterable[str]) -> list[str]:
    """The listed phrases found (as whole words) in any of the texts, in list order."""
    padded = [f" {normalise(text)} " for text in texts]
    return [phrase for phrase in phrases if any(f" {phrase} " in text for text in padded)]
