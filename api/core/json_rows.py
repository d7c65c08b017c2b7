"""Rows that the database renders as JSON, byte for byte as a response model would.

A page of 50 rows costs more in Python than in the database: the driver builds a UUID,
two datetimes and a list per row, pydantic validates every field, then serialises it
again. For trusted rows read straight from a table, the database (PostgreSQL or SQLite)
can write each row's JSON text itself, in exactly the form ``api.web.app`` gives a
pydantic model (compact separators, ``Z`` for UTC, six-digit fractions only when
non-zero, the same string escapes), and the response embeds the texts as they are.
tests/api/test_staff_page_json.py compares both forms on awkward values.

Only the column kinds below are supported; any other raises when the query is built,
so a new field never silently takes a different format.
"""

import json
from collections.abc import Sequence
from typing import Any

from piccolo.columns import (
    UUID,
    Array,
    BigInt,
    Boolean,
    Column,
    Integer,
    SmallInt,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.querystring import QueryString
from pydantic import BaseModel

# pydantic writes an aware UTC instant as 2026-01-02T03:04:05Z, or with .123456 when the
# microseconds are not zero. AT TIME ZONE 'UTC' keeps the session's TimeZone out of it.
_INSTANT = (
    "'\"' || to_char(({0} AT TIME ZONE 'UTC'), 'YYYY-MM-DD\"T\"HH24:MI:SS')"
    " || CASE to_char(({0} AT TIME ZONE 'UTC'), 'US') WHEN '000000' THEN ''"
    " ELSE to_char(({0} AT TIME ZONE 'UTC'), '.US') END || 'Z\"'"
)


def _value_sql(column: Column) -> str:
    """PostgreSQL: the JSON text of one column's value, as SQL with ``{0}`` for the column."""
    if isinstance(column, UUID):
        return "'\"' || {0}::text || '\"'"  # canonical lower-case form, as str(uuid)
    if isinstance(column, Varchar | Text):
        return "to_json({0})::text"  # PostgreSQL escapes strings as pydantic does
    if isinstance(column, Boolean):
        return "CASE WHEN {0} THEN 'true' ELSE 'false' END"
    if isinstance(column, Integer | BigInt | SmallInt):
        return "{0}::text"
    if isinstance(column, Timestamptz):
        return _INSTANT
    if isinstance(column, Array) and isinstance(column.base_column, Varchar | Text):
        return "array_to_json({0})::text"
    raise TypeError(f"no JSON rendering for a {type(column).__name__} column")


# SQLite keeps an instant as Python's str() of it in UTC ("2026-01-02 03:04:05.000006+00:00",
# no fraction when zero); pydantic reads that and writes "T" for the space and "Z" for
# +00:00 (a value stored without an offset it writes without one).
_SQLITE_INSTANT = (
    "CASE WHEN substr({0}, -6) = '+00:00'"
    " THEN substr({0}, 1, 10) || 'T' || substr({0}, 12, length({0}) - 17) || 'Z'"
    " ELSE substr({0}, 1, 10) || 'T' || substr({0}, 12) END"
)


def _sqlite_value_sql(column: Column) -> str:
    """SQLite: one column's value for json_object, as SQL with ``{0}`` for the column."""
    if isinstance(column, UUID | Varchar | Text | Integer | BigInt | SmallInt):
        return "{0}"  # json_object escapes text as pydantic does; UUIDs are stored as str()
    if isinstance(column, Boolean):
        return "json(CASE WHEN {0} THEN 'true' ELSE 'false' END)"
    if isinstance(column, Timestamptz):
        return _SQLITE_INSTANT
    if isinstance(column, Array) and isinstance(column.base_column, Varchar | Text):
        return "json({0})"  # stored as JSON text; json() writes it compactly
    raise TypeError(f"no JSON rendering for a {type(column).__name__} column")


def json_object(
    model: type[BaseModel], columns: Sequence[Column], *, postgres: bool = True
) -> QueryString:
    """A select expression giving each row as the JSON text of ``model``.

    ``columns`` holds one column per field of the model, named as the field, in any
    order; the object's keys follow the model's field order, as pydantic writes them.
    ``postgres``: the engine the query runs on (SQLite otherwise).
    """
    by_name = {column._meta.name: column for column in columns}
    fields = list(model.model_fields)
    if set(fields) != set(by_name):
        raise ValueError(f"{model.__name__} fields and columns differ: {fields} / {list(by_name)}")
    parts: list[str] = []
    args: list[Any] = []
    for index, name in enumerate(fields):
        if model.model_fields[name].serialization_alias or model.model_fields[name].alias:
            raise ValueError(f"{model.__name__}.{name}: aliased fields are not supported")
        column = by_name[name]
        if postgres:
            key = (("" if index == 0 else ",") + json.dumps(name) + ":").replace("'", "''")
            value = _value_sql(column).replace("{0}", "{}")
            # A NULL becomes null, as pydantic writes None (and keeps the concatenation whole).
            parts.append(f"'{key}' || COALESCE({value}, 'null')")
        else:
            value = _sqlite_value_sql(column).replace("{0}", "{}")
            parts.append("'" + name.replace("'", "''") + "', " + value)  # NULL is null there
        args.extend([column] * value.count("{}"))
    if not postgres:
        return QueryString("json_object(" + ", ".join(parts) + ")", *args)
    # Braces as chr(123) and chr(125): QueryString would take them for placeholders.
    return QueryString("(chr(123) || " + " || ".join(parts) + " || chr(125))", *args)


def page_json(items: Sequence[str], next_cursor: str | None) -> bytes:
    """A ``Page`` body around items already rendered, as ``api.core.schemas.Page`` writes it."""
    cursor = "null" if next_cursor is None else json.dumps(next_cursor, ensure_ascii=False)
    return ('{"items":[' + ",".join(items) + '],"next_cursor":' + cursor + "}").encode()
