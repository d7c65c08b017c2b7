"""Scheduling tables: venues, rooms, hours, closures, bookings, the outbox and calendar feeds.

Nothing here points into ``groups`` or ``materials``: a booking names what it is for by
kind and id (DESIGN.md: foreign keys run groups -> scheduling, never back).
"""

from piccolo.columns import (
    JSON,
    UUID,
    Array,
    Boolean,
    Date,
    ForeignKey,
    Integer,
    SmallInt,
    Text,
    Time,
    Timestamptz,
    Varchar,
)
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.columns.defaults.uuid import UUID4
from piccolo.table import Table

from api.identity.tables import StaffUser


class Venue(Table):
    """A community place with rooms: library, community centre, GP surgery..."""

    id = UUID(primary_key=True, default=UUID4())
    name = Varchar(length=200, index=True)
    kind = Varchar(length=40)
    address_line_1 = Varchar(length=200)
    address_line_2 = Varchar(length=200, default="")
    town = Varchar(length=100, index=True)
    postcode = Varchar(length=8)
    postcode_district = Varchar(length=4, index=True)
    phone = Varchar(length=40, default="")
    email = Varchar(length=254, default="")
    # Door codes, key holders: staff only, never in anything a patient sees.
    access_instructions = Text(default="")
    step_free_access = Boolean(default=False)
    accessible_toilet = Boolean(default=False)
    hearing_loop = Boolean(default=False)
    parking = Boolean(default=False)
    public_transport_notes = Text(default="")
    # Most community venues shut on bank holidays; a booking then is refused unless set.
    opens_on_bank_holidays = Boolean(default=False)
    notes = Text(default="")
    is_archived = Boolean(default=False, index=True)
    version = Integer(default=1)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class Room(Table):
    """A bookable room in a venue."""

    id = UUID(primary_key=True, default=UUID4())
    venue = ForeignKey(references=Venue, null=False, index=True, on_delete=OnDelete.restrict)
    name = Varchar(length=200)
    capacity = SmallInt(index=True)
    equipment = Array(base_column=Varchar(length=20))
    layout_notes = Text(default="")
    is_archived = Boolean(default=False)
    version = Integer(default=1)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class OpeningHours(Table):
    """One opening range of a venue on a weekday (0 Monday .. 6 Sunday), local time."""

    id = UUID(primary_key=True, default=UUID4())
    venue = ForeignKey(references=Venue, null=False, index=True, on_delete=OnDelete.restrict)
    weekday = SmallInt()
    opens_at = Time()
    closes_at = Time()


class Closure(Table):
    """Dates a venue is shut (inclusive), with the reason."""

    id = UUID(primary_key=True, default=UUID4())
    venue = ForeignKey(references=Venue, null=False, index=True, on_delete=OnDelete.restrict)
    start_date = Date()
    end_date = Date(index=True)
    reason = Varchar(length=200)
    created_at = Timestamptz(default=TimestamptzNow())


class RoomBooking(Table):
    """A room held for a time range. Two non-cancelled bookings of one room never overlap."""

    id = UUID(primary_key=True, default=UUID4())
    room = ForeignKey(references=Room, null=False, index=True, on_delete=OnDelete.restrict)
    # Clashes are found through the composite index (room, starts_at, ends_at) that a
    # migration adds, beside PostgreSQL's exclusion constraint.
    starts_at = Timestamptz()
    ends_at = Timestamptz()
    purpose = Varchar(length=200)
    status = Varchar(length=12, default="provisional")
    booked_by = ForeignKey(references=StaffUser, null=True, on_delete=OnDelete.restrict)
    subject_kind = Varchar(length=40, null=True, default=None)
    subject_id = Varchar(length=64, null=True, default=None, index=True)
    version = Integer(default=1)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class OutboxMessage(Table):
    """A message stored before it is sent; ``dedup_key`` makes queuing it twice impossible.

    The recipient is named by kind (patient, staff, duty) and id, never a foreign key
    into ``groups``. Status: pending, sending, sent, failed, cancelled. ``parameters``
    fill the template; they never carry clinical detail.
    """

    id = UUID(primary_key=True, default=UUID4())
    recipient_kind = Varchar(length=12)
    recipient_id = Varchar(length=64, index=True)
    channel = Varchar(length=10)  # sms, email, letter, push, in_app
    template_key = Varchar(length=60)
    language = Varchar(length=35, default="en")
    parameters = JSON(default={})
    dedup_key = Varchar(length=200, unique=True)
    urgent = Boolean(default=False)
    due_at = Timestamptz()
    status = Varchar(length=10, default="pending")
    attempts = SmallInt(default=0)
    last_error = Text(default="")
    provider_reference = Varchar(length=200, default="")
    sent_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())
    # After this instant the message is no use (a reminder for a session that has begun):
    # the dispatcher cancels it instead of sending it.
    expires_at = Timestamptz(null=True, default=None)
    # While status is "sending", the claim's end: a dispatcher killed mid-send leaves the
    # row claimed, and it is sent again (same provider reference) once the claim runs out.
    claimed_until = Timestamptz(null=True, default=None)
    # What left the system and what the provider answered; the retention job blanks both
    # after the configured time (purged_at) and keeps the rest of the row.
    rendered_subject = Text(default="")
    rendered_body = Text(default="")
    provider_payload = Text(default="")
    purged_at = Timestamptz(null=True, default=None)


class InboxMessage(Table):
    """An in-app message: a patient's inbox, shown by the patient API.

    One per outbox message sent on the in_app channel (``message`` is unique).
    """

    id = UUID(primary_key=True, default=UUID4())
    message = ForeignKey(
        references=OutboxMessage, null=False, unique=True, on_delete=OnDelete.restrict
    )
    recipient_kind = Varchar(length=12)
    recipient_id = Varchar(length=64, index=True)
    template_key = Varchar(length=60)
    subject = Text(default="")
    body = Text(default="")
    created_at = Timestamptz(default=TimestamptzNow())
    read_at = Timestamptz(null=True, default=None)


class SchedulerLease(Table):
    """Which process runs the background jobs, on SQLite (PostgreSQL uses an advisory lock).

    One row per lease name; a holder keeps it by renewing ``expires_at``.
    """

    id = UUID(primary_key=True, default=UUID4())
    name = Varchar(length=60, unique=True)
    holder = Varchar(length=100)
    expires_at = Timestamptz()


class CalendarFeed(Table):
    """A secret, revocable calendar subscription URL; only the token's hash is kept.

    ``owner_kind`` is facilitator, venue or patient; ``owner_id`` names it.
    """

    id = UUID(primary_key=True, default=UUID4())
    token_hash = Varchar(length=64, unique=True)
    owner_kind = Varchar(length=12)
    owner_id = Varchar(length=64, index=True)
    created_by = ForeignKey(references=StaffUser, null=True, on_delete=OnDelete.restrict)
    created_at = Timestamptz(default=TimestamptzNow())
    revoked_at = Timestamptz(null=True, default=None)


class ReminderLedger(Table):
    """Which reminders of which session have been handled: queued, superseded or dropped.

    ``key`` is ``<session id>:<offset>`` (unique), so each reminder of a session is
    handled once however many schedulers run and however late; ``messages`` counts the
    outbox rows queued (or, when dropped, the recipients who would have had one).
    """

    id = UUID(primary_key=True, default=UUID4())
    key = Varchar(length=120, unique=True)
    session_id = Varchar(length=64, index=True)
    offset_label = Varchar(length=8)
    outcome = Varchar(length=20)  # queued, superseded, session_started
    messages = Integer(default=0)
    handled_at = Timestamptz()


class InboundMessage(Table):
    """A text a patient sent us (GOV.UK Notify's received-text callback), stored once.

    ``provider_id`` is Notify's id, so a retried callback is one row. ``from_number`` is
    normalised (``scheduling.rules.replies``). A reply is matched to the last session
    reminder sent to that number in the reminder window: ``matched_message_id`` names the
    outbox message, ``patient_id`` and ``session_id`` (text, no foreign keys into
    ``groups``) what it is about. Outcome: confirmed, cancelled, unrecognised (matched but
    neither YES nor NO), unmatched, ambiguous (several patients' reminders went to the
    number). ``attendance_recorded`` says whether a NO became the register's code 2 (not
    when a facilitator had already taken that entry).
    """

    id = UUID(primary_key=True, default=UUID4())
    provider_id = Varchar(length=100, unique=True)
    from_number = Varchar(length=20, index=True)
    body = Varchar(length=1000, default="")
    received_at = Timestamptz()
    matched_message_id = Varchar(length=64, null=True, default=None)
    patient_id = Varchar(length=64, null=True, default=None, index=True)
    session_id = Varchar(length=64, null=True, default=None, index=True)
    group_id = Varchar(length=64, null=True, default=None, index=True)
    outcome = Varchar(length=12)
    attendance_recorded = Boolean(default=False)
    read_at = Timestamptz(null=True, default=None)
    read_by = ForeignKey(references=StaffUser, null=True, on_delete=OnDelete.restrict)
    created_at = Timestamptz(default=TimestamptzNow())
