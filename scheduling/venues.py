"""Venues: create, read, list with filters, edit with If-Match, archive and unarchive.

An archived venue keeps its row, rooms, hours, closures and bookings (its history); it is
hidden from default lists and takes no new rooms or bookings.
"""

from datetime import datetime
from functools import cache
from typing import Any
from uuid import UUID

from piccolo.columns.combination import WhereRaw
from piccolo.table import Table

from api.core.actor import Actor, Role
from api.core.database import is_postgres, write_transaction
from api.core.errors import Forbidden, InvalidInput, NotFound
from api.core.json_rows import json_object, page_json
from api.core.prepared import Param, PreparedVariants, fetch_page_rows
from api.core.schemas import DEFAULT_PAGE_SIZE, Page, decode_cursor, encode_cursor
from api.identity import audit
from api.identity.versioning import write_versioned
from scheduling.errors import Archived
from scheduling.rules.postcode import InvalidPostcode, normalise_district, postcode_district
from scheduling.schemas.venues import VenueCreate, VenueKind, VenueRead, VenueUpdate, one_line
from scheduling.tables import Room, Venue

ENTITY = "venue"
READERS = (Role.ADMIN, Role.FACILITATOR, Role.SUPERVISOR)
_READ_COLUMNS = (
    Venue.id,
    Venue.name,
    Venue.kind,
    Venue.address_line_1,
    Venue.address_line_2,
    Venue.town,
    Venue.postcode,
    Venue.postcode_district,
    Venue.phone,
    Venue.email,
    Venue.access_instructions,
    Venue.step_free_access,
    Venue.accessible_toilet,
    Venue.hearing_loop,
    Venue.parking,
    Venue.public_transport_notes,
    Venue.opens_on_bank_holidays,
    Venue.notes,
    Venue.is_archived,
    Venue.version,
    Venue.created_at,
    Venue.updated_at,
)
_FACILITIES = ("step_free_access", "accessible_toilet", "hearing_loop", "parking")


def require_admin(by: Actor) -> None:
    """Admins write venues and rooms; the system (CLI, demo loader) may too."""
    if by.user_id is not None and not by.has_any(Role.ADMIN):
        raise Forbidden("Only admins manage venues and rooms.")


def require_reader(by: Actor) -> None:
    """Every staff role reads venues and rooms."""
    if by.user_id is not None and not by.has_any(*READERS):
        raise Forbidden("Your role does not allow this.")


def plain_query(field: str, value: str) -> str:
    """A text filter as typed, trimmed; control characters are a 400 naming the filter."""
    try:
        return one_line(value.strip())
    except ValueError as error:
        raise InvalidInput([{"field": field, "reason": str(error)}]) from error


def after_name_and_id(table: type[Table], cursor: str) -> Any:
    """The keyset condition for lists ordered by (name, id): rows after the cursor's."""
    after_name, last_id = name_and_id_from_cursor(cursor)
    name: Any = getattr(table, "name")  # noqa: B009 - any table with name and id
    row_id: Any = getattr(table, "id")  # noqa: B009
    return (name > after_name) | ((name == after_name) & (row_id > last_id))


def name_and_id_from_cursor(cursor: str) -> tuple[str, UUID]:
    """The name and id of the last row of the page before, from a (name, id) cursor."""
    after_name, after_id = decode_cursor(cursor, str, str)
    try:
        last_id = UUID(after_id)
        # A forged name: control characters, or lone surrogates (UnicodeEncodeError).
        one_line(after_name).encode()
    except ValueError as error:
        raise InvalidInput([{"field": "cursor", "reason": "is not a cursor this API gave"}]) from (
            error
        )
    return after_name, last_id


def name_prefix(column_sql: str, prefix: str) -> WhereRaw:
    """Case-insensitive ``name LIKE 'prefix%'``, with the prefix's own wildcards escaped."""
    return name_like(column_sql, prefix_pattern(prefix))


def name_like(column_sql: str, pattern: Any) -> WhereRaw:
    """Case-insensitive ``name LIKE pattern``, a pattern from ``prefix_pattern``."""
    return WhereRaw(f"lower({column_sql}) LIKE lower({{}}) ESCAPE '\\'", pattern)


def prefix_pattern(prefix: str) -> str:
    """A LIKE pattern for text starting with ``prefix``, its own wildcards escaped."""
    return prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


async def _venue_row(venue_id: UUID) -> dict[str, Any]:
    row: dict[str, Any] | None = (
        await Venue.select(*_READ_COLUMNS).where(Venue.id == venue_id).first()
    )
    if row is None:
        raise NotFound("No venue with this id.")
    return row


async def create_venue(new: VenueCreate, *, by: Actor, now: datetime) -> VenueRead:
    """Add a venue; its postcode district is derived from the (normalised) postcode."""
    require_admin(by)
    async with write_transaction():
        venue = Venue(
            **new.model_dump(mode="json"),
            postcode_district=postcode_district(new.postcode),
            created_at=now,
            updated_at=now,
        )
        await venue.save()
        await audit.record(by, "venue.create", ENTITY, venue.id, now=now)
    return VenueRead.model_validate(await _venue_row(venue.id))


async def get_venue(venue_id: UUID, *, by: Actor) -> VenueRead:
    """One venue, archived or not."""
    require_reader(by)
    return VenueRead.model_validate(await _venue_row(venue_id))


def _district(raw: str) -> str:
    try:
        return normalise_district(raw)
    except InvalidPostcode as error:
        raise InvalidInput(
            [{"field": "postcode_district", "reason": "is not a UK postcode district"}]
        ) from error


async def list_venues(
    *,
    by: Actor,
    town: str | None = None,
    postcode_district: str | None = None,
    kind: VenueKind | None = None,
    q: str | None = None,
    include_archived: bool = False,
    facilities: dict[str, bool] | None = None,
    cursor: str | None = None,
    limit: int = DEFAULT_PAGE_SIZE,
) -> Page[VenueRead]:
    """Venues by name then id, a page at a time (keyset), filtered.

    ``facilities`` maps step_free_access, accessible_toilet, hearing_loop or parking to the
    value asked for; ``q`` is a case-insensitive name prefix.
    """
    require_reader(by)
    conditions = _venue_filters(
        town=town,
        postcode_district=postcode_district,
        kind=kind,
        q=q,
        include_archived=include_archived,
        facilities=facilities or {},
    )
    if cursor is not None:
        conditions.append(after_name_and_id(Venue, cursor))
    query = Venue.select(*_READ_COLUMNS).order_by(Venue.name, Venue.id).limit(limit + 1)
    if conditions:
        query = query.where(*conditions)
    rows = await fetch_page_rows(query)
    page = Page[VenueRead].model_validate({"items": rows[:limit]})
    if len(rows) > limit:
        last = page.items[-1]
        page.next_cursor = encode_cursor(last.name, str(last.id))
    return page


# One compiled query per shape of filters (which filters, cursor or not, page size).
_LIST_JSON_VARIANTS = PreparedVariants(keep=128)


async def venues_page_json(
    *,
    by: Actor,
    town: str | None = None,
    postcode_district: str | None = None,
    kind: VenueKind | None = None,
    q: str | None = None,
    include_archived: bool = False,
    facilities: dict[str, bool] | None = None,
    cursor: str | None = None,
    limit: int = DEFAULT_PAGE_SIZE,
) -> bytes:
    """The same page as ``list_venues``, as the JSON body the API answers.

    The database writes each row's JSON (``api.core.json_rows``): per-row conversion and
    validation in Python cost more than the query, and so does building the query, so
    each shape of filters is compiled once. The bytes are those pydantic writes.
    """
    require_reader(by)
    facilities = facilities or {}
    # Checked in the order list_venues checks them, so a bad request gets the same 400.
    values: list[Any] = [
        plain_query("town", town) if town is not None else None,
        _district(postcode_district) if postcode_district is not None else None,
        kind.value if kind is not None else None,
        prefix_pattern(plain_query("q", q)) if q else None,
    ]
    for facility in facilities:
        if facility not in _FACILITIES:
            raise InvalidInput([{"field": facility, "reason": "is not a filter"}])
    values.extend(facilities.get(facility) for facility in _FACILITIES)
    after = name_and_id_from_cursor(cursor) if cursor is not None else None
    values.extend(after or (None, None))
    shape = (
        include_archived,
        *(value is not None for value in values[: 4 + len(_FACILITIES)]),
        after is not None,
        limit,
    )
    postgres = _on_postgres()
    prepared = _LIST_JSON_VARIANTS.get(
        shape,
        lambda *params: _list_json_query(
            params, shape=shape, include_archived=include_archived, limit=limit, postgres=postgres
        ),
        arity=len(values),
        point_read=True,
        raw_rows=True,
        # PostgreSQL: one row back, not limit + 1: the page's texts in order, and the name
        # and id of its last row when a row follows it (the next cursor). SQLite 3.40 has
        # no ordered aggregate: there the rows come back as they are.
        wrap=_page_aggregate(limit) if postgres else None,
    )
    rows = await prepared.fetch(*values)
    if postgres:
        items: list[str] = rows[0]["items"] or []
        last = (rows[0]["last_name"], rows[0]["last_id"]) if rows[0]["found"] > limit else None
    else:
        items = [row["item"] for row in rows]
        last = (rows[limit - 1]["name"], rows[limit - 1]["id"]) if len(rows) > limit else None
    next_cursor = encode_cursor(last[0], str(last[1])) if last is not None else None
    return page_json(items[:limit], next_cursor)


def _page_aggregate(limit: int) -> str:
    in_order = 'ORDER BY page."name", page."id"'
    last = int(limit)  # only an int goes into the SQL
    return (
        f'SELECT array_agg(page."item" {in_order}) AS "items",'  # noqa: S608
        f' (array_agg(page."name" {in_order}))[{last}] AS "last_name",'
        f' (array_agg(page."id" {in_order}))[{last}] AS "last_id",'
        ' count(*) AS "found" FROM ({query}) AS page'
    )


@cache
def _on_postgres() -> bool:
    # The engine is fixed for the process (Piccolo binds tables to it at import).
    return is_postgres()


def _list_json_query(
    params: tuple[Param, ...],
    *,
    shape: tuple[Any, ...],
    include_archived: bool,
    limit: int,
    postgres: bool,
) -> Any:
    """The page's select with a Param for each value; ``shape`` says which filters apply."""
    town, district, kind, prefix, *rest = params
    facility_params, (after_name, after_id) = rest[: len(_FACILITIES)], rest[len(_FACILITIES) :]
    has_town, has_district, has_kind, has_prefix, *has = shape[1:-2]
    conditions: list[Any] = []
    if not include_archived:
        conditions.append(Venue.is_archived.eq(False))
    if has_town:
        conditions.append(Venue.town == town)
    if has_district:
        conditions.append(Venue.postcode_district == district)
    if has_kind:
        conditions.append(Venue.kind == kind)
    if has_prefix:
        conditions.append(name_like('"venue"."name"', prefix))
    for facility, wanted, asked in zip(_FACILITIES, facility_params, has, strict=True):
        if asked:
            column: Any = getattr(Venue, facility)
            conditions.append(column == wanted)
    if shape[-2]:
        conditions.append(
            (Venue.name > after_name) | ((Venue.name == after_name) & (Venue.id > after_id))
        )
    query = (
        Venue.select(
            json_object(VenueRead, _READ_COLUMNS, postgres=postgres).as_alias("item"),
            Venue.name,
            Venue.id,
        )
        .order_by(Venue.name, Venue.id)
        .limit(limit + 1)
    )
    return query.where(*conditions) if conditions else query


def _venue_filters(
    *,
    town: str | None,
    postcode_district: str | None,
    kind: VenueKind | None,
    q: str | None,
    include_archived: bool,
    facilities: dict[str, bool],
) -> list[Any]:
    conditions: list[Any] = []
    if not include_archived:
        conditions.append(Venue.is_archived.eq(False))
    if town is not None:
        conditions.append(Venue.town == plain_query("town", town))
    if postcode_district is not None:
        conditions.append(Venue.postcode_district == _district(postcode_district))
    if kind is not None:
        conditions.append(Venue.kind == kind.value)
    if q:
        conditions.append(name_prefix('"venue"."name"', plain_query("q", q)))
    for facility, wanted in facilities.items():
        if facility not in _FACILITIES:
            raise InvalidInput([{"field": facility, "reason": "is not a filter"}])
        column: Any = getattr(Venue, facility)
        conditions.append(column == wanted)
    return conditions


async def update_venue(
    venue_id: UUID,
    changes: VenueUpdate,
    *,
    expected_version: int | None,
    by: Actor,
    now: datetime,
) -> VenueRead:
    """Edit a venue if ``expected_version`` is still current (else 412; 428 without one)."""
    require_admin(by)
    values: dict[Any, Any] = {
        getattr(Venue, name): value
        for name, value in changes.model_dump(mode="json", exclude_none=True).items()
    }
    if changes.postcode is not None:
        values[Venue.postcode_district] = postcode_district(changes.postcode)
    async with write_transaction():
        if await write_versioned(
            Venue, venue_id, values, expected_version=expected_version, now=now
        ):
            await audit.record(by, "venue.update", ENTITY, venue_id, now=now)
    return VenueRead.model_validate(await _venue_row(venue_id))


async def set_archived(
    venue_id: UUID, *, archived: bool, expected_version: int | None, by: Actor, now: datetime
) -> VenueRead:
    """Archive (hidden from lists, no new rooms or bookings; history kept) or unarchive."""
    require_admin(by)
    async with write_transaction():
        await hold_bookings_of(venue_id)
        await write_versioned(
            Venue,
            venue_id,
            {Venue.is_archived: archived},
            expected_version=expected_version,
            now=now,
        )
        action = "venue.archive" if archived else "venue.unarchive"
        await audit.record(by, action, ENTITY, venue_id, now=now)
    return VenueRead.model_validate(await _venue_row(venue_id))


async def require_venue(venue_id: UUID, *, active: bool = False) -> bool:
    """Inside a transaction: 404 if there is no such venue; whether it is archived.

    With ``active``, an archived venue is refused (409) instead.
    """
    row = await Venue.select(Venue.is_archived).where(Venue.id == venue_id).first()
    if row is None:
        raise NotFound("No venue with this id.")
    archived = bool(row["is_archived"])
    if active and archived:
        raise Archived("The venue is archived: unarchive it first.", field="venue_id")
    return archived


async def hold_bookings_of(venue_id: UUID) -> None:
    """Inside a transaction: wait for bookings in flight in the venue's rooms, hold new ones.

    A booking locks its room row (NO KEY UPDATE) before it reads the venue's hours and
    closures. Taking the same locks here makes a change to those facts queue behind the
    bookings already checking them, and new bookings queue behind the change, so neither
    misses the other. SQLite's BEGIN IMMEDIATE already serialises every writer.
    """
    if is_postgres():
        await Room.select(Room.id).where(Room.venue == venue_id).lock_rows("NO KEY UPDATE")
