"""Tables of the groups app: courses, patients, groups, enrolments, sessions, clinical record.

Foreign keys run to ``scheduling`` and ``api.identity``, never back (DESIGN.md). Composite
unique keys and indexes that Piccolo cannot declare are added by raw-SQL migrations.
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
from scheduling.tables import Room, RoomBooking, Venue


class Course(Table):
    """A reusable programme, e.g. Stress Control, with its ordered session plan.

    ``session_plan`` is a JSON list of sessions: title, topics, duration, and references
    to the self-help modules handed out and the homework set (filled by ``materials``).
    A group copies the plan when it is created, so editing a course never changes a
    group already scheduled from it.
    """

    id = UUID(primary_key=True, default=UUID4())
    name = Varchar(length=200, unique=True)
    summary = Text(default="")
    problems = Array(base_column=Varchar(length=40))
    min_group_size = SmallInt(default=6)
    max_group_size = SmallInt(default=16)
    default_session_minutes = SmallInt(default=90)
    language = Varchar(length=35, default="en")
    session_plan = JSON(default=[])
    is_archived = Boolean(default=False)
    version = Integer(default=1)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class Patient(Table):
    """What the service needs to know about a referred patient, and no more."""

    id = UUID(primary_key=True, default=UUID4())
    given_name = Varchar(length=100)
    family_name = Varchar(length=100)
    preferred_name = Varchar(length=100, default="")
    # Lower-cased family name, for the indexed search by name and date of birth.
    family_name_folded = Varchar(length=100)
    date_of_birth = Date()
    nhs_number = Varchar(length=10, null=True, default=None, unique=True)
    mobile_phone = Varchar(length=20, default="")
    # The number in one form (scheduling.rules.replies.normalise_number), so an SMS reply
    # finds its sender by index (made in a raw migration, so SQLite can drop the column
    # on the way back); empty when there is no usable number.
    mobile_phone_normalised = Varchar(length=16, default="")
    email = Varchar(length=254, default="")
    address_line_1 = Varchar(length=200, default="")
    address_line_2 = Varchar(length=200, default="")
    town = Varchar(length=100, default="")
    postcode = Varchar(length=8, default="")
    consents_to_sms = Boolean(default=False)
    consents_to_email = Boolean(default=False)
    consents_to_letter = Boolean(default=True)
    consents_to_app = Boolean(default=False)
    messages_may_be_left = Boolean(default=False)
    preferred_language = Varchar(length=35, default="en")
    interpreter_needed = Boolean(default=False)
    interpreter_language = Varchar(length=35, default="")
    interpreter_kind = Varchar(length=20, default="")
    accessibility_needs = Array(base_column=Varchar(length=30))
    gp_practice_code = Varchar(length=10, default="")
    gp_practice_name = Varchar(length=200, default="")
    referral_date = Date()
    referral_source = Varchar(length=30, default="gp")
    version = Integer(default=1)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class Group(Table, tablename="course_group"):
    """One run of a course: venue and room, weekly slot, co-facilitators, capacity.

    ``session_plan`` is the course's plan frozen when the group was created.
    Status: draft, scheduled, running, completed, cancelled.
    """

    id = UUID(primary_key=True, default=UUID4())
    course = ForeignKey(references=Course, null=False, index=True, on_delete=OnDelete.restrict)
    name = Varchar(length=200)
    venue = ForeignKey(references=Venue, null=False, index=True, on_delete=OnDelete.restrict)
    room = ForeignKey(references=Room, null=False, index=True, on_delete=OnDelete.restrict)
    first_session_date = Date()
    weekday = SmallInt()  # 0 Monday .. 6 Sunday, local time
    start_time = Time()
    session_minutes = SmallInt()
    capacity = SmallInt()
    min_participants = SmallInt()
    go_no_go_date = Date(index=True)
    status = Varchar(length=12, default="draft", index=True)
    cancel_reason = Text(default="")
    cancelled_at = Timestamptz(null=True, default=None)
    session_plan = JSON(default=[])
    course_version = Integer(default=1)
    language = Varchar(length=35, default="en")
    version = Integer(default=1)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class GroupFacilitator(Table):
    """A co-facilitator of a group (unique per group and staff member)."""

    id = UUID(primary_key=True, default=UUID4())
    group = ForeignKey(references=Group, null=False, index=True, on_delete=OnDelete.restrict)
    staff = ForeignKey(references=StaffUser, null=False, index=True, on_delete=OnDelete.restrict)
    created_at = Timestamptz(default=TimestamptzNow())


class Enrolment(Table):
    """A patient's place in a group and the episode outcomes are computed over.

    Status: invited, opted_in, active, waitlisted, declined, completed, discharged,
    stepped_up, dropped_out. Invited (until ``invitation_expires_at``), opted-in and active
    hold a place; an invitation past its expiry counts as expired whether or not a job
    has moved it on. Waitlisted enrolments queue by ``waitlisted_at``.
    """

    id = UUID(primary_key=True, default=UUID4())
    group = ForeignKey(references=Group, null=False, index=True, on_delete=OnDelete.restrict)
    patient = ForeignKey(references=Patient, null=False, index=True, on_delete=OnDelete.restrict)
    status = Varchar(length=12, index=True)
    invited_at = Timestamptz(null=True, default=None)
    invitation_expires_at = Timestamptz(null=True, default=None)
    opted_in_at = Timestamptz(null=True, default=None)
    started_at = Timestamptz(null=True, default=None)
    waitlisted_at = Timestamptz(null=True, default=None)
    ended_at = Timestamptz(null=True, default=None)
    end_reason = Text(default="")
    # Clinical follow-through (attendance, supervision, step-up), kept on the row so
    # supervision lists cost the same however many sessions have passed.
    consecutive_dnas = SmallInt(default=0)
    review_flagged_at = Timestamptz(null=True, default=None)
    last_discussed_at = Timestamptz(null=True, default=None)
    # The clinical supervision flags (groups.rules.supervision), worked out from the
    # measure sets and risk alerts whenever those change, and again nightly, so the
    # supervision list reads columns instead of every enrolment's clinical history.
    has_open_risk_alert = Boolean(default=False)
    has_severe_score = Boolean(default=False)
    lacks_reliable_improvement = Boolean(default=False)
    latest_phq9 = SmallInt(null=True, default=None)
    latest_gad7 = SmallInt(null=True, default=None)
    clinical_flags_refreshed_at = Timestamptz(null=True, default=None)
    step_up_destination = Varchar(length=30, default="")
    step_up_reason = Text(default="")
    version = Integer(default=1)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class EnrolmentTransition(Table):
    """One status change of an enrolment: from, to, when, by whom and why."""

    id = UUID(primary_key=True, default=UUID4())
    enrolment = ForeignKey(
        references=Enrolment, null=False, index=True, on_delete=OnDelete.restrict
    )
    from_status = Varchar(length=12, null=True, default=None)
    to_status = Varchar(length=12)
    changed_by = ForeignKey(references=StaffUser, null=True, on_delete=OnDelete.restrict)
    changed_at = Timestamptz()
    reason = Text(default="")


class GroupSession(Table, tablename="group_session"):
    """A dated occurrence of a group, holding its room booking.

    Status: scheduled or cancelled. ``sequence`` is the iCalendar SEQUENCE, raised on
    every change a calendar subscriber should see.
    """

    id = UUID(primary_key=True, default=UUID4())
    group = ForeignKey(references=Group, null=False, index=True, on_delete=OnDelete.restrict)
    number = SmallInt()  # 1-based position in the frozen plan
    title = Varchar(length=200)
    starts_at = Timestamptz(index=True)
    ends_at = Timestamptz()
    status = Varchar(length=12, default="scheduled")
    cancel_reason = Text(default="")
    cancelled_at = Timestamptz(null=True, default=None)
    booking = ForeignKey(references=RoomBooking, null=True, index=True, on_delete=OnDelete.restrict)
    sequence = Integer(default=0)
    version = Integer(default=1)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class SessionInterpreter(Table):
    """An interpreter booked for a session: language, kind, for which patient."""

    id = UUID(primary_key=True, default=UUID4())
    session = ForeignKey(
        references=GroupSession, null=False, index=True, on_delete=OnDelete.restrict
    )
    patient = ForeignKey(references=Patient, null=True, on_delete=OnDelete.restrict)
    language = Varchar(length=35)
    kind = Varchar(length=20)  # spoken, bsl, ...
    provider = Varchar(length=200, default="")
    notes = Text(default="")
    booked_by = ForeignKey(references=StaffUser, null=True, on_delete=OnDelete.restrict)
    created_at = Timestamptz(default=TimestamptzNow())


class Attendance(Table):
    """Per enrolment per session, an NHS Data Dictionary attended-or-DNA code (2-7)."""

    id = UUID(primary_key=True, default=UUID4())
    session = ForeignKey(
        references=GroupSession, null=False, index=True, on_delete=OnDelete.restrict
    )
    enrolment = ForeignKey(
        references=Enrolment, null=False, index=True, on_delete=OnDelete.restrict
    )
    outcome = SmallInt()
    recorded_by = ForeignKey(references=StaffUser, null=True, on_delete=OnDelete.restrict)
    recorded_at = Timestamptz()
    version = Integer(default=1)


class AttendanceCorrection(Table):
    """The value a register correction replaced, kept for the record."""

    id = UUID(primary_key=True, default=UUID4())
    attendance = ForeignKey(
        references=Attendance, null=False, index=True, on_delete=OnDelete.restrict
    )
    old_outcome = SmallInt()
    new_outcome = SmallInt()
    changed_by = ForeignKey(references=StaffUser, null=True, on_delete=OnDelete.restrict)
    changed_at = Timestamptz()


class SessionNote(Table):
    """A facilitator's short record of the contact, per patient per session."""

    id = UUID(primary_key=True, default=UUID4())
    session = ForeignKey(
        references=GroupSession, null=False, index=True, on_delete=OnDelete.restrict
    )
    enrolment = ForeignKey(
        references=Enrolment, null=False, index=True, on_delete=OnDelete.restrict
    )
    text = Text()
    author = ForeignKey(references=StaffUser, null=True, on_delete=OnDelete.restrict)
    version = Integer(default=1)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class MeasureSet(Table):
    """One patient's answers to one instrument at one session (unique per that slot).

    ``answers`` holds one integer or null (blank on paper) per item; the total is the
    server's, prorated where one or two items are blank, null where more are.
    """

    id = UUID(primary_key=True, default=UUID4())
    enrolment = ForeignKey(
        references=Enrolment, null=False, index=True, on_delete=OnDelete.restrict
    )
    session = ForeignKey(
        references=GroupSession, null=False, index=True, on_delete=OnDelete.restrict
    )
    instrument = Varchar(length=20)
    answers = JSON(default=[])
    total = SmallInt(null=True, default=None)
    prorated = Boolean(default=False)
    blank_items = SmallInt(default=0)
    source = Varchar(length=12, default="facilitator")  # facilitator, group, patient
    entered_by = ForeignKey(references=StaffUser, null=True, on_delete=OnDelete.restrict)
    version = Integer(default=1)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class MeasureSetRevision(Table):
    """The answers a correction replaced, kept for the record."""

    id = UUID(primary_key=True, default=UUID4())
    measure_set = ForeignKey(
        references=MeasureSet, null=False, index=True, on_delete=OnDelete.restrict
    )
    answers = JSON(default=[])
    total = SmallInt(null=True, default=None)
    changed_by = ForeignKey(references=StaffUser, null=True, on_delete=OnDelete.restrict)
    changed_at = Timestamptz()


class RiskAlert(Table):
    """Raised once per measure set (or free-text answer) showing risk; never deleted.

    Status: open or acknowledged. ``source_kind``/``source_id`` name a non-measure source
    (a homework submission). ``annotations`` records corrections of the answer behind it.
    """

    id = UUID(primary_key=True, default=UUID4())
    enrolment = ForeignKey(
        references=Enrolment, null=False, index=True, on_delete=OnDelete.restrict
    )
    measure_set = ForeignKey(
        references=MeasureSet, null=True, unique=True, on_delete=OnDelete.restrict
    )
    source_kind = Varchar(length=30, default="measure_set")
    source_id = Varchar(length=64, null=True, default=None, unique=True)
    reason = Varchar(length=30)
    status = Varchar(length=12, default="open", index=True)
    raised_at = Timestamptz(index=True)
    acknowledged_by = ForeignKey(references=StaffUser, null=True, on_delete=OnDelete.restrict)
    acknowledged_at = Timestamptz(null=True, default=None)
    action_note = Text(default="")
    annotations = JSON(default=[])
    escalated_at = Timestamptz(null=True, default=None)
    version = Integer(default=1)


class SupervisionDiscussion(Table):
    """A patient discussed in case-management supervision: who, when, the note."""

    id = UUID(primary_key=True, default=UUID4())
    enrolment = ForeignKey(
        references=Enrolment, null=False, index=True, on_delete=OnDelete.restrict
    )
    discussed_by = ForeignKey(references=StaffUser, null=True, on_delete=OnDelete.restrict)
    discussed_at = Timestamptz()
    note = Text(default="")
