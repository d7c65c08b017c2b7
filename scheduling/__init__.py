"""Venues, rooms, bookings, the outbox, session calendars and background jobs."""
