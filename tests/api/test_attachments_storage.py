"""The local content-addressed store, and the same bytes uploaded at once."""

import asyncio
import hashlib
import os
from pathlib import Path

import httpx
import pytest

from api.core.actor import Role
from api.core.settings import get_settings
from materials.storage import LocalDiskStore
from materials.tables import Attachment
from tests.factories import StaffFactory

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x01" * 40


async def test_store_keeps_bytes_once_under_their_hash(tmp_path: Path) -> None:
    store = LocalDiskStore(tmp_path / "files")
    digest = hashlib.sha256(PNG).hexdigest()

    first = await store.put(PNG)
    again = await store.put(PNG)

    assert first == again == digest
    assert await store.get(digest) == PNG
    assert await store.get("0" * 64) is None
    assert os.listdir(tmp_path / "files" / digest[:2] / digest[2:4]) == [digest]
    with pytest.raises(ValueError, match="SHA-256"):
        await store.get("../../etc/passwd")


async def test_the_same_file_uploaded_five_times_at_once_is_one_attachment(
    staff: StaffFactory,
    client: httpx.AsyncClient,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(get_settings().materials, "attachment_dir", tmp_path)
    admin = await staff.signed_in(Role.ADMIN)

    responses = await asyncio.gather(
        *(client.post("/api/v1/attachments", content=PNG, headers=admin.headers) for _ in range(5))
    )

    assert [r.status_code for r in responses] == [201] * 5
    assert len({r.json()["id"] for r in responses}) == 1
    assert await Attachment.count() == 1
