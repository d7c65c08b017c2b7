"""Module text: markdown rendered to HTML that is safe to show in a phone's web view.

Two layers. markdown-it renders CommonMark with raw HTML switched off (a ``<script>`` in
the text comes out as text), then nh3 keeps only an allow-list of tags and attributes:
no script, no style, no event handlers, no iframes or other embeds, links only to
http(s), mailto and tel, and images only from the service's own relative paths (a remote
image would tell a third party who opened the module, and when).
"""

from functools import lru_cache

import nh3
from markdown_it import MarkdownIt

ALLOWED_TAGS = frozenset(
    {
        "p",
        "br",
        "hr",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "strong",
        "em",
        "blockquote",
        "ul",
        "ol",
        "li",
        "code",
        "pre",
        "a",
        "img",
        "table",
        "thead",
        "tbody",
        "tr",
        "th",
        "td",
    }
)
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title"},
    "ol": {"start"},
    "th": {"align"},
    "td": {"align"},
}
URL_SCHEMES = frozenset({"http", "https", "mailto", "tel"})


@lru_cache(maxsize=1)
def _renderer() -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")


def _local_only(tag: str, attribute: str, value: str) -> str | None:
    """Images only from this service (a relative path, not //host or a scheme)."""
    if tag == "img" and attribute == "src":
        lowered = value.strip().lower()
        if lowered.startswith("//") or ":" in lowered.split("/", 1)[0]:
            return None
    return value


def sanitise(html: str) -> str:
    """Keep the allow-listed tags and attributes; drop scripts and styles with their content."""
    return nh3.clean(
        html,
        tags=set(ALLOWED_TAGS),
        clean_content_tags={"script", "style"},
        attributes={tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()},
        attribute_filter=_local_only,
        url_schemes=set(URL_SCHEMES),
        link_rel="noopener noreferrer",
        strip_comments=True,
    )


def render(markdown: str) -> str:
    """Markdown to sanitised HTML."""
    return sanitise(_renderer().render(markdown))
