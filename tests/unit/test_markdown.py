"""Module markdown: rendered, and nothing that runs code or calls a third party survives."""

from html.parser import HTMLParser

from hypothesis import given
from hypothesis import strategies as st

from materials.rules.markdown import ALLOWED_ATTRIBUTES, ALLOWED_TAGS, render, sanitise


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.append((tag, dict(attrs)))


def _elements(html: str) -> list[tuple[str, dict[str, str | None]]]:
    collector = _Collector()
    collector.feed(html)
    return collector.found


def _safe(html: str) -> bool:
    for tag, attrs in _elements(html):
        if tag not in ALLOWED_TAGS:
            return False
        for name, value in attrs.items():
            if name not in ALLOWED_ATTRIBUTES.get(tag, set()) and name != "rel":
                return False
            lowered = (value or "").strip().lower()
            scheme = lowered.split("/", 1)[0]
            allowed = lowered.startswith(("http:", "https:", "mailto:", "tel:"))
            if name == "href" and not allowed and ":" in scheme:
                return False
            if name == "src" and (lowered.startswith("//") or ":" in lowered.split("/", 1)[0]):
                return False
    return True


def test_render_keeps_structure() -> None:
    assert render("## Steps\n\n1. Notice\n2. **Name** it\n\n> quote") == (
        "<h2>Steps</h2>\n<ol>\n<li>Notice</li>\n<li><strong>Name</strong> it</li>\n</ol>\n"
        "<blockquote>\n<p>quote</p>\n</blockquote>\n"
    )


def test_sanitise_strips_what_raw_html_could_carry() -> None:
    hostile = (
        '<p onclick="x()">hi<script>alert(1)</script><style>p{}</style></p>'
        '<iframe src="https://evil.example"></iframe><object data="x"></object>'
        '<a href="javascript:alert(1)">a</a><a href=" JaVaScRiPt:alert(1)">b</a>'
        '<img src="https://evil.example/p.png"><img src="//evil.example/p.png">'
        '<svg><a xlink:href="javascript:alert(1)">c</a></svg><form action="x"><input></form>'
    )
    safe_link = '<a rel="noopener noreferrer">'
    assert sanitise(hostile) == f"<p>hi</p>{safe_link}a</a>{safe_link}b</a><img><img>"


@given(st.text(alphabet=st.sampled_from(list("<>/\"'=:()[]!# \nascriptjvonerfmgh1")), max_size=200))
def test_render_never_lets_an_unsafe_element_or_attribute_through(markdown: str) -> None:
    assert _safe(render(markdown))


@given(st.text(max_size=300))
def test_sanitise_output_is_always_safe(html: str) -> None:
    assert _safe(sanitise(html))
