"""Calendar feeds (RFC 5545): secret, revocable URLs of staff, venue and patient calendars."""
