"""Identity and audit: staff accounts, sign-in sessions, login throttling, the audit log."""
