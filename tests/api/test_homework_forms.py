"""Homework forms through HTTP: fields as data, drafts, publishing freezes, who writes."""

from typing import Any

import httpx

from api.core.actor import Role
from tests.factories import StaffFactory

PROBLEMS = "https://stepwise.example/problems/"
FORMS = "/api/v1/homework-forms"
VERSIONS = "/api/v1/homework-form-versions"


def form_body(**fields: Any) -> dict[str, Any]:
    return {
        "slug": "mood-log",
        "title": "Mood log",
        "fields": [
            {"key": "mood", "kind": "rating", "label": "Mood", "scale": 10, "required": True},
            {"key": "note", "kind": "long_text", "label": "Note", "max_length": 500},
        ],
        **fields,
    }


async def test_forms_are_created_as_drafts_published_then_frozen(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    admin = await staff.signed_in(Role.ADMIN)

    created = await client.post(FORMS, json=form_body(), headers=admin.headers)
    assert created.status_code == 201, created.text
    draft = created.json()
    assert (draft["number"], draft["status"], draft["kind"]) == (1, "draft", "generic")
    assert draft["fields"][0] == {
        "key": "mood",
        "kind": "rating",
        "label": "Mood",
        "help": "",
        "required": True,
        "integer": False,
        "scale": 10,
    }
    published = await client.post(
        f"{VERSIONS}/{draft['id']}/publish", headers={**admin.headers, "If-Match": '"v1"'}
    )
    assert published.status_code == 200, published.text
    frozen = await client.patch(
        f"{VERSIONS}/{draft['id']}",
        json={"title": "Changed"},
        headers={**admin.headers, "If-Match": '"v2"'},
    )
    assert frozen.status_code == 409
    assert frozen.json()["type"] == PROBLEMS + "version-published"
    second = await client.post(
        f"{FORMS}/{draft['form_id']}/versions",
        json={"title": "Mood log", "fields": form_body()["fields"][:1]},
        headers=admin.headers,
    )
    assert second.json()["number"] == 2
    summary = await client.get(f"{FORMS}/{draft['form_id']}", headers=admin.headers)
    assert summary.json() == {
        "id": draft["form_id"],
        "slug": "mood-log",
        "created_at": summary.json()["created_at"],
        "published_version_id": draft["id"],
        "published_number": 1,
        "draft_version_id": second.json()["id"],
    }


async def test_bad_forms_and_duplicates_are_refused_and_only_admins_write(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    facilitator = await staff.signed_in(Role.FACILITATOR)
    await client.post(FORMS, json=form_body(), headers=admin.headers)

    duplicate = await client.post(FORMS, json=form_body(), headers=admin.headers)
    same_keys = await client.post(
        FORMS,
        json=form_body(
            slug="other",
            fields=[
                {"key": "a", "kind": "date", "label": "A"},
                {"key": "a", "kind": "time", "label": "B"},
            ],
        ),
        headers=admin.headers,
    )
    bad_rating = await client.post(
        FORMS,
        json=form_body(slug="third", fields=[{"key": "r", "kind": "rating", "label": "R"}]),
        headers=admin.headers,
    )
    refused = await client.post(FORMS, json=form_body(slug="x"), headers=facilitator.headers)
    listed = await client.get(FORMS, headers=facilitator.headers)

    assert duplicate.status_code == 409
    assert duplicate.json()["type"] == PROBLEMS + "duplicate-slug"
    assert same_keys.status_code == 400
    assert same_keys.json()["errors"][0]["field"] == "fields"
    assert bad_rating.status_code == 400
    assert refused.status_code == 403
    assert [form["slug"] for form in listed.json()["items"]] == ["mood-log"]
