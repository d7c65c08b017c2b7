"""Who is acting: passed to every service so it can authorise and audit."""

import enum
from dataclasses import dataclass, field
from uuid import UUID


class Role(enum.StrEnum):
    """Staff roles; one person may hold several."""

    ADMIN = "admin"
    FACILITATOR = "facilitator"
    SUPERVISOR = "supervisor"


STAFF_ROLES = frozenset(Role)


@dataclass(frozen=True, slots=True)
class Actor:
    """A signed-in staff member (or the system itself) and the request they made."""

    user_id: UUID | None
    roles: frozenset[Role] = field(default_factory=frozenset)
    request_id: str | None = None
    session_id: UUID | None = None
    must_change_password: bool = False

    def has_any(self, *roles: Role) -> bool:
        """Whether the actor holds at least one of these roles."""
        return not self.roles.isdisjoint(roles)

    @classmethod
    def system(cls, request_id: str | None = None) -> "Actor":
        """The service itself: CLI commands, scheduled jobs, the demo loader."""
        return cls(user_id=None, request_id=request_id)
