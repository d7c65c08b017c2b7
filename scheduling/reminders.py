"""Session reminders, recomputed from the tables on every run (the reminders job's service).

Each run looks at the scheduled sessions of scheduled or running groups that start
within the longest offset ahead (or began within it), decides each of their reminders
(``scheduling.rules.reminders.decide``), skips the ones the ledger says were handled,
and queues one message per place-holding enrolment and consented channel. A run that
comes late (the process was down) sends the latest overdue reminder that is still
useful, records the earlier ones as superseded, and records reminders for sessions that
have already begun as dropped. Dedup keys and the ledger's unique key make every
reminder happen once, however many schedulers run.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from api.core.database import write_transaction
from api.core.settings import get_settings
from groups.rules.enrolment import PLACE_HOLDING, holds_place
from groups.tables import Enrolment, GroupSession
from scheduling.booking_queries import service_zone
from scheduling.jobs.recipients import contact_columns, patient_preferences
from scheduling.outbox import OutgoingMessage, queue_messages
from scheduling.rules import reminders as rules
from scheduling.rules.channels import EMAIL, IN_APP, SMS, consented_channels
from scheduling.tables import ReminderLedger

ACTIVE_GROUP_STATUSES = ("scheduled", "running")
# Queue a reminder this long before it is due, so the dispatcher has it on time.
AHEAD = timedelta(minutes=15)
CHUNK = 200  # sessions per transaction


@dataclass(frozen=True)
class ReminderKind:
    """A message sent at offsets before each session: its template and key segment."""

    template_key: str
    segment: str  # in the dedup and ledger keys: "reminder", "questionnaire"
    with_venue: bool


SESSION_REMINDER = ReminderKind("session_reminder", "reminder", with_venue=True)
QUESTIONNAIRE_NUDGE = ReminderKind("questionnaire_nudge", "questionnaire", with_venue=False)


def _version(session: dict[str, Any]) -> str:
    """A moved session (sequence raised) is a new occasion: its reminders are new ones."""
    sequence = session.get("sequence") or 0
    return f":v{sequence}" if sequence else ""


def _ledger_key(kind: ReminderKind, session: dict[str, Any], label: str) -> str:
    # Session reminders keep the plain "<session>:<offset>" key.
    if kind is SESSION_REMINDER:
        return f"{session['id']}:{label}{_version(session)}"
    return f"{session['id']}:{kind.segment}:{label}{_version(session)}"


@dataclass
class ReminderReport:
    """What one run did."""

    messages: int = 0
    queued: int = 0
    superseded: int = 0
    dropped: int = 0
    sessions: set[UUID] = field(default_factory=set)


def reminder_key(
    group_id: Any,
    session_id: Any,
    label: str,
    enrolment_id: Any,
    channel: str,
    segment: str = "reminder",
) -> str:
    """The dedup key: group, then session, so cancelling either cancels the reminder."""
    return f"group:{group_id}:session:{session_id}:{segment}:{label}:{enrolment_id}:{channel}"


def reminder_channels(preferences: Any) -> list[str]:
    """One message a person will see (SMS, else email) and the app's inbox if they use it."""
    consented = consented_channels(preferences)
    chosen = [channel for channel in (SMS, EMAIL) if channel in consented][:1]
    if IN_APP in consented:
        chosen.append(IN_APP)
    return chosen


def configured_offsets() -> list[rules.Offset]:
    """The offsets from settings (STEPWISE_REMINDER_OFFSETS, default ["2d", "2h"])."""
    return [rules.parse_offset(text) for text in get_settings().messaging.reminder_offsets]


async def _sessions(now: datetime, longest: timedelta) -> list[dict[str, Any]]:
    return await GroupSession.select(
        GroupSession.id,
        GroupSession.group,
        GroupSession.starts_at,
        GroupSession.sequence,
        GroupSession.group._.venue._.name.as_alias("venue_name"),
    ).where(
        (GroupSession.status == "scheduled")
        & GroupSession.group.status.is_in(list(ACTIVE_GROUP_STATUSES))
        & (GroupSession.starts_at > now - longest)
        & (GroupSession.starts_at <= now + longest + AHEAD)
    )


async def _enrolments(group_ids: list[Any], now: datetime) -> dict[Any, list[dict[str, Any]]]:
    rows = await Enrolment.select(
        Enrolment.id,
        Enrolment.group,
        Enrolment.status,
        Enrolment.invitation_expires_at,
        Enrolment.patient.id.as_alias("patient_id"),
        *contact_columns(Enrolment.patient),
    ).where(
        Enrolment.group.is_in(group_ids) & Enrolment.status.is_in([str(s) for s in PLACE_HOLDING])
    )
    by_group: dict[Any, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        if holds_place(row["status"], row["invitation_expires_at"], now=now):
            by_group[row["group"]].append(row)
    return by_group


def _messages(
    kind: ReminderKind,
    session: dict[str, Any],
    decision: rules.Decision,
    enrolments: list[dict[str, Any]],
    now: datetime,
) -> list[OutgoingMessage]:
    zone = service_zone()
    messages = []
    for enrolment in enrolments:
        language = enrolment["preferred_language"] or "en"
        parameters = {
            "name": enrolment["preferred_name"] or enrolment["given_name"],
            "starts": rules.spoken_time(session["starts_at"], zone, language),
        }
        if kind.with_venue:
            parameters["venue"] = session["venue_name"]
        for channel in reminder_channels(patient_preferences(enrolment)):
            messages.append(
                OutgoingMessage(
                    recipient_kind="patient",
                    recipient_id=str(enrolment["patient_id"]),
                    channel=channel,
                    template_key=kind.template_key,
                    dedup_key=reminder_key(
                        session["group"],
                        session["id"],
                        decision.offset.label,
                        enrolment["id"],
                        channel,
                        kind.segment,
                    )
                    + _version(session),
                    due_at=max(decision.due_at, now),
                    parameters=parameters,
                    language=language,
                    expires_at=session["starts_at"],
                )
            )
    return messages


async def _handle_chunk(
    kind: ReminderKind,
    chunk: list[tuple[dict[str, Any], rules.Decision]],
    now: datetime,
    report: ReminderReport,
) -> None:
    keys = {_ledger_key(kind, session, decision.offset.label) for session, decision in chunk}
    async with write_transaction():
        done = {
            row["key"]
            for row in await ReminderLedger.select(ReminderLedger.key).where(
                ReminderLedger.key.is_in(list(keys))
            )
        }
        todo = [(s, d) for s, d in chunk if _ledger_key(kind, s, d.offset.label) not in done]
        if not todo:
            return
        enrolments = await _enrolments(list({session["group"] for session, _ in todo}), now)
        ledger = []
        outgoing: list[OutgoingMessage] = []
        for session, decision in todo:
            messages = _messages(kind, session, decision, enrolments.get(session["group"], []), now)
            outcome = {
                "queue": "queued",
                "superseded": "superseded",
                "session_started": "session_started",
            }[decision.action]
            if decision.action == rules.QUEUE:
                outgoing.extend(messages)
                report.queued += 1
                report.messages += len(messages)
            elif decision.action == rules.SUPERSEDED:
                report.superseded += 1
            else:
                report.dropped += 1
            report.sessions.add(session["id"])
            ledger.append(
                ReminderLedger(
                    key=_ledger_key(kind, session, decision.offset.label),
                    session_id=str(session["id"]),
                    offset_label=decision.offset.label,
                    outcome=outcome,
                    messages=len(messages),
                    handled_at=now,
                )
            )
        await queue_messages(outgoing, now=now)
        await ReminderLedger.insert(*ledger).on_conflict(
            target=ReminderLedger.key, action="DO NOTHING"
        )


async def queue_session_reminders(
    *, now: datetime, offsets: list[rules.Offset] | None = None
) -> ReminderReport:
    """Queue the reminders due by now (and in the next few minutes); record the rest."""
    offsets = offsets if offsets is not None else configured_offsets()
    return await _queue_before_sessions(SESSION_REMINDER, offsets, now=now)


async def queue_questionnaire_nudges(
    *, now: datetime, offsets: list[rules.Offset] | None = None
) -> ReminderReport:
    """Nudge everyone holding a place to fill in the session's questionnaire in the app.

    Everyone, including a patient who missed the last session, so the service still gets
    a last score if they do not come back. Default: one day before (settings).
    """
    if offsets is None:
        texts = get_settings().messaging.questionnaire_nudge_offsets
        offsets = [rules.parse_offset(text) for text in texts]
    return await _queue_before_sessions(QUESTIONNAIRE_NUDGE, offsets, now=now)


async def _queue_before_sessions(
    kind: ReminderKind, offsets: list[rules.Offset], *, now: datetime
) -> ReminderReport:
    report = ReminderReport()
    if not offsets:
        return report
    longest = max(offset.approximate for offset in offsets)
    zone = service_zone()
    pending: list[tuple[dict[str, Any], rules.Decision]] = []
    for session in await _sessions(now, longest):
        for decision in rules.decide(
            session["starts_at"], offsets, now=now, ahead=AHEAD, zone=zone
        ):
            pending.append((session, decision))
    for start in range(0, len(pending), CHUNK):
        await _handle_chunk(kind, pending[start : start + CHUNK], now, report)
    return report
