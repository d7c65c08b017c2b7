"""Base models for request and response bodies, and the page every list returns."""

import base64
import binascii
import json
from typing import Annotated, Any, Generic, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator

from api.core.errors import InvalidInput

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 200
MAX_CURSOR_LENGTH = 512  # our cursors hold a sort key or two; anything longer is forged
NUL = "\x00"  # PostgreSQL text cannot hold it (a 500 there); SQLite would keep it silently


def has_nul(value: Any) -> bool:
    """Whether a string, or any string inside a list or dict, contains U+0000.

    Walks with its own stack, not recursion: a body nested thousands deep is refused by
    validation with a 400, not by Python's recursion limit with a 500.
    """
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            if NUL in item:
                return True
        elif isinstance(item, list | tuple):
            pending.extend(item)
        elif isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
    return False


class RequestModel(BaseModel):
    """A request body: unknown fields and NUL characters are refused, strings trimmed."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @field_validator("*", mode="before")
    @classmethod
    def _refuse_nul(cls, value: Any) -> Any:
        if has_nul(value):
            raise ValueError("must not contain NUL characters")
        return value


class ResponseModel(BaseModel):
    """A response body."""

    model_config = ConfigDict(from_attributes=True)


ItemT = TypeVar("ItemT")


def _json_text_to_list(value: Any) -> Any:
    # Rows read raw from SQLite keep arrays as JSON text (api.core.prepared, raw_rows).
    return json.loads(value) if isinstance(value, str) else value


JsonList = Annotated[list[ItemT], BeforeValidator(_json_text_to_list)]
"""A list that may arrive as JSON text (a raw SQLite row)."""


class Page(ResponseModel, Generic[ItemT]):
    """One page of a list, with the cursor for the next page (null on the last)."""

    items: list[ItemT]
    next_cursor: str | None = Field(
        default=None, description="Pass as ?cursor= to get the next page; null on the last page."
    )


def encode_cursor(*key: Any) -> str:
    """An opaque cursor from the sort key of the last row shown."""
    return base64.urlsafe_b64encode(json.dumps(list(key), default=str).encode()).decode()


def _encodable(values: list[Any]) -> bool:
    # JSON can carry lone surrogates ("\\ud800") that no database driver will encode.
    try:
        for value in values:
            if isinstance(value, str):
                value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def decode_cursor(cursor: str, *types: type) -> list[Any]:
    """Read a cursor back, one value per type; a forged or damaged one is a 400."""
    if len(cursor) > MAX_CURSOR_LENGTH:
        raise InvalidInput([{"field": "cursor", "reason": "is not a cursor this API gave"}])
    try:
        key = json.loads(base64.urlsafe_b64decode(cursor.encode("ascii")))
    except (ValueError, UnicodeError, binascii.Error, RecursionError) as error:
        # RecursionError: a forged cursor of deeply nested brackets (~1.5 KB is enough).
        raise InvalidInput([{"field": "cursor", "reason": "is not a cursor this API gave"}]) from (
            error
        )
    if (
        not isinstance(key, list)
        or len(key) != len(types)
        or not all(type(value) is kind for value, kind in zip(key, types, strict=True))
        or has_nul(key)
        or not _encodable(key)
    ):
        raise InvalidInput([{"field": "cursor", "reason": "is not a cursor this API gave"}])
    return key
