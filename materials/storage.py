"""Where attachment bytes live: addressed by their SHA-256, behind a small interface.

``LocalDiskStore`` keeps each file once under ``<dir>/<aa>/<bb>/<sha256>``, written to a
temporary name and renamed, so a reader never sees half a file and two uploads of the
same bytes share one copy. An object store can replace it by implementing
``AttachmentStore``.
"""

import asyncio
import hashlib
import os
import re
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import Protocol

from api.core.settings import get_settings

_SHA256 = re.compile(r"^[0-9a-f]{64}$")


class AttachmentStore(Protocol):
    """Bytes in, content hash out; hash in, bytes (or None) out."""

    async def put(self, data: bytes) -> str:
        """Keep the bytes (once); answer their SHA-256 in hex."""
        ...

    async def get(self, sha256: str) -> bytes | None:
        """The bytes with this hash, or None when absent."""
        ...


def content_hash(data: bytes) -> str:
    """The SHA-256 of the bytes, in lower-case hex."""
    return hashlib.sha256(data).hexdigest()


class LocalDiskStore:
    """Files under one directory, by content hash."""

    def __init__(self, root: Path) -> None:
        """Files go under ``root`` (made on first write)."""
        self.root = root

    def _path(self, sha256: str) -> Path:
        if not _SHA256.match(sha256):
            raise ValueError("not a SHA-256 hex digest")
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def _write(self, sha256: str, data: bytes) -> None:
        path = self._path(sha256)
        if path.exists():
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    def _read(self, sha256: str) -> bytes | None:
        try:
            return self._path(sha256).read_bytes()
        except FileNotFoundError:
            return None

    async def put(self, data: bytes) -> str:
        """Write once under the hash (a no-op when those bytes are already kept)."""
        sha256 = content_hash(data)
        await asyncio.to_thread(self._write, sha256, data)
        return sha256

    async def get(self, sha256: str) -> bytes | None:
        """Read the file, or None."""
        return await asyncio.to_thread(self._read, sha256)


def attachment_dir() -> Path:
    """The configured directory, or ``<var_dir>/attachments``."""
    settings = get_settings()
    return settings.materials.attachment_dir or settings.service.var_dir / "attachments"


@lru_cache(maxsize=4)
def _store_for(root: Path) -> LocalDiskStore:
    return LocalDiskStore(root)


def default_store() -> AttachmentStore:
    """The store the settings name."""
    return _store_for(attachment_dir())
