"""Refusals of the groups and enrolment services, each a stable problem type."""

from api.core.errors import Conflict


class GroupClosed(Conflict):
    """The group is completed or cancelled: it takes no new enrolments."""

    code = "group-closed"
    title = "The group is closed"


class AlreadyEnrolled(Conflict):
    """The patient already has an enrolment in this group."""

    code = "already-enrolled"
    title = "Already enrolled in this group"


class TransitionNotAllowed(Conflict):
    """The enrolment cannot move from its current status to the one asked for."""

    code = "transition-not-allowed"
    title = "This status change is not allowed"


class InvitationExpired(Conflict):
    """An opt-in arrived after the invitation expired."""

    code = "invitation-expired"
    title = "Invitation expired"


class NoPlaceFree(Conflict):
    """Every place in the group is held."""

    code = "no-place-free"
    title = "No place is free in this group"


class CapacityTooLarge(Conflict):
    """A capacity above the room's or the course's limit."""

    code = "capacity-too-large"
    title = "Capacity too large"


class CapacityBelowPlacesHeld(Conflict):
    """A capacity below the places already held."""

    code = "capacity-below-places-held"
    title = "Capacity below the places already held"


class ArchivedResource(Conflict):
    """The course, room or venue named is archived."""

    code = "archived"
    title = "Archived"


class StatusMoveNotAllowed(Conflict):
    """A group status change an edit may not make."""

    code = "group-status-not-allowed"
    title = "This group status change is not allowed"


class FacilitatorClash(Conflict):
    """A new co-facilitator already runs another group's session at one of its times."""

    code = "facilitator-clash"
    title = "A facilitator is busy at that time"
