"""Tables of the groups app: courses (with their session plans) and patients.

Groups, sessions, enrolments, attendance and measures follow in later changes; their
foreign keys run to ``scheduling`` and ``api.identity``, never back.
"""

from piccolo.columns import (
    JSON,
    UUID,
    Array,
    Boolean,
    Date,
    Integer,
    SmallInt,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.columns.defaults.uuid import UUID4
from piccolo.table import Table


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
