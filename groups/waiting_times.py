"""Waiting times per course: referral to enrolment, referral to first attended session.

For admins and supervisors (aggregates, no patient shown). Over the course's enrolments
made in a date window (service time zone, both ends included): an enrolment is "made"
when its patient was invited (``invited_at``) or, for one placed without an invitation,
when it was created; waitlisted enrolments never invited have not been offered a place
and are left out. Two queries, whatever the number of patients: the enrolments with
their referral dates, and their attended (codes 5 and 6) sessions' start instants.
Figures by ``groups.rules.waiting_times`` (median; 90th centile by nearest rank).
"""

from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from api.core.actor import Actor, Role
from api.core.database import read_transaction
from api.core.errors import Forbidden, InvalidInput, NotFound
from api.core.settings import get_settings
from groups.rules.attendance import ATTENDED
from groups.rules.waiting_times import Summary, days_waited, summarise
from groups.schemas.registers import WaitingTimesRead, WaitSummary
from groups.tables import Attendance, Course, Enrolment
from scheduling.schemas.venues import EARLIEST_DATE, LATEST_DATE

READERS = (Role.ADMIN, Role.SUPERVISOR)
DEFAULT_WINDOW_DAYS = 365
MAX_WINDOW_DAYS = 5 * 366


def _uuid(value: Any) -> UUID:
    return value if isinstance(value, UUID) else UUID(str(value))


def _local_midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0, 0), tzinfo=zone).astimezone(UTC)


def _window(
    from_date: date | None, to_date: date | None, *, now: datetime, zone: ZoneInfo
) -> tuple[date, date]:
    for field, day in (("from", from_date), ("to", to_date)):
        if day is not None and not EARLIEST_DATE <= day <= LATEST_DATE:
            reason = f"must be from {EARLIEST_DATE} to {LATEST_DATE}"
            raise InvalidInput([{"field": field, "reason": reason}])
    end = to_date or now.astimezone(zone).date()
    start = from_date or end - timedelta(days=DEFAULT_WINDOW_DAYS - 1)
    if start > end:
        raise InvalidInput([{"field": "from", "reason": "must not be after to"}])
    if (end - start).days >= MAX_WINDOW_DAYS:
        raise InvalidInput([{"field": "from", "reason": "the window may span at most five years"}])
    return start, end


def _made_in(start: datetime, end: datetime) -> Any:
    invited = (
        Enrolment.invited_at.is_not_null()
        & (Enrolment.invited_at >= start)
        & (Enrolment.invited_at < end)
    )
    placed = (
        Enrolment.invited_at.is_null()
        & (Enrolment.status != "waitlisted")
        & (Enrolment.created_at >= start)
        & (Enrolment.created_at < end)
    )
    return invited | placed


def _read(summary: Summary) -> WaitSummary:
    return WaitSummary(
        count=summary.count, median_days=summary.median_days, p90_days=summary.p90_days
    )


async def waiting_times(
    course_id: UUID,
    *,
    by: Actor,
    now: datetime,
    from_date: date | None = None,
    to_date: date | None = None,
) -> WaitingTimesRead:
    """The course's waits over enrolments made from ``from_date`` to ``to_date`` inclusive."""
    if by.user_id is not None and not by.has_any(*READERS):
        raise Forbidden("Only admins and supervisors read waiting times.")
    zone = ZoneInfo(get_settings().service.time_zone)
    first_day, last_day = _window(from_date, to_date, now=now, zone=zone)
    start = _local_midnight(first_day, zone)
    end = _local_midnight(last_day + timedelta(days=1), zone)
    in_course = Enrolment.group.course == course_id
    async with read_transaction():
        if not await Course.exists().where(Course.id == course_id):
            raise NotFound("No course with this id.")
        enrolments = await Enrolment.select(
            Enrolment.id,
            Enrolment.invited_at,
            Enrolment.created_at,
            Enrolment.patient.referral_date.as_alias("referral_date"),
        ).where(in_course, _made_in(start, end))
        attended = await Attendance.select(
            Attendance.enrolment, Attendance.session.starts_at.as_alias("starts_at")
        ).where(
            Attendance.outcome.is_in([int(code) for code in ATTENDED]),
            Attendance.enrolment.is_in(
                Enrolment.select(Enrolment.id).where(in_course, _made_in(start, end))
            ),
        )
    first_attended: dict[UUID, datetime] = {}
    for row in attended:
        enrolment_id = _uuid(row["enrolment"])
        seen = first_attended.get(enrolment_id)
        if seen is None or row["starts_at"] < seen:
            first_attended[enrolment_id] = row["starts_at"]
    to_enrolment: list[int] = []
    to_first_attended: list[int] = []
    for row in enrolments:
        made = row["invited_at"] or row["created_at"]
        to_enrolment.append(days_waited(row["referral_date"], made.astimezone(zone).date()))
        came = first_attended.get(_uuid(row["id"]))
        if came is not None:
            to_first_attended.append(
                days_waited(row["referral_date"], came.astimezone(zone).date())
            )
    return WaitingTimesRead(
        course_id=course_id,
        from_date=first_day,
        to_date=last_day,
        referral_to_enrolment=_read(summarise(to_enrolment)),
        referral_to_first_attended=_read(summarise(to_first_attended)),
    )
