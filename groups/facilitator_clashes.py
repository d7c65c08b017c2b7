"""Is a facilitator already running another group's session at any of these times?

One query whatever the number of slots: the scheduled sessions of every group the staff
co-facilitate that start inside the window the slots span (an index range on
``group_session.starts_at``, bounded below by the longest session), then a pure check of
which of them overlap a slot. Slots are half-open, like bookings: a session ending at
12:00 and the next starting at 12:00 do not clash.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from api.core.database import is_postgres
from api.identity.tables import StaffUser
from groups.tables import GroupSession
from scheduling.rules.booking import MAX_SLOT_LENGTH, overlaps

CANCELLED = "cancelled"


@dataclass(frozen=True, slots=True)
class FacilitatorClash:
    """A co-facilitator's session elsewhere that overlaps a slot asked for.

    ``slot_starts_at``/``slot_ends_at`` name the slot it overlaps (one clash per staff
    member, session and slot).
    """

    staff_id: UUID
    staff_name: str
    group_id: UUID
    group_name: str
    session_id: UUID
    starts_at: datetime
    ends_at: datetime
    slot_starts_at: datetime
    slot_ends_at: datetime


@dataclass(frozen=True, slots=True)
class BusySession:
    """A scheduled session a staff member facilitates (a row of the window query)."""

    staff_id: UUID
    staff_name: str
    group_id: UUID
    group_name: str
    session_id: UUID
    starts_at: datetime
    ends_at: datetime


def clashes_among(
    busy: Iterable[BusySession], slots: Sequence[tuple[datetime, datetime]]
) -> list[FacilitatorClash]:
    """Pure: every (busy session, slot) pair that overlaps, by slot then session then staff."""
    found = [
        FacilitatorClash(
            staff_id=entry.staff_id,
            staff_name=entry.staff_name,
            group_id=entry.group_id,
            group_name=entry.group_name,
            session_id=entry.session_id,
            starts_at=entry.starts_at,
            ends_at=entry.ends_at,
            slot_starts_at=slot_start,
            slot_ends_at=slot_end,
        )
        for slot_start, slot_end in slots
        for entry in busy
        if overlaps(entry.starts_at, entry.ends_at, slot_start, slot_end)
    ]
    found.sort(key=lambda c: (c.slot_starts_at, c.starts_at, str(c.session_id), str(c.staff_id)))
    return found


def _uuid(value: Any) -> UUID:
    return value if isinstance(value, UUID) else UUID(str(value))


def _instant(value: Any) -> datetime:
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return moment.astimezone(UTC)


_SELECT = (
    'SELECT f.staff AS staff_id, u.full_name AS staff_name, s."group" AS group_id, '
    "g.name AS group_name, s.id AS session_id, s.starts_at AS starts_at, "
    "s.ends_at AS ends_at "
    "FROM group_session s "
    'JOIN group_facilitator f ON f."group" = s."group" '
    "JOIN staff_user u ON u.id = f.staff "
    'JOIN course_group g ON g.id = s."group" '
    "WHERE s.status <> 'cancelled' AND s.starts_at > {} AND s.starts_at < {} "
    "AND s.ends_at > {}"
)


def _placeholders(count: int) -> str:
    return ", ".join("{}" for _ in range(count))


def _window_query(
    staff_ids: Sequence[UUID],
    start: datetime,
    end: datetime,
    excluding_group: UUID | None,
    excluding_sessions: Sequence[UUID],
) -> tuple[str, list[Any]]:
    # Only "{}" placeholders are joined into the text; every value is a query argument.
    parts = [_SELECT, " AND f.staff IN (", _placeholders(len(staff_ids)), ")"]
    args: list[Any] = [start - MAX_SLOT_LENGTH, end, start, *staff_ids]
    if excluding_group is not None:
        parts.append(' AND s."group" <> {}')
        args.append(excluding_group)
    if excluding_sessions:
        parts += [" AND s.id NOT IN (", _placeholders(len(excluding_sessions)), ")"]
        args.extend(excluding_sessions)
    parts.append(" ORDER BY s.starts_at, s.id, f.staff")
    return "".join(parts), args


async def lock_staff(staff_ids: Sequence[UUID]) -> None:
    """PostgreSQL: hold the staff rows until the transaction ends, in id order.

    Two transactions giving the same person sessions then queue here, so the later one's
    clash check sees the earlier one's sessions. NO KEY UPDATE leaves rows that reference
    the staff (audit entries, bookings) free to be written. SQLite needs nothing: its
    write transactions are IMMEDIATE and already one at a time. Take it after any room
    lock (scheduling.bookings locks rooms first), so every path locks in one order.
    """
    if not staff_ids or not is_postgres():
        return
    await (
        StaffUser.select(StaffUser.id)
        .where(StaffUser.id.is_in(sorted(set(staff_ids), key=str)))
        .order_by(StaffUser.id)
        .lock_rows("NO KEY UPDATE")
    )


async def find_facilitator_clashes(
    staff_ids: Sequence[UUID],
    slots: Sequence[tuple[datetime, datetime]],
    *,
    excluding_group: UUID | None = None,
    excluding_sessions: Sequence[UUID] = (),
    lock: bool = False,
) -> list[FacilitatorClash]:
    """The staff's scheduled sessions in other groups that overlap any slot (UTC instants).

    ``excluding_group`` leaves out the group being scheduled (its own sessions are not a
    clash); ``excluding_sessions`` leaves out sessions being moved. Call it inside the
    write transaction that then writes the slots, with ``lock=True`` (``lock_staff``) so
    the answer still holds at commit against a concurrent schedule for the same people.
    """
    staff = list(dict.fromkeys(staff_ids))
    if not staff or not slots:
        return []
    if lock:
        await lock_staff(staff)
    start = min(slot_start for slot_start, _ in slots)
    end = max(slot_end for _, slot_end in slots)
    text, args = _window_query(staff, start, end, excluding_group, list(excluding_sessions))
    rows: list[dict[str, Any]] = await GroupSession.raw(text, *args)
    busy = [
        BusySession(
            staff_id=_uuid(row["staff_id"]),
            staff_name=row["staff_name"],
            group_id=_uuid(row["group_id"]),
            group_name=row["group_name"],
            session_id=_uuid(row["session_id"]),
            starts_at=_instant(row["starts_at"]),
            ends_at=_instant(row["ends_at"]),
        )
        for row in rows
    ]
    return clashes_among(busy, slots)
