"""Attachments: typed from their bytes, size-limited, kept once by hash, served with ETags."""

import hashlib
import os
from pathlib import Path

import httpx
import pytest

from api.core.actor import Role
from api.core.settings import get_settings
from tests.factories import StaffFactory

PROBLEMS = "https://stepwise.example/problems/"
ATTACHMENTS = "/api/v1/attachments"
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 40


@pytest.fixture(autouse=True)
def attachment_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each test keeps its files in its own directory, with a 2 KiB limit."""
    monkeypatch.setattr(get_settings().materials, "attachment_dir", tmp_path)
    monkeypatch.setattr(get_settings().materials, "max_attachment_bytes", 2048)
    return tmp_path


async def test_upload_types_from_bytes_keeps_once_by_hash_and_serves_with_strong_etag(
    staff: StaffFactory, client: httpx.AsyncClient, attachment_dir: Path
) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    facilitator = await staff.signed_in(Role.FACILITATOR)
    digest = hashlib.sha256(PDF).hexdigest()

    # The name and header say image; the bytes say PDF, and the bytes win.
    uploaded = await client.post(
        ATTACHMENTS,
        content=PDF,
        params={"filename": 'worry "booklet"\r\n.png'},
        headers={**admin.headers, "Content-Type": "image/png"},
    )
    again = await client.post(ATTACHMENTS, content=PDF, headers=admin.headers)

    assert uploaded.status_code == 201, uploaded.text
    body = uploaded.json()
    assert {k: body[k] for k in body if k not in {"id", "created_at"}} == {
        "sha256": digest,
        "content_type": "application/pdf",
        "size_bytes": len(PDF),
        "filename": "worry _booklet_.png",
        "url": f"{ATTACHMENTS}/{body['id']}/content",
    }
    assert again.json()["id"] == body["id"]
    assert (attachment_dir / digest[:2] / digest[2:4] / digest).read_bytes() == PDF

    served = await client.get(body["url"], headers=facilitator.headers)
    assert served.status_code == 200
    assert served.content == PDF
    assert served.headers["content-type"] == "application/pdf"
    assert served.headers["etag"] == f'"{digest}"'
    assert served.headers["x-content-type-options"] == "nosniff"

    cached = await client.get(
        body["url"], headers={**facilitator.headers, "If-None-Match": f'"{digest}"'}
    )
    changed = await client.get(
        body["url"], headers={**facilitator.headers, "If-None-Match": '"something-else"'}
    )
    assert (cached.status_code, cached.content) == (304, b"")
    assert cached.headers["etag"] == f'"{digest}"'
    assert changed.status_code == 200


async def test_upload_refuses_other_types_empty_files_and_files_over_the_limit(
    staff: StaffFactory, client: httpx.AsyncClient, attachment_dir: Path
) -> None:
    admin = await staff.signed_in(Role.ADMIN)

    html = await client.post(
        ATTACHMENTS,
        content=b"<html><script>alert(1)</script></html>",
        params={"filename": "booklet.pdf"},
        headers={**admin.headers, "Content-Type": "application/pdf"},
    )
    gif = await client.post(ATTACHMENTS, content=b"GIF89a" + b"\x00" * 20, headers=admin.headers)
    empty = await client.post(ATTACHMENTS, content=b"", headers=admin.headers)
    huge = await client.post(ATTACHMENTS, content=PNG + b"\x00" * 3000, headers=admin.headers)

    unsupported = {
        "type": PROBLEMS + "unsupported-attachment",
        "status": 415,
        "title": "Only PDF, PNG, JPEG and WebP files can be attached",
        "detail": "The file is not a PDF, PNG, JPEG or WebP (checked from its contents).",
        "allowed": ["application/pdf", "image/png", "image/jpeg", "image/webp"],
    }
    assert [r.json() for r in (html, gif, empty)] == [unsupported] * 3
    assert huge.status_code == 413
    assert huge.json() == {
        "type": PROBLEMS + "attachment-too-large",
        "status": 413,
        "title": "The file is too large",
        "detail": "Attachments may be at most 2048 bytes.",
        "max_attachment_bytes": 2048,
    }
    assert os.listdir(attachment_dir) == []


async def test_only_admins_upload_and_unknown_attachments_are_404(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    facilitator = await staff.signed_in(Role.FACILITATOR)
    admin = await staff.signed_in(Role.ADMIN)

    refused = await client.post(ATTACHMENTS, content=PNG, headers=facilitator.headers)
    missing = await client.get(
        f"{ATTACHMENTS}/00000000-0000-4000-8000-000000000000/content", headers=admin.headers
    )

    assert refused.status_code == 403
    assert missing.status_code == 404


async def test_module_versions_list_their_attachments_with_type_and_url(
    staff: StaffFactory, client: httpx.AsyncClient
) -> None:
    admin = await staff.signed_in(Role.ADMIN)
    image = (await client.post(ATTACHMENTS, content=PNG, headers=admin.headers)).json()

    created = await client.post(
        "/api/v1/modules",
        json={
            "slug": "sleep-hygiene",
            "title": "Sleep hygiene",
            "body_markdown": f"![A calm bedroom]({image['url']})",
            "attachments": [{"attachment_id": image["id"], "label": "Bedroom picture"}],
        },
        headers=admin.headers,
    )

    assert created.status_code == 201, created.text
    assert created.json()["attachments"] == [
        {
            "attachment_id": image["id"],
            "label": "Bedroom picture",
            "content_type": "image/png",
            "size_bytes": len(PNG),
            "url": image["url"],
        }
    ]
    assert f'<img src="{image["url"]}" alt="A calm bedroom">' in created.json()["body_html"]
