"""Tables of the materials app: modules, homework forms, their versions, assignments.

Foreign keys run to ``groups`` and ``api.identity``, never back (DESIGN.md). Composite
unique keys (one version number per module variant, one assignment per enrolment,
session and item, at most one draft per variant) are added by a raw-SQL migration.

A published version never changes: an edit makes a new draft version, and every
assignment names the exact version the patient was given.
"""

from piccolo.columns import (
    JSON,
    UUID,
    Boolean,
    ForeignKey,
    Integer,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.columns.defaults.uuid import UUID4
from piccolo.table import Table

from api.identity.tables import StaffUser
from groups.tables import Enrolment, GroupSession


class Module(Table):
    """A self-help module (a booklet), named by the slug course plans reference."""

    id = UUID(primary_key=True, default=UUID4())
    slug = Varchar(length=80, unique=True)
    created_at = Timestamptz(default=TimestamptzNow())


class ModuleVersion(Table):
    """One version of one variant (language and standard/easy_read/large_print) of a module.

    Status: draft or published. ``number`` counts from 1 per (module, language, variant).
    ``body_html`` is the sanitised rendering of ``body_markdown``, made when saved.
    """

    id = UUID(primary_key=True, default=UUID4())
    module = ForeignKey(references=Module, null=False, index=True, on_delete=OnDelete.restrict)
    language = Varchar(length=35, default="en")
    variant = Varchar(length=12, default="standard")
    number = Integer(default=1)
    status = Varchar(length=12, default="draft")
    title = Varchar(length=200)
    summary = Text(default="")
    body_markdown = Text(default="")
    body_html = Text(default="")
    # [{"attachment": uuid, "label": str}], in the order shown.
    attachments = JSON(default=[])
    created_by = ForeignKey(references=StaffUser, null=True, on_delete=OnDelete.restrict)
    published_at = Timestamptz(null=True, default=None)
    published_by = ForeignKey(references=StaffUser, null=True, on_delete=OnDelete.restrict)
    version = Integer(default=1)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class Attachment(Table):
    """A file stored by the SHA-256 of its bytes (a PDF booklet, an image)."""

    id = UUID(primary_key=True, default=UUID4())
    sha256 = Varchar(length=64, unique=True)
    content_type = Varchar(length=60)
    size_bytes = Integer()
    filename = Varchar(length=200, default="")
    uploaded_by = ForeignKey(references=StaffUser, null=True, on_delete=OnDelete.restrict)
    created_at = Timestamptz(default=TimestamptzNow())


class HomeworkForm(Table):
    """A homework form (worry diary, thought record...), named by its slug."""

    id = UUID(primary_key=True, default=UUID4())
    slug = Varchar(length=80, unique=True)
    created_at = Timestamptz(default=TimestamptzNow())


class HomeworkFormVersion(Table):
    """One version of a form: its ordered fields as data. Status: draft or published."""

    id = UUID(primary_key=True, default=UUID4())
    form = ForeignKey(references=HomeworkForm, null=False, index=True, on_delete=OnDelete.restrict)
    number = Integer(default=1)
    status = Varchar(length=12, default="draft")
    title = Varchar(length=200)
    description = Text(default="")
    kind = Varchar(length=30, default="generic")  # sleep_diary, activity_schedule, ...
    fields = JSON(default=[])
    created_by = ForeignKey(references=StaffUser, null=True, on_delete=OnDelete.restrict)
    published_at = Timestamptz(null=True, default=None)
    published_by = ForeignKey(references=StaffUser, null=True, on_delete=OnDelete.restrict)
    version = Integer(default=1)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class Assignment(Table):
    """A module or homework form given to an enrolment at a session.

    ``kind`` is module or homework; exactly one of ``module_version`` and ``form_version``
    is set. ``catch_up`` marks a patient who missed the session. ``fallback`` says why a
    module variant other than the patient's preference was given ("" when none).
    Unique per (enrolment, session, kind, slug): a corrected register assigns nothing twice.
    """

    id = UUID(primary_key=True, default=UUID4())
    enrolment = ForeignKey(
        references=Enrolment, null=False, index=True, on_delete=OnDelete.restrict
    )
    session = ForeignKey(
        references=GroupSession, null=False, index=True, on_delete=OnDelete.restrict
    )
    kind = Varchar(length=10)
    slug = Varchar(length=80)
    module_version = ForeignKey(references=ModuleVersion, null=True, on_delete=OnDelete.restrict)
    form_version = ForeignKey(
        references=HomeworkFormVersion, null=True, on_delete=OnDelete.restrict
    )
    fallback = Varchar(length=40, default="")
    catch_up = Boolean(default=False)
    due_at = Timestamptz()
    assigned_at = Timestamptz()
    assigned_by = ForeignKey(references=StaffUser, null=True, on_delete=OnDelete.restrict)


class HomeworkSubmission(Table):
    """A patient's answers to a homework assignment (one per assignment).

    Status: draft (saved, editable) or submitted (final). ``entered_by`` is the
    facilitator who typed in a paper diary (null when the patient did). ``derived``
    holds the server's figures (sleep efficiency, activity totals). ``comment`` is the
    facilitator's short note the patient will see.
    """

    id = UUID(primary_key=True, default=UUID4())
    assignment = ForeignKey(
        references=Assignment, null=False, unique=True, on_delete=OnDelete.restrict
    )
    status = Varchar(length=12, default="draft")
    answers = JSON(default={})
    derived = JSON(default={})
    entered_by = ForeignKey(references=StaffUser, null=True, on_delete=OnDelete.restrict)
    submitted_at = Timestamptz(null=True, default=None)
    comment = Text(default="")
    comment_by = ForeignKey(references=StaffUser, null=True, on_delete=OnDelete.restrict)
    comment_at = Timestamptz(null=True, default=None)
    version = Integer(default=1)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())
