"""A patient's feed: their own sessions, in words safe on a lock screen or a shared calendar.

Sessions of the groups where the patient's enrolment holds a place (an unexpired
invitation, opted in, active) or is completed. The summary is "Group session N" unless
the service opts in to showing the course's name; the location is the venue and its
address. Never the session's plan title, the group's name, the course's problems or the
venue's access instructions (the query does not even read them).
"""

from datetime import datetime
from typing import Any
from uuid import UUID

from api.core.settings import get_settings
from groups.tables import Enrolment
from scheduling.feeds.common import Window, session_uid
from scheduling.feeds.ical import FeedEvent
from scheduling.feeds.sessions import is_cancelled, location, sessions_of_groups

CALENDAR_NAME = "My group sessions"
PLACE_HOLDING = ("opted_in", "active", "completed")
INVITED = "invited"


def _summary(row: dict[str, Any], *, course_name: bool) -> str:
    if course_name:
        return f"{row['course_name']}: session {row['number']}"
    return f"Group session {row['number']}"


def _event(row: dict[str, Any], *, course_name: bool) -> FeedEvent:
    return FeedEvent(
        uid=session_uid(row["id"]),
        starts_at=row["starts_at"],
        ends_at=row["ends_at"],
        summary=_summary(row, course_name=course_name),
        sequence=row["sequence"],
        last_modified=row["updated_at"],
        cancelled=is_cancelled(row),
        location=location(row),
    )


async def patient_events(
    patient_id: UUID, window: Window, *, now: datetime
) -> tuple[str, list[FeedEvent]] | None:
    """The calendar's name and events (none when the patient holds no place anywhere)."""
    course_name = get_settings().groups.show_course_name_to_patients
    groups = Enrolment.select(Enrolment.group).where(
        Enrolment.patient == patient_id,
        Enrolment.status.is_in(list(PLACE_HOLDING))
        | (
            (Enrolment.status == INVITED)
            & (Enrolment.invitation_expires_at.is_null() | (Enrolment.invitation_expires_at > now))
        ),
    )
    rows = await sessions_of_groups(groups, window, staff=False, course_name=course_name)
    return CALENDAR_NAME, [_event(row, course_name=course_name) for row in rows]
