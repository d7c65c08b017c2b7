"""Scheduling a group: preview its dated sessions and every problem, then commit them at once.

The preview writes nothing. The commit runs in one write transaction: the group is
locked (If-Match), the room is locked (PostgreSQL; SQLite's IMMEDIATE transaction already
serialises writers), every problem is collected as the preview would, and only when
there is none is each session's room booked through the booking service's checks and
the sessions inserted. Any problem refuses the whole schedule with one 409 listing every
clashing date. On PostgreSQL the exclusion constraint can still refuse a booking that
raced past the lock (written by something that does not take it): the whole
transaction has rolled back by then, and the problems are collected again to answer.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo

from asyncpg.exceptions import ExclusionViolationError  # type: ignore[import-untyped]

from api.core.actor import Actor
from api.core.database import is_postgres, write_transaction
from api.core.errors import NotFound
from api.identity import audit
from api.identity.versioning import require_current_version
from groups.access import Side, require_group_access
from groups.facilitator_clashes import find_facilitator_clashes
from groups.schemas.sessions import (
    ProposedSession,
    ScheduleCommitted,
    SchedulePreview,
    ScheduleProblem,
    SkippedDateRead,
)
from groups.session_errors import GroupNotDraft, ScheduleClash, ScheduleNotPossible
from groups.session_services.common import (
    GROUP_ENTITY,
    SCHEDULED,
    SESSION_ENTITY,
    as_uuid,
    require_admin,
    session_read,
    session_rows,
    utc,
)
from groups.tables import Group, GroupFacilitator, GroupSession
from scheduling.booking_queries import CANCELLED, service_zone
from scheduling.bookings import SeriesSlot, book_series_in_transaction
from scheduling.rules.booking import (
    MAX_SLOT_LENGTH,
    WEEKDAY_PLURALS,
    OutsideHours,
    describe_hours,
    local_slot,
    overlaps,
    rule_failures,
)
from scheduling.rules.recurrence import PlannedSession, Schedule, ScheduleImpossible
from scheduling.session_dates import VenueDays, load_venue_days, session_dates
from scheduling.tables import Room, RoomBooking

DRAFT = "draft"


@dataclass(frozen=True, slots=True)
class GroupPlan:
    """What scheduling needs to know about a group."""

    id: UUID
    name: str
    version: int
    status: str
    room_id: UUID
    venue_id: UUID
    first_date: date
    start_time: time
    titles: tuple[str, ...]
    durations: tuple[int, ...]
    facilitator_ids: tuple[UUID, ...]


def _durations(row: dict[str, Any]) -> tuple[int, ...]:
    """Each session's minutes: the plan's, or the group's own length for every session.

    The group's length wins when it was set apart from the course's default (the admin
    chose the weekly slot's length).
    """
    plan = row["session_plan"]
    if row["session_minutes"] != row["course_default_minutes"]:
        return tuple(row["session_minutes"] for _ in plan)
    return tuple(int(entry.get("duration_minutes") or row["session_minutes"]) for entry in plan)


def _first_date(row: dict[str, Any]) -> date:
    """The first date on the group's weekday on or after its first session date."""
    first: date = row["first_session_date"]
    return first + timedelta(days=(row["weekday"] - first.weekday()) % 7)


async def _group_plan(group_id: UUID) -> GroupPlan:
    row: dict[str, Any] | None = (
        await Group.select(
            Group.id,
            Group.name,
            Group.version,
            Group.status,
            Group.room.as_alias("room_id"),
            Group.venue.as_alias("venue_id"),
            Group.first_session_date,
            Group.weekday,
            Group.start_time,
            Group.session_minutes,
            Group.session_plan,
            Group.course.default_session_minutes.as_alias("course_default_minutes"),
        )
        .where(Group.id == group_id)
        .output(load_json=True)
        .first()
    )
    if row is None:
        raise NotFound("No group with this id.")
    staff = await GroupFacilitator.select(GroupFacilitator.staff).where(
        GroupFacilitator.group == group_id
    )
    plan = row["session_plan"] or []
    return GroupPlan(
        id=group_id,
        name=row["name"],
        version=row["version"],
        status=row["status"],
        room_id=as_uuid(row["room_id"]),
        venue_id=as_uuid(row["venue_id"]),
        first_date=_first_date(row),
        start_time=row["start_time"],
        titles=tuple(str(entry.get("title", "")) for entry in plan),
        durations=_durations(row),
        facilitator_ids=tuple(as_uuid(entry["staff"]) for entry in staff),
    )


async def _room(room_id: UUID, *, lock: bool) -> dict[str, Any]:
    query = Room.select(Room.id, Room.name, Room.is_archived).where(Room.id == room_id)
    if lock and is_postgres():
        # Bookings of one room queue on this lock (scheduling.bookings takes the same one).
        query = query.lock_rows("NO KEY UPDATE")
    row: dict[str, Any] | None = await query.first()
    if row is None:  # pragma: no cover - the group's foreign key holds it
        raise NotFound("The group's room no longer exists.")
    return row


def _dates(group: GroupPlan, venue: VenueDays, zone: ZoneInfo) -> Schedule:
    try:
        return session_dates(venue, group.first_date, group.start_time, group.durations, zone)
    except ScheduleImpossible as error:
        raise ScheduleNotPossible(
            f"The group's sessions cannot be dated: {error.reason}.", field=error.field
        ) from error


async def _room_problems(room_id: UUID, schedule: Schedule) -> list[ScheduleProblem]:
    """Every live booking of the room overlapping a session: one indexed range query."""
    first, last = schedule.sessions[0], schedule.sessions[-1]
    rows = await RoomBooking.select(
        RoomBooking.id, RoomBooking.starts_at, RoomBooking.ends_at
    ).where(
        RoomBooking.room == room_id,
        RoomBooking.starts_at > first.starts_at - MAX_SLOT_LENGTH,
        RoomBooking.starts_at < last.ends_at,
        RoomBooking.ends_at > first.starts_at,
        RoomBooking.status != CANCELLED,
    )
    problems = []
    for session in schedule.sessions:
        for row in sorted(rows, key=lambda r: (r["starts_at"], str(r["id"]))):
            if overlaps(row["starts_at"], row["ends_at"], session.starts_at, session.ends_at):
                problems.append(
                    ScheduleProblem(
                        kind="room_clash",
                        session_number=session.number,
                        local_date=session.day,
                        detail=f"The room is already booked then (booking {row['id']}).",
                        clashing_booking_id=as_uuid(row["id"]),
                        clashing_starts_at=utc(row["starts_at"]),
                        clashing_ends_at=utc(row["ends_at"]),
                    )
                )
    return problems


def _hours_problems(venue: VenueDays, schedule: Schedule, zone: ZoneInfo) -> list[ScheduleProblem]:
    problems = []
    for session in schedule.sessions:
        slot = local_slot(session.starts_at, session.ends_at, zone)
        # Closures and bank holidays were skipped when dating; only the hours can fail.
        for failure in rule_failures(
            slot, opening=venue.hours, closures=(), opens_on_bank_holidays=True
        ):
            if isinstance(failure, OutsideHours):
                days = WEEKDAY_PLURALS[slot.day.weekday()]
                said = (
                    f"{venue.name} opens {describe_hours(failure.hours)} on {days}"
                    if failure.hours
                    else f"{venue.name} is not open on {days}"
                )
                problems.append(
                    ScheduleProblem(
                        kind="outside_opening_hours",
                        session_number=session.number,
                        local_date=session.day,
                        detail=f"{said}; session {session.number} is {slot.describe()}.",
                    )
                )
    return problems


async def _facilitator_problems(
    group: GroupPlan, schedule: Schedule, *, lock: bool
) -> list[ScheduleProblem]:
    by_start = {session.starts_at: session for session in schedule.sessions}
    clashes = await find_facilitator_clashes(
        group.facilitator_ids,
        [(s.starts_at, s.ends_at) for s in schedule.sessions],
        excluding_group=group.id,
        lock=lock,
    )
    return [
        ScheduleProblem(
            kind="facilitator_clash",
            session_number=by_start[clash.slot_starts_at].number,
            local_date=by_start[clash.slot_starts_at].day,
            detail=(
                f"{clash.staff_name} already runs a session of {clash.group_name} then "
                f"(session {clash.session_id})."
            ),
            staff_id=clash.staff_id,
            staff_name=clash.staff_name,
            clashing_group_id=clash.group_id,
            clashing_group_name=clash.group_name,
            clashing_session_id=clash.session_id,
            clashing_starts_at=utc(clash.starts_at),
            clashing_ends_at=utc(clash.ends_at),
        )
        for clash in clashes
    ]


async def _problems(
    group: GroupPlan,
    room: dict[str, Any],
    venue: VenueDays,
    schedule: Schedule,
    zone: ZoneInfo,
    *,
    lock: bool,
) -> list[ScheduleProblem]:
    """Every reason the sessions cannot be held as proposed, by session then kind."""
    problems: list[ScheduleProblem] = []
    if venue.is_archived:
        problems.append(
            ScheduleProblem(
                kind="venue_archived", detail=f"{venue.name} is archived and takes no bookings."
            )
        )
    if room["is_archived"]:
        problems.append(
            ScheduleProblem(
                kind="room_archived", detail=f"{room['name']} is archived and takes no bookings."
            )
        )
    per_session: dict[int, list[ScheduleProblem]] = defaultdict(list)
    for problem in (
        *(await _room_problems(group.room_id, schedule)),
        *_hours_problems(venue, schedule, zone),
        *(await _facilitator_problems(group, schedule, lock=lock)),
    ):
        per_session[problem.session_number or 0].append(problem)
    for number in sorted(per_session):
        problems.extend(per_session[number])
    return problems


def _require_draft(group: GroupPlan) -> None:
    if group.status != DRAFT:
        raise GroupNotDraft(
            f"The group is {group.status}: only a draft group can be scheduled.",
            group_status=group.status,
        )


def _proposed(group: GroupPlan, session: PlannedSession) -> ProposedSession:
    return ProposedSession(
        number=session.number,
        title=group.titles[session.number - 1],
        local_date=session.day,
        local_start=session.local_start,
        local_end=session.local_end,
        starts_at=utc(session.starts_at),
        ends_at=utc(session.ends_at),
    )


def _skipped(schedule: Schedule) -> list[SkippedDateRead]:
    return [
        SkippedDateRead.model_validate({"local_date": s.day, "kind": s.kind, "reason": s.reason})
        for s in schedule.skipped
    ]


async def _assess(
    group: GroupPlan, zone: ZoneInfo, *, lock: bool
) -> tuple[Schedule, list[ScheduleProblem]]:
    if not group.durations:
        raise ScheduleNotPossible(
            "The group's frozen plan has no sessions to schedule.", field="session_plan"
        )
    room = await _room(group.room_id, lock=lock)
    venue = await load_venue_days(
        group.venue_id, group.first_date, group.first_date.weekday(), len(group.durations)
    )
    schedule = _dates(group, venue, zone)
    # Locks, when asked, in the one order every path takes: room, then staff.
    return schedule, await _problems(group, room, venue, schedule, zone, lock=lock)


async def preview_schedule(group_id: UUID, *, by: Actor) -> SchedulePreview:
    """The sessions committing would create, the weeks skipped, every problem; writes nothing."""
    require_admin(by)
    await require_group_access(group_id, by, Side.OPERATIONAL)
    zone = service_zone()
    group = await _group_plan(group_id)
    _require_draft(group)
    schedule, problems = await _assess(group, zone, lock=False)
    return SchedulePreview(
        group_id=group_id,
        group_version=group.version,
        time_zone=zone.key,
        sessions=[_proposed(group, s) for s in schedule.sessions],
        skipped=_skipped(schedule),
        problems=problems,
    )


def _clash(problems: list[ScheduleProblem]) -> ScheduleClash:
    if not problems:  # pragma: no cover - the racing booking was cancelled meanwhile
        return ScheduleClash("Another booking raced this schedule: reload and retry.", clashes=[])
    dates = sorted({p.local_date.isoformat() for p in problems if p.local_date is not None})
    said = f" on {', '.join(dates)}" if dates else ""
    return ScheduleClash(
        f"The schedule has {len(problems)} problem(s){said}: nothing was booked.",
        clashes=[p.model_dump(mode="json", exclude_none=True) for p in problems],
    )


async def _book_and_insert(
    group: GroupPlan, schedule: Schedule, *, by: Actor, now: datetime
) -> None:
    ids = {session.number: uuid4() for session in schedule.sessions}
    bookings = await book_series_in_transaction(
        group.room_id,
        [
            SeriesSlot(
                starts_at=session.starts_at,
                ends_at=session.ends_at,
                purpose=f"{group.name}: session {session.number}"[:200],
                subject_id=str(ids[session.number]),
            )
            for session in schedule.sessions
        ],
        status="confirmed",
        subject_kind=SESSION_ENTITY,
        by=by,
        now=now,
    )
    rows = [
        GroupSession(
            id=ids[session.number],
            group=group.id,
            number=session.number,
            title=group.titles[session.number - 1][:200],
            starts_at=session.starts_at,
            ends_at=session.ends_at,
            status=SCHEDULED,
            booking=booking.id,
            sequence=0,
            version=1,
            created_at=now,
            updated_at=now,
        )
        for session, booking in zip(schedule.sessions, bookings, strict=True)
    ]
    await GroupSession.insert(*rows)
    for row in rows:
        await audit.record(by, f"{SESSION_ENTITY}.create", SESSION_ENTITY, row.id, now=now)


async def commit_schedule(
    group_id: UUID, *, expected_version: int | None, by: Actor, now: datetime
) -> ScheduleCommitted:
    """Book the room for every session and create them, all or nothing; the group is scheduled."""
    require_admin(by)
    zone = service_zone()
    try:
        async with write_transaction():
            await require_current_version(Group, group_id, expected_version)
            group = await _group_plan(group_id)
            _require_draft(group)
            schedule, problems = await _assess(group, zone, lock=True)
            if problems:
                raise _clash(problems)
            await _book_and_insert(group, schedule, by=by, now=now)
            await Group.update(
                {
                    Group.status: SCHEDULED,
                    Group.version: Group.version + 1,
                    Group.updated_at: now,
                }
            ).where(Group.id == group_id)
            await audit.record(by, f"{GROUP_ENTITY}.schedule", GROUP_ENTITY, group_id, now=now)
    except ExclusionViolationError:
        # A booking raced past the room lock; everything above has rolled back.
        group = await _group_plan(group_id)
        _, problems = await _assess(group, zone, lock=False)
        raise _clash(problems) from None
    rows = await session_rows(GroupSession.group == group_id)
    return ScheduleCommitted(
        group_id=group_id,
        status=SCHEDULED,
        version=group.version + 1,
        sessions=[session_read(row, zone) for row in rows],
        skipped=_skipped(schedule),
    )
