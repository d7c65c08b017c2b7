"""A venue's calendar over local dates: one answer, one statement whatever its size."""

# ruff: noqa: S608 - the SQL here is built from this module's constants and placeholders
# only; every value is bound.

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from functools import cache, lru_cache
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

import msgspec

from api.core.errors import NotFound
from api.core.prepared import PreparedSQL
from scheduling.booking_queries import (
    CANCELLED,
    cursor_key,
    local_range,
    next_cursor,
    service_zone,
)
from scheduling.rules.opening import bank_holiday_in_england
from scheduling.schemas.bookings import (
    BookingStatus,
    CalendarBankHolidayRead,
    VenueCalendarRead,
)

CALENDAR_PAGE_SIZE = 1000
_decode = msgspec.json.Decoder().decode  # the database's JSON texts, faster than json.loads


def bank_holidays_between(from_date: date, to_date: date) -> list[CalendarBankHolidayRead]:
    """England's bank holidays on ``from_date``..``to_date`` inclusive."""
    return list(_bank_holidays_between(from_date, to_date))


@lru_cache(maxsize=512)
def _bank_holidays_between(from_date: date, to_date: date) -> tuple[CalendarBankHolidayRead, ...]:
    # Pure, and asked for the same months again and again: worked out once per range.
    found = []
    for offset in range((to_date - from_date).days + 1):
        day = from_date + timedelta(days=offset)
        name = bank_holiday_in_england(day)
        if name is not None:
            found.append(CalendarBankHolidayRead(date=day, name=name))
    return tuple(found)


# The calendar is one statement: the venue, and its rooms, hours, closures and bookings as
# JSON arrays built in order by the database. One statement is one snapshot, so no
# transaction is needed; on SQLite it runs on the event loop's thread (a point read), on
# PostgreSQL it is one round trip. Five reads in a transaction cost seven thread hops on
# SQLite and eight round trips on PostgreSQL, most of the request.
_VENUE_FIELDS = ("id", "name", "town", "is_archived", "opens_on_bank_holidays")
_ROOM_FIELDS = ("id", "name", "capacity", "is_archived")
_HOURS_FIELDS = ("weekday", "opens_at", "closes_at")
_CLOSURE_FIELDS = ("id", "start_date", "end_date", "reason")
_BOOKING_FIELDS = (
    ("id", "id"),
    ("room_id", "room"),
    ("starts_at", "starts_at"),
    ("ends_at", "ends_at"),
    ("purpose", "purpose"),
    ("status", "status"),
    ("subject_kind", "subject_kind"),
    ("subject_id", "subject_id"),
    ("version", "version"),
)


def _json_array(
    postgres: bool, fields: Sequence[tuple[str, str]], rows_sql: str, order: Sequence[str]
) -> str:
    """SQL for a JSON array of objects, one per row of ``rows_sql``, ordered by ``order``.

    ``rows_sql`` selects the columns named by the second item of each field pair (the
    object's keys are the first), ``ORDER BY`` its ``order`` columns.
    """
    pairs = ", ".join(f"'{key}', t.{column}" for key, column in fields)
    if postgres:
        in_order = ", ".join(f"t.{column}" for column in order)
        return (
            f"(SELECT COALESCE(json_agg(json_build_object({pairs}) ORDER BY {in_order}),"
            f" '[]'::json) FROM ({rows_sql}) AS t)"
        )
    # SQLite 3.40 has no ordered aggregate, but does not flatten an ORDER BY subquery into
    # an aggregate: json_group_array takes the rows in the subquery's order.
    return f"(SELECT json_group_array(json_object({pairs})) FROM ({rows_sql}) AS t)"


def _same(fields: Sequence[str]) -> list[tuple[str, str]]:
    return [(field, field) for field in fields]


def _calendar_sql(
    postgres: bool,
    status: BookingStatus | None,
    include_cancelled: bool,
    with_cursor: bool,
) -> str:
    """The calendar statement, with the engine's numbered placeholders.

    Parameters in order: venue, from, to, start, end, the page size plus one, then the
    status asked for (with ``status``) and the cursor's start and id (with ``with_cursor``).
    """
    count = 0

    def param() -> str:
        nonlocal count
        count += 1
        return f"${count}" if postgres else f"?{count}"

    venue, from_date, to_date, start, end, limit_plus_one = (param() for _ in range(6))
    booking_filters = [
        f"b.room IN (SELECT r.id FROM room AS r WHERE r.venue = {venue})",
        f"b.starts_at >= {start}",
        f"b.starts_at < {end}",
    ]
    if status is not None:
        booking_filters.append(f"b.status = {param()}")
    elif not include_cancelled:
        booking_filters.append(f"b.status <> '{CANCELLED}'")
    if with_cursor:
        after_start, after_id = param(), param()
        booking_filters.append(
            f"(b.starts_at > {after_start} OR (b.starts_at = {after_start} AND b.id > {after_id}))"
        )
    venue_pairs = ", ".join(f"'{field}', v.{field}" for field in _VENUE_FIELDS)
    venue_object = "json_build_object" if postgres else "json_object"
    booking_columns = ", ".join(f"b.{column}" for _, column in _BOOKING_FIELDS)
    rooms = _json_array(
        postgres,
        _same(_ROOM_FIELDS),
        f"SELECT {', '.join(_ROOM_FIELDS)} FROM room WHERE venue = {venue} ORDER BY name, id",
        ("name", "id"),
    )
    hours = _json_array(
        postgres,
        _same(_HOURS_FIELDS),
        f"SELECT {', '.join(_HOURS_FIELDS)} FROM opening_hours WHERE venue = {venue}"
        " ORDER BY weekday, opens_at",
        ("weekday", "opens_at"),
    )
    closures = _json_array(
        postgres,
        _same(_CLOSURE_FIELDS),
        f"SELECT {', '.join(_CLOSURE_FIELDS)} FROM closure WHERE venue = {venue}"
        f" AND start_date <= {to_date} AND end_date >= {from_date} ORDER BY start_date, id",
        ("start_date", "id"),
    )
    bookings = _json_array(
        postgres,
        _BOOKING_FIELDS,
        f"SELECT {booking_columns} FROM room_booking AS b WHERE {' AND '.join(booking_filters)}"
        f" ORDER BY b.starts_at, b.id LIMIT {limit_plus_one}",
        ("starts_at", "id"),
    )
    return (
        f"SELECT {venue_object}({venue_pairs}) AS venue,"
        f" {rooms} AS rooms, {hours} AS opening_hours, {closures} AS closures,"
        f" {bookings} AS bookings FROM venue AS v WHERE v.id = {venue}"
    )


async def venue_calendar(
    venue_id: UUID,
    *,
    from_date: date,
    to_date: date,
    status: BookingStatus | None = None,
    include_cancelled: bool = False,
    cursor: str | None = None,
    limit: int = CALENDAR_PAGE_SIZE,
) -> VenueCalendarRead:
    """The venue, its rooms, hours, closures and bank holidays, and its rooms' bookings.

    Bookings on those local dates by start, up to ``limit``; ``next_cursor`` pages on.
    One statement (compiled once per shape of filters) reads it all, and the answer is
    validated in one call.
    """
    zone = service_zone()
    start, end = local_range(from_date, to_date, zone)
    after = cursor_key(cursor)
    values: list[Any] = [venue_id, from_date, to_date, start, end, limit + 1]
    if status is not None:
        values.append(status)
    if after is not None:
        values.extend(after)
    rows = await _statement(status, include_cancelled, after is not None).fetch(*values)
    if not rows:
        raise NotFound("No venue with this id.")
    row = rows[0]
    bookings = [_with_local_times(booking, zone) for booking in _decode(row["bookings"])]
    return VenueCalendarRead.model_validate(
        {
            "venue": _decode(row["venue"]),
            "from_date": from_date,
            "to_date": to_date,
            "time_zone": zone.key,
            "rooms": _decode(row["rooms"]),
            "opening_hours": _decode(row["opening_hours"]),
            "closures": _decode(row["closures"]),
            "bank_holidays": bank_holidays_between(from_date, to_date),
            "bookings": bookings[:limit],
            "next_cursor": next_cursor(bookings, limit),
        }
    )


@cache
def _statement(
    status: BookingStatus | None, include_cancelled: bool, with_cursor: bool
) -> PreparedSQL:
    """The statement for one shape of filters (at most 16), compiled once per engine."""
    return PreparedSQL(
        lambda engine_type: _calendar_sql(
            engine_type == "postgres", status, include_cancelled, with_cursor
        ),
        point_read=True,
        raw_rows=True,
    )


def _with_local_times(booking: dict[str, Any], zone: ZoneInfo) -> dict[str, Any]:
    """The booking with its instants parsed, and as the service's wall clock shows them."""
    starts_at, ends_at = _instant(booking["starts_at"]), _instant(booking["ends_at"])
    booking.update(
        starts_at=starts_at,
        ends_at=ends_at,
        local_starts_at=starts_at.astimezone(zone),
        local_ends_at=ends_at.astimezone(zone),
    )
    return booking


def _instant(text: str) -> datetime:
    """An instant as the database wrote it in JSON (both engines write a UTC offset)."""
    parsed = datetime.fromisoformat(text)
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)
