"""Measure sets: one patient's answers to one instrument at one session.

Entered by a facilitator (one set, or a whole group's in one request) or submitted by the
patient. The server validates and scores (``groups.rules.scoring``); a client total is an
unknown field. One set per patient per instrument per session (a unique index): a second
submission for that slot is a correction, keeping the old answers in a
``MeasureSetRevision`` and raising the version; the same answers again change nothing (a
retry). A set showing risk raises its one alert in the same transaction
(``groups.risk_alerts``); a correction annotates an existing alert instead.
"""

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

from api.core.actor import Actor, Role
from api.core.database import for_update, write_transaction
from api.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from api.core.schemas import DEFAULT_PAGE_SIZE, Page, decode_cursor, encode_cursor
from api.identity import audit
from groups import risk_alerts
from groups.access import Side, facilitates_patient, require_group_access
from groups.rules.instruments import instrument as instrument_named
from groups.rules.scoring import AnswersInvalid, Score, score
from groups.schemas.measures import MeasureBatchRead, MeasureSetCreate, MeasureSetRead
from groups.supervision_flags import refresh_clinical_flags
from groups.tables import (
    Enrolment,
    GroupSession,
    MeasureSet,
    MeasureSetRevision,
    Patient,
    RiskAlert,
)

ENTITY = "measure_set"
# Enrolments a score may be recorded for: in the group now, or ended (services ask a
# dropout for a last score). Invited, waitlisted and declined patients are not in a session.
SCORABLE_STATUSES = ("active", "completed", "discharged", "stepped_up", "dropped_out")

_READ_COLUMNS = (
    MeasureSet.id,
    MeasureSet.enrolment.as_alias("enrolment_id"),
    MeasureSet.session.as_alias("session_id"),
    MeasureSet.instrument,
    MeasureSet.answers,
    MeasureSet.total,
    MeasureSet.prorated,
    MeasureSet.blank_items,
    MeasureSet.source,
    MeasureSet.entered_by.as_alias("entered_by_id"),
    MeasureSet.version,
    MeasureSet.created_at,
    MeasureSet.updated_at,
)


@dataclass(frozen=True)
class _Scored:
    """A request set that passed validation, with the server's score."""

    enrolment_id: UUID
    score: Score


def loaded_answers(value: Any) -> list[int | None]:
    """Answers as stored (JSON text on SQLite selects, a list once loaded)."""
    loaded = json.loads(value) if isinstance(value, str) else value
    return list(loaded or [])


def read_model(row: Mapping[str, Any], risk_alert_id: UUID | None) -> MeasureSetRead:
    """The stored row as staff read it, with its band and caseness from the instrument."""
    definition = instrument_named(row["instrument"])
    total = row["total"]
    return MeasureSetRead.model_validate(
        {
            **row,
            "answers": loaded_answers(row["answers"]),
            "band": None if total is None else definition.band_of(total),
            "at_caseness": None if total is None else definition.is_case(total),
            "risk_alert_id": risk_alert_id,
        }
    )


async def _session_group(session_id: UUID) -> UUID:
    row = (
        await GroupSession.select(GroupSession.group, GroupSession.status)
        .where(GroupSession.id == session_id)
        .first()
    )
    if row is None:
        raise NotFound("No session with this id.")
    if row["status"] == "cancelled":
        raise Conflict("This session was cancelled: no measures can be recorded for it.")
    group_id: UUID = row["group"]
    return group_id


async def _check_enrolments(
    group_id: UUID, enrolment_ids: Sequence[UUID], fields: Sequence[str]
) -> None:
    """Every enrolment is in the session's group with a scorable status (one query)."""
    rows = await Enrolment.select(Enrolment.id, Enrolment.status).where(
        (Enrolment.group == group_id) & Enrolment.id.is_in(list(set(enrolment_ids)))
    )
    status_of = {row["id"]: row["status"] for row in rows}
    errors = []
    for enrolment_id, field in zip(enrolment_ids, fields, strict=True):
        status = status_of.get(enrolment_id)
        if status is None:
            errors.append({"field": field, "reason": "is not enrolled in this session's group"})
        elif status not in SCORABLE_STATUSES:
            errors.append({"field": field, "reason": f"is {status}: not taking part in sessions"})
    if errors:
        raise InvalidInput(errors)


def _scored(new: MeasureSetCreate, prefix: str = "") -> _Scored:
    definition = instrument_named(str(new.instrument))
    try:
        result = score(definition, new.answers, allow_blanks=new.paper)
    except AnswersInvalid as error:
        raise InvalidInput(
            [{"field": f"{prefix}{e['field']}", "reason": e["reason"]} for e in error.errors]
        ) from error
    return _Scored(new.enrolment_id, result)


def _risk_note(old_answers: Sequence[int | None], scored: Score) -> dict[str, Any]:
    definition = instrument_named(scored.instrument)
    return {
        "change": "answers corrected",
        "risk_items": [
            {"item": n, "before": old_answers[n - 1], "after": scored.answers[n - 1]}
            for n in definition.risk_items
        ],
    }


def _values(result: Score, *, source: str, by: Actor) -> dict[str, Any]:
    return {
        "answers": list(result.answers),
        "total": result.total,
        "prorated": result.prorated,
        "blank_items": result.blank_items,
        "source": source,
        "entered_by": by.user_id,
    }


async def _correct(
    row: Mapping[str, Any], scored: _Scored, *, source: str, by: Actor, now: datetime
) -> bool:
    """Inside the write transaction: replace a set's answers, keeping the old; False if same."""
    result = scored.score
    old_answers = loaded_answers(row["answers"])
    if old_answers == list(result.answers):
        return False  # a retry of the same answers: nothing to correct
    await MeasureSetRevision.insert(
        MeasureSetRevision(
            measure_set=row["id"],
            answers=old_answers,
            total=row["total"],
            changed_by=by.user_id,
            changed_at=now,
        )
    )
    values = _values(result, source=source, by=by)
    await MeasureSet.update(
        {
            **{MeasureSet._meta.get_column_by_name(name): v for name, v in values.items()},
            MeasureSet.version: MeasureSet.version + 1,
            MeasureSet.updated_at: now,
        }
    ).where(MeasureSet.id == row["id"])
    await audit.record(by, "measure_set.correct", ENTITY, row["id"], now=now)
    await risk_alerts.annotate_measure_alert(
        row["id"], _risk_note(old_answers, result), by=by, now=now
    )
    return True


async def _store(
    session_id: UUID, batch: Sequence[_Scored], *, source: str, by: Actor, now: datetime
) -> list[tuple[MeasureSetRead, bool]]:
    """Inside the write transaction: create each slot's set or correct it; (read, created).

    New sets go in one insert, skipping any slot already taken (even by a concurrent
    submission that commits first): that one becomes a correction, never a duplicate.
    A batch of a whole group costs a handful of queries plus one audit row per set.
    """
    new_ids = {(one.enrolment_id, one.score.instrument): uuid4() for one in batch}
    await MeasureSet.insert(
        *(
            MeasureSet(
                id=new_ids[(one.enrolment_id, one.score.instrument)],
                enrolment=one.enrolment_id,
                session=session_id,
                instrument=one.score.instrument,
                created_at=now,
                updated_at=now,
                **_values(one.score, source=source, by=by),
            )
            for one in batch
        )
    ).on_conflict(action="DO NOTHING")
    enrolment_ids = list({one.enrolment_id for one in batch})
    slot_rows = await for_update(
        MeasureSet.select(*_READ_COLUMNS).where(
            (MeasureSet.session == session_id) & MeasureSet.enrolment.is_in(enrolment_ids)
        )
    )
    row_of = {(row["enrolment_id"], row["instrument"]): row for row in slot_rows}
    created: dict[UUID, bool] = {}
    for one in batch:
        slot = (one.enrolment_id, one.score.instrument)
        row = row_of[slot]
        created[row["id"]] = row["id"] == new_ids[slot]
        if created[row["id"]]:
            await audit.record(by, "measure_set.create", ENTITY, row["id"], now=now)
        else:
            await _correct(row, one, source=source, by=by, now=now)
        if one.score.shows_risk:
            blank = any(a is None for a in _risk_answers(one.score))
            await risk_alerts.raise_measure_alert(
                row["id"],
                one.enrolment_id,
                reason="risk_item_blank" if blank else "risk_item",
                now=now,
            )
    await refresh_clinical_flags(enrolment_ids, now=now)
    ids = [row_of[(one.enrolment_id, one.score.instrument)]["id"] for one in batch]
    stored = {
        row["id"]: row
        for row in await MeasureSet.select(*_READ_COLUMNS).where(MeasureSet.id.is_in(ids))
    }
    alerts = await RiskAlert.select(RiskAlert.id, RiskAlert.measure_set).where(
        RiskAlert.measure_set.is_in(ids)
    )
    alert_of = {alert["measure_set"]: alert["id"] for alert in alerts}
    return [(read_model(stored[i], alert_of.get(i)), created[i]) for i in ids]


def _risk_answers(result: Score) -> list[int | None]:
    definition = instrument_named(result.instrument)
    return [result.answers[n - 1] for n in definition.risk_items]


async def record_measure_set(
    session_id: UUID, new: MeasureSetCreate, *, by: Actor, now: datetime
) -> tuple[MeasureSetRead, bool]:
    """A facilitator's (or supervisor's) entry of one set: (the set, whether it is new)."""
    group_id = await _session_group(session_id)
    await require_group_access(group_id, by, Side.CLINICAL)
    scored = _scored(new)
    await _check_enrolments(group_id, [new.enrolment_id], ["enrolment_id"])
    async with write_transaction():
        [stored] = await _store(session_id, [scored], source="facilitator", by=by, now=now)
    return stored


def _batch_errors(sets: Sequence[MeasureSetCreate]) -> tuple[list[_Scored], list[dict[str, str]]]:
    scored: list[_Scored] = []
    errors: list[dict[str, str]] = []
    seen: set[tuple[UUID, str]] = set()
    for index, new in enumerate(sets):
        slot = (new.enrolment_id, str(new.instrument))
        if slot in seen:
            errors.append(
                {
                    "field": f"sets.{index}",
                    "reason": f"enrolment {new.enrolment_id}: a second {slot[1]} in this batch",
                }
            )
            continue
        seen.add(slot)
        try:
            scored.append(_scored(new, prefix=f"sets.{index}."))
        except InvalidInput as error:
            errors.extend(
                {"field": e["field"], "reason": f"enrolment {new.enrolment_id}: {e['reason']}"}
                for e in error.extra["errors"]
            )
    return scored, errors


async def record_group_measures(
    session_id: UUID, sets: Sequence[MeasureSetCreate], *, by: Actor, now: datetime
) -> MeasureBatchRead:
    """Every patient's sets at a session in one request: all validated, stored all or none."""
    group_id = await _session_group(session_id)
    await require_group_access(group_id, by, Side.CLINICAL)
    scored, errors = _batch_errors(sets)
    if errors:
        raise InvalidInput(errors)
    await _check_enrolments(
        group_id,
        [new.enrolment_id for new in sets],
        [f"sets.{index}.enrolment_id" for index in range(len(sets))],
    )
    async with write_transaction():
        stored = await _store(session_id, scored, source="group", by=by, now=now)
    return MeasureBatchRead(items=[read for read, _ in stored])


async def submit_patient_measure_set(
    patient_id: UUID,
    session_id: UUID,
    instrument: str,
    answers: Sequence[object],
    *,
    now: datetime,
) -> MeasureSetRead:
    """The patient's own submission (the mobile API): no blanks; a retry changes nothing.

    404 when the patient has no scorable enrolment in the session's group; 400 naming
    each bad item. Audited as the system acting for the patient.
    """
    group_id = await _session_group(session_id)
    row = (
        await Enrolment.select(Enrolment.id)
        .where(
            (Enrolment.group == group_id)
            & (Enrolment.patient == patient_id)
            & Enrolment.status.is_in(list(SCORABLE_STATUSES))
        )
        .first()
    )
    if row is None:
        raise NotFound("No session with this id.")
    try:
        new = MeasureSetCreate(enrolment_id=row["id"], instrument=instrument, answers=list(answers))
    except ValueError as error:
        raise InvalidInput(
            [{"field": "instrument", "reason": "is not a known instrument"}]
        ) from error
    scored = _scored(new)
    async with write_transaction():
        [(stored, _)] = await _store(
            session_id, [scored], source="patient", by=Actor.system(), now=now
        )
    return stored


async def list_session_measures(
    session_id: UUID, *, by: Actor, now: datetime
) -> list[MeasureSetRead]:
    """Every set recorded at a session (bounded by the group's size times the instruments)."""
    group_id = await _session_group_any(session_id)
    await require_group_access(group_id, by, Side.CLINICAL)
    rows = (
        await MeasureSet.select(*_READ_COLUMNS, MeasureSet.enrolment.patient.as_alias("patient_id"))
        .where(MeasureSet.session == session_id)
        .order_by(MeasureSet.enrolment)
        .order_by(MeasureSet.instrument)
    )
    alerts = await RiskAlert.select(RiskAlert.id, RiskAlert.measure_set).where(
        RiskAlert.measure_set.is_in([r["id"] for r in rows] or [uuid4()])
    )
    alert_of = {a["measure_set"]: a["id"] for a in alerts}
    await audit.record_reads(
        by, "patient", sorted({str(r.pop("patient_id")) for r in rows}), now=now
    )
    return [read_model(r, alert_of.get(r["id"])) for r in rows]


async def _session_group_any(session_id: UUID) -> UUID:
    row = await GroupSession.select(GroupSession.group).where(GroupSession.id == session_id).first()
    if row is None:
        raise NotFound("No session with this id.")
    group_id: UUID = row["group"]
    return group_id


async def require_patient_clinical(patient_id: UUID, by: Actor) -> None:
    """404 for no such patient; 403 unless a supervisor or a facilitator of their group."""
    if not await Patient.exists().where(Patient.id == patient_id):
        raise NotFound("No patient with this id.")
    if by.user_id is None or by.has_any(Role.SUPERVISOR):
        return
    if by.has_any(Role.FACILITATOR) and await facilitates_patient(by, patient_id):
        return
    if by.has_any(Role.ADMIN) and not by.has_any(Role.FACILITATOR):
        raise Forbidden("Admins see operational records only, never clinical ones.")
    raise Forbidden("You do not facilitate a group of this patient.")


@dataclass(frozen=True)
class HistoryEntry:
    """One of a patient's stored sets, with its session's number and time."""

    measure_set: MeasureSetRead
    session_number: int
    session_starts_at: datetime
    group_id: UUID


async def patient_history(patient_id: UUID, *, by: Actor, now: datetime) -> list[HistoryEntry]:
    """Every set of the patient, oldest session first (one query; the read audited)."""
    await require_patient_clinical(patient_id, by)
    rows = (
        await MeasureSet.select(
            *_READ_COLUMNS,
            MeasureSet.session.number.as_alias("session_number"),
            MeasureSet.session.starts_at.as_alias("session_starts_at"),
            MeasureSet.enrolment.group.as_alias("group_id"),
        )
        .where(MeasureSet.enrolment.patient == patient_id)
        .order_by(MeasureSet.session.starts_at)
        .order_by(MeasureSet.instrument)
    )
    await audit.record_reads(by, "patient", [str(patient_id)], now=now)
    return [
        HistoryEntry(
            read_model({k: v for k, v in r.items() if k not in HISTORY_EXTRA}, None),
            r["session_number"],
            r["session_starts_at"],
            r["group_id"],
        )
        for r in rows
    ]


HISTORY_EXTRA = ("session_number", "session_starts_at", "group_id")


async def list_patient_measures(
    patient_id: UUID,
    *,
    by: Actor,
    now: datetime,
    cursor: str | None = None,
    limit: int = DEFAULT_PAGE_SIZE,
) -> Page[MeasureSetRead]:
    """A patient's sets, oldest entered first, a page at a time (the read audited)."""
    await require_patient_clinical(patient_id, by)
    query = MeasureSet.select(*_READ_COLUMNS).where(MeasureSet.enrolment.patient == patient_id)
    if cursor is not None:
        after_at, after_id = decode_cursor(cursor, str, str)
        try:
            created_at, last_id = datetime.fromisoformat(after_at), UUID(after_id)
        except ValueError as error:
            raise InvalidInput(
                [{"field": "cursor", "reason": "is not a cursor this API gave"}]
            ) from error
        query = query.where(
            (MeasureSet.created_at > created_at)
            | ((MeasureSet.created_at == created_at) & (MeasureSet.id > last_id))
        )
    rows = await query.order_by(MeasureSet.created_at, MeasureSet.id).limit(limit + 1)
    page = rows[:limit]
    alerts = await RiskAlert.select(RiskAlert.id, RiskAlert.measure_set).where(
        RiskAlert.measure_set.is_in([r["id"] for r in page] or [uuid4()])
    )
    alert_of = {a["measure_set"]: a["id"] for a in alerts}
    await audit.record_reads(by, "patient", [str(patient_id)], now=now)
    next_cursor = None
    if len(rows) > limit:
        last = page[-1]
        next_cursor = encode_cursor(last["created_at"].isoformat(), str(last["id"]))
    return Page[MeasureSetRead](
        items=[read_model(r, alert_of.get(r["id"])) for r in page], next_cursor=next_cursor
    )
