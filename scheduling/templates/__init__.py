"""Message templates as data: our own text per kind and language, Notify's fields per kind.

``messages.json`` holds, for each message kind, its audience, the parameters it is
filled with and its subject and body per language. The development, SMTP and in-app
channels send our text; GOV.UK Notify keeps its own copy of the text under a template
id (settings) and receives the same parameters as personalisation.
"""

import json
import string
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

DEFAULT_LANGUAGE = "en"


class TemplateError(ValueError):
    """A message cannot be rendered: unknown kind or a parameter missing."""


@dataclass(frozen=True)
class MessageText:
    """One language's subject (email, letter, inbox title) and body."""

    subject: str
    body: str


@dataclass(frozen=True)
class Template:
    """One message kind: who it is for, what fills it, its text per language."""

    key: str
    audience: str
    parameters: tuple[str, ...]
    text: dict[str, MessageText]

    @property
    def languages(self) -> tuple[str, ...]:
        """The languages the kind has text in."""
        return tuple(sorted(self.text))


@dataclass(frozen=True)
class Rendered:
    """A message's text as it leaves the system."""

    subject: str
    body: str
    language: str


@lru_cache(maxsize=1)
def templates() -> dict[str, Template]:
    """Every message kind, by key (read from messages.json once)."""
    raw: dict[str, Any] = json.loads(
        resources.files(__package__).joinpath("messages.json").read_text(encoding="utf-8")
    )
    found: dict[str, Template] = {}
    for key, entry in raw.items():
        texts = {
            language: MessageText(subject=value["subject"], body=value["body"])
            for language, value in entry["text"].items()
        }
        found[key] = Template(
            key=key,
            audience=entry["audience"],
            parameters=tuple(entry["parameters"]),
            text=texts,
        )
    return found


def template(key: str) -> Template:
    """The template of one message kind.

    Raises:
        TemplateError: no such kind.
    """
    found = templates().get(key)
    if found is None:
        raise TemplateError(f"no message template {key!r}")
    return found


def _language_for(entry: Template, language: str) -> str:
    """The language to use: exact tag, then its primary subtag (cy-GB -> cy), then English."""
    if language in entry.text:
        return language
    primary = language.split("-", 1)[0].lower()
    return primary if primary in entry.text else DEFAULT_LANGUAGE


def render(key: str, language: str, parameters: dict[str, str]) -> Rendered:
    """A message's subject and body in the language asked for (English if none).

    Raises:
        TemplateError: unknown kind, or a parameter the kind needs is missing.
    """
    entry = template(key)
    missing = [name for name in entry.parameters if not str(parameters.get(name, "")).strip()]
    if missing:
        raise TemplateError(f"message template {key!r} needs {', '.join(missing)}")
    chosen = _language_for(entry, language)
    text = entry.text[chosen]
    values = {name: str(parameters[name]) for name in entry.parameters}
    return Rendered(
        subject=text.subject.format_map(values),
        body=text.body.format_map(values),
        language=chosen,
    )


def fields_used(text: str) -> set[str]:
    """The ``{name}`` fields a piece of template text fills."""
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}
