"""Courses, groups, sessions, patients, enrolment, attendance, measures and outcomes."""
