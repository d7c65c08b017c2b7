"""Rows rendered by PostgreSQL: what the builder refuses, and the page envelope."""

import json
from uuid import UUID

import pytest
from piccolo.columns import Numeric, Varchar
from piccolo.table import Table
from pydantic import BaseModel, Field

from api.core.json_rows import json_object, page_json
from api.core.schemas import Page


class _Thing(Table):
    name = Varchar()
    amount = Numeric()


class _NameOnly(BaseModel):
    name: str


def test_a_column_kind_without_a_known_json_form_is_refused_when_built() -> None:
    class Amount(BaseModel):
        amount: float

    with pytest.raises(TypeError, match="Numeric"):
        json_object(Amount, [_Thing.amount])


def test_model_fields_and_columns_must_match() -> None:
    with pytest.raises(ValueError, match="differ"):
        json_object(_NameOnly, [_Thing.name, _Thing.amount])


def test_aliased_fields_are_refused() -> None:
    class Aliased(BaseModel):
        name: str = Field(serialization_alias="label")

    with pytest.raises(ValueError, match="aliased"):
        json_object(Aliased, [_Thing.name])


def test_page_envelope_is_what_pydantic_writes() -> None:
    class Item(BaseModel):
        id: UUID

    items = [Item(id=UUID(int=n)) for n in range(3)]
    rendered = [Item.__pydantic_serializer__.to_json(item).decode() for item in items]

    for cursor in (None, "WyJhQGIuYyJd"):
        page = Page[Item](items=items, next_cursor=cursor)
        assert page_json(rendered, cursor) == Page[Item].__pydantic_serializer__.to_json(page)
    assert json.loads(page_json([], None)) == {"items": [], "next_cursor": None}
