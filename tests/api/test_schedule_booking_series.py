"""book_series_in_transaction: one room for many slots, every booking rule, all or nothing."""

from datetime import UTC, date, datetime, timedelta

import pytest

from api.core.actor import Actor, Role
from api.core.database import write_transaction
from api.core.errors import Forbidden, InvalidInput
from api.identity.tables import AuditEntry
from scheduling.bookings import SeriesSlot, book_series_in_transaction
from scheduling.errors import BankHoliday, OutsideOpeningHours, RoomUnavailable, VenueClosed
from scheduling.tables import Room, RoomBooking
from tests.factories import StaffFactory
from tests.query_count import count_queries
from tests.scheduling_factories import make_closure, make_room, make_venue

MONDAY_10 = datetime(2027, 1, 11, 10, 0, tzinfo=UTC)
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
SYSTEM = Actor.system()


def weekly(count: int, start: datetime = MONDAY_10) -> list[SeriesSlot]:
    """``count`` weekly 90-minute slots."""
    return [
        SeriesSlot(
            starts_at=start + timedelta(weeks=n),
            ends_at=start + timedelta(weeks=n, minutes=90),
            purpose=f"Session {n + 1}",
            subject_id=f"s-{n + 1}",
        )
        for n in range(count)
    ]


async def _book(room: Room, slots: list[SeriesSlot], by: Actor = SYSTEM) -> list[RoomBooking]:
    async with write_transaction():
        return await book_series_in_transaction(
            room.id, slots, subject_kind="group_session", by=by, now=NOW
        )


async def test_book_series_books_every_slot_confirmed_and_audits_each(database: None) -> None:
    room = await make_room()

    made = await _book(room, weekly(3))

    stored = await RoomBooking.select(
        RoomBooking.id, RoomBooking.starts_at, RoomBooking.status, RoomBooking.subject_id
    ).order_by(RoomBooking.starts_at)
    assert stored == [
        {
            "id": row.id,
            "starts_at": MONDAY_10 + timedelta(weeks=n),
            "status": "confirmed",
            "subject_id": f"s-{n + 1}",
        }
        for n, row in enumerate(made)
    ]
    assert await AuditEntry.count().where(AuditEntry.action == "room_booking.create") == 3


@pytest.mark.parametrize(
    ("setup", "refusal"),
    [
        ("clash", RoomUnavailable),
        ("closure", VenueClosed),
        ("bank_holiday", BankHoliday),
        ("hours", OutsideOpeningHours),
    ],
)
async def test_book_series_refuses_the_whole_series_for_any_broken_rule(
    database: None, setup: str, refusal: type[Exception]
) -> None:
    venue = await make_venue()
    room = await make_room(venue)
    start = MONDAY_10
    if setup == "clash":
        await _book(room, weekly(1, MONDAY_10 + timedelta(weeks=2, minutes=30)))
    elif setup == "closure":
        await make_closure(venue, date(2027, 1, 25), date(2027, 1, 25))
    elif setup == "bank_holiday":
        start = datetime(2027, 4, 19, 9, 0, tzinfo=UTC)  # the third is 3 May, May Day
    else:
        start = MONDAY_10 + timedelta(hours=10)  # 20:00-21:30, the venue shuts at 21:00
    before = await RoomBooking.count()

    with pytest.raises(refusal):
        await _book(room, weekly(4, start))

    assert await RoomBooking.count() == before


async def test_book_series_with_two_overlapping_slots_is_invalid(database: None) -> None:
    room = await make_room()
    slots = weekly(1) + weekly(1, MONDAY_10 + timedelta(minutes=45))

    with pytest.raises(InvalidInput):
        await _book(room, slots)


async def test_book_series_by_a_facilitator_is_forbidden(staff: StaffFactory) -> None:
    room = await make_room()
    user = await staff.create(Role.FACILITATOR)

    with pytest.raises(Forbidden):
        await _book(room, weekly(2), Actor(user_id=user.id, roles=frozenset({Role.FACILITATOR})))


@pytest.mark.parametrize("slots", [1, 10])
async def test_book_series_checks_with_the_same_queries_whatever_the_number_of_slots(
    database: None, monkeypatch: pytest.MonkeyPatch, slots: int
) -> None:
    room = await make_room()

    with count_queries(monkeypatch) as queries:
        await _book(room, weekly(slots))

    # Room, hours, closures, clashes, one insert; then one audit entry per booking.
    assert queries.count == 5 + slots
