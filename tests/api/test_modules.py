"""Modules through HTTP: drafts, publishing freezes, variants, sanitised HTML, choice."""

import uuid
from html.parser import HTMLParser
from typing import Any

import httpx

from api.core.actor import Role
from tests.factories import SignedIn, StaffFactory

PROBLEMS = "https://stepwise.example/problems/"
PROBLEM_JSON = "application/problem+json"
MODULES = "/api/v1/modules"
VERSIONS = "/api/v1/module-versions"


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.append((tag, dict(attrs)))


def _elements(html: str) -> list[tuple[str, dict[str, str | None]]]:
    """Every element the HTML really holds (escaped text is text, not elements)."""
    collector = _Collector()
    collector.feed(html)
    return collector.found


def module_body(**fields: Any) -> dict[str, Any]:
    return {
        "slug": "understanding-worry",
        "title": "Understanding worry",
        "summary": "What worry is and what keeps it going.",
        "body_markdown": "# Worry\n\nWorry is a chain of *what if* thoughts.",
        **fields,
    }


async def create_module(
    client: httpx.AsyncClient, admin: SignedIn, **fields: Any
) -> dict[str, Any]:
    response = await client.post(MODULES, json=module_body(**fields), headers=admin.headers)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def publish(client: httpx.AsyncClient, admin: SignedIn, version: dict[str, Any]) -> None:
    response = await client.post(
        f"{VERSIONS}/{version['id']}/publish",
        headers={**admin.headers, "If-Match": f'"v{version["version"]}"'},
    )
    assert response.status_code == 200, response.text


async def test_create_module_answers_a_numbered_draft_with_rendered_html(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    admin = await staff.signed_in(Role.ADMIN)

    response = await client.post(MODULES, json=module_body(), headers=admin.headers)

    assert response.status_code == 201, response.text
    assert response.headers["etag"] == '"v1"'
    body = response.json()
    assert {
        key: body[key] for key in body if key not in {"id", "module_id", "created_at", "updated_at"}
    } == {
        "slug": "understanding-worry",
        "language": "en",
        "variant": "standard",
        "number": 1,
        "status": "draft",
        "title": "Understanding worry",
        "summary": "What worry is and what keeps it going.",
        "body_markdown": "# Worry\n\nWorry is a chain of *what if* thoughts.",
        "body_html": "<h1>Worry</h1>\n<p>Worry is a chain of <em>what if</em> thoughts.</p>\n",
        "attachments": [],
        "published_at": None,
        "version": 1,
    }
    module = await client.get(f"{MODULES}/{body['module_id']}", headers=admin.headers)
    assert module.json()["variants"] == [
        {
            "language": "en",
            "variant": "standard",
            "published_version_id": None,
            "published_number": None,
            "draft_version_id": body["id"],
        }
    ]


async def test_hostile_markdown_is_served_without_script_handlers_embeds_or_js_links(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    hostile = (
        "<script>alert(1)</script>\n\n"
        '<img src="x" onerror="alert(1)">\n\n'
        '<iframe src="https://evil.example"></iframe>\n\n'
        "[click](javascript:alert(1)) [also](JAVASCRIPT:alert(2))\n\n"
        "![tracker](https://evil.example/pixel.png) ![own](/api/v1/attachments/x/content)\n\n"
        "[help](https://www.nhs.uk/mental-health/)"
    )

    body = await create_module(client, admin, body_markdown=hostile)

    html = body["body_html"]
    elements = _elements(html)
    assert {tag for tag, _ in elements} == {"p", "img", "a"}
    assert [attrs for tag, attrs in elements if tag in {"img", "a"}] == [
        {"alt": "tracker"},  # remote image dropped: no third party learns who read it
        {"src": "/api/v1/attachments/x/content", "alt": "own"},
        {"href": "https://www.nhs.uk/mental-health/", "rel": "noopener noreferrer"},
    ]
    assert '<img src="/api/v1/attachments/x/content" alt="own">' in html
    assert '<a href="https://www.nhs.uk/mental-health/" rel="noopener noreferrer">help</a>' in html
    assert body["body_markdown"] == hostile  # the source is kept as written


async def test_publishing_freezes_a_version_and_an_edit_starts_the_next_draft(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    first = await create_module(client, admin)
    edited = await client.patch(
        f"{VERSIONS}/{first['id']}",
        json={"title": "Understanding worry (2nd ed.)"},
        headers={**admin.headers, "If-Match": '"v1"'},
    )
    assert edited.status_code == 200, edited.text
    assert edited.headers["etag"] == '"v2"'
    stale = await client.post(
        f"{VERSIONS}/{first['id']}/publish", headers={**admin.headers, "If-Match": '"v1"'}
    )
    assert stale.status_code == 412
    await publish(client, admin, edited.json())

    frozen = await client.patch(
        f"{VERSIONS}/{first['id']}",
        json={"title": "Sneaky change"},
        headers={**admin.headers, "If-Match": '"v3"'},
    )
    assert frozen.status_code == 409
    assert frozen.headers["content-type"] == PROBLEM_JSON
    assert frozen.json() == {
        "type": PROBLEMS + "version-published",
        "status": 409,
        "title": "Published versions never change",
        "detail": "A published version never changes: create a new draft version to edit it.",
    }

    second = await client.post(
        f"{MODULES}/{first['module_id']}/versions",
        json={"title": "Understanding worry", "body_markdown": "New text"},
        headers=admin.headers,
    )
    assert second.status_code == 201, second.text
    assert (second.json()["number"], second.json()["status"]) == (2, "draft")
    again = await client.post(
        f"{MODULES}/{first['module_id']}/versions",
        json={"title": "A second draft"},
        headers=admin.headers,
    )
    assert again.status_code == 409
    assert again.json() == {
        "type": PROBLEMS + "draft-exists",
        "status": 409,
        "title": "A draft version already exists",
        "detail": "This variant already has a draft: edit it, or publish it first.",
        "draft_version_id": second.json()["id"],
    }
    published = await client.get(f"{VERSIONS}/{first['id']}", headers=admin.headers)
    assert published.json()["title"] == "Understanding worry (2nd ed.)"
    assert published.json()["status"] == "published"

    versions = await client.get(
        f"{MODULES}/{first['module_id']}/versions", params={"limit": 1}, headers=admin.headers
    )
    assert [v["number"] for v in versions.json()["items"]] == [1]
    rest = await client.get(
        f"{MODULES}/{first['module_id']}/versions",
        params={"cursor": versions.json()["next_cursor"]},
        headers=admin.headers,
    )
    assert [v["number"] for v in rest.json()["items"]] == [2]
    assert rest.json()["next_cursor"] is None


async def test_duplicate_slug_is_a_409_and_bad_fields_are_named(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    await create_module(client, admin)

    duplicate = await client.post(MODULES, json=module_body(), headers=admin.headers)
    bad = await client.post(
        MODULES,
        json=module_body(slug="Not A Slug", language="not a tag", variant="braille"),
        headers=admin.headers,
    )
    unknown_attachment = await client.post(
        MODULES,
        json=module_body(
            slug="other", attachments=[{"attachment_id": str(uuid.uuid4()), "label": "Booklet"}]
        ),
        headers=admin.headers,
    )

    assert duplicate.status_code == 409
    assert duplicate.json() == {
        "type": PROBLEMS + "duplicate-slug",
        "status": 409,
        "title": "This slug is already taken",
        "detail": "A module with this slug already exists.",
        "field": "slug",
    }
    assert bad.status_code == 400
    assert sorted(error["field"] for error in bad.json()["errors"]) == [
        "language",
        "slug",
        "variant",
    ]
    assert unknown_attachment.status_code == 400
    assert unknown_attachment.json()["errors"] == [
        {"field": "attachments[0].attachment_id", "reason": "no attachment with this id"}
    ]


async def test_facilitators_read_modules_but_only_admins_write(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    facilitator = await staff.signed_in(Role.FACILITATOR)
    first = await create_module(client, admin)

    refused = await client.post(MODULES, json=module_body(slug="x"), headers=facilitator.headers)
    publish_refused = await client.post(
        f"{VERSIONS}/{first['id']}/publish",
        headers={**facilitator.headers, "If-Match": '"v1"'},
    )
    listed = await client.get(MODULES, headers=facilitator.headers)

    assert (refused.status_code, publish_refused.status_code) == (403, 403)
    assert [module["slug"] for module in listed.json()["items"]] == ["understanding-worry"]


async def test_module_list_pages_by_slug(staff: StaffFactory, client: httpx.AsyncClient) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    for slug in ("sleep-hygiene", "behavioural-activation", "understanding-worry"):
        await create_module(client, admin, slug=slug)

    first = await client.get(MODULES, params={"limit": 2}, headers=admin.headers)
    rest = await client.get(
        MODULES, params={"cursor": first.json()["next_cursor"]}, headers=admin.headers
    )
    forged = await client.get(MODULES, params={"cursor": "bm90IGEgY3Vyc29y"}, headers=admin.headers)

    assert [m["slug"] for m in first.json()["items"]] == ["behavioural-activation", "sleep-hygiene"]
    assert [m["slug"] for m in rest.json()["items"]] == ["understanding-worry"]
    assert forged.status_code == 400


async def test_choice_gives_the_patients_language_and_variant_or_names_the_fallback(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    english = await create_module(client, admin)
    await publish(client, admin, english)
    welsh = await client.post(
        f"{MODULES}/{english['module_id']}/versions",
        json={"language": "cy", "title": "Deall poeni", "body_markdown": "Mae poeni..."},
        headers=admin.headers,
    )
    await publish(client, admin, welsh.json())
    url = f"{MODULES}/{english['module_id']}/choice"

    in_welsh = await client.get(url, params={"language": "cy"}, headers=admin.headers)
    easy_read_welsh = await client.get(
        url, params={"language": "cy", "needs": ["easy_read"]}, headers=admin.headers
    )
    polish = await client.get(url, params={"language": "pl"}, headers=admin.headers)
    bad = await client.get(url, params={"language": "!!"}, headers=admin.headers)

    assert [
        (r.json()["language"], r.json()["variant"], r.json()["fallback"], r.json()["version"]["id"])
        for r in (in_welsh, easy_read_welsh, polish)
    ] == [
        ("cy", "standard", "none", welsh.json()["id"]),
        ("cy", "standard", "variant", welsh.json()["id"]),
        ("en", "standard", "language", english["id"]),
    ]
    assert bad.status_code == 400


async def test_a_module_version_read_answers_304_while_the_etag_is_current(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    facilitator = await staff.signed_in(Role.FACILITATOR)
    version = await create_module(client, admin)
    url = f"{VERSIONS}/{version['id']}"

    first = await client.get(url, headers=facilitator.headers)
    cached = await client.get(url, headers={**facilitator.headers, "If-None-Match": '"v1"'})
    await publish(client, admin, version)
    changed = await client.get(url, headers={**facilitator.headers, "If-None-Match": '"v1"'})
    missing = await client.get(
        f"{VERSIONS}/{uuid.uuid4()}", headers={**facilitator.headers, "If-None-Match": '"v1"'}
    )

    assert (first.status_code, first.headers["etag"]) == (200, '"v1"')
    assert (cached.status_code, cached.content, cached.headers["etag"]) == (304, b"", '"v1"')
    assert (changed.status_code, changed.headers["etag"]) == (200, '"v2"')
    assert changed.json()["status"] == "published"
    assert missing.status_code == 404
