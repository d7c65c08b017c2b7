"""Refusals of the materials app, each a problem+json with a stable code."""

from api.core.errors import Conflict, DomainError


class VersionPublished(Conflict):
    """A published module or form version is frozen: edit by making a new draft."""

    code = "version-published"
    title = "Published versions never change"


class DraftExists(Conflict):
    """One draft per module variant (or form) at a time: edit the draft there is."""

    code = "draft-exists"
    title = "A draft version already exists"


class DuplicateSlug(Conflict):
    """The slug is taken (module and form slugs are unique)."""

    code = "duplicate-slug"
    title = "This slug is already taken"


class SubmissionFinal(Conflict):
    """A submitted homework is final."""

    code = "submission-final"
    title = "This homework has been submitted"


class AttachmentTooLarge(DomainError):
    """Over the configured attachment size."""

    code = "attachment-too-large"
    title = "The file is too large"
    status = 413


class UnsupportedAttachment(DomainError):
    """Bytes that are not a PDF, PNG, JPEG or WebP (whatever the name or header says)."""

    code = "unsupported-attachment"
    title = "Only PDF, PNG, JPEG and WebP files can be attached"
    status = 415
