"""Refusals of the session calendar: scheduling, moving, cancelling, interpreters."""

from api.core.errors import Conflict


class ScheduleClash(Conflict):
    """The schedule (or a move) clashes: ``clashes`` lists every clashing date and why."""

    code = "schedule-clash"
    title = "The sessions clash with bookings, opening hours or facilitators"


class ScheduleNotPossible(Conflict):
    """No dates can be made from the group's settings (a start time lost to a clock change...)."""

    code = "schedule-impossible"
    title = "The group's sessions cannot be dated"


class GroupNotDraft(Conflict):
    """Only a draft group can be scheduled: its sessions exist already, or it is closed."""

    code = "group-not-draft"
    title = "The group is not a draft"


class GroupNotCancellable(Conflict):
    """The group is already cancelled, or completed."""

    code = "group-not-cancellable"
    title = "The group cannot be cancelled"


class SessionCancelled(Conflict):
    """The session is cancelled: it stays as history and cannot be moved or cancelled again."""

    code = "session-cancelled"
    title = "The session is cancelled"


class SessionOver(Conflict):
    """The session has already started: the register, not the calendar, records it now."""

    code = "session-started"
    title = "The session has already started"


class PatientNotEnrolled(Conflict):
    """The patient named has no enrolment in the session's group."""

    code = "patient-not-enrolled"
    title = "The patient is not enrolled in this group"


class FacilitatorBusy(Conflict):
    """A co-facilitator already runs another session then; ``clashes`` names each."""

    code = "facilitator-clash"
    title = "A facilitator is already running a session then"
