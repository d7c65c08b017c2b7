"""Reads of groups and enrolments that join several tables.

The group detail, enrolment lists and waiting lists; the writes live in groups.groups
and groups.enrolments.
"""
