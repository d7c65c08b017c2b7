"""The session calendar's services: schedule a group, read, move and cancel its sessions."""

from groups.session_services.changes import cancel_group, cancel_session, move_session
from groups.session_services.reads import get_session, list_group_sessions
from groups.session_services.schedule import commit_schedule, preview_schedule

__all__ = [
    "cancel_group",
    "cancel_session",
    "commit_schedule",
    "get_session",
    "list_group_sessions",
    "move_session",
    "preview_schedule",
]
