"""Keeping each enrolment's clinical supervision flags up to date.

The flags that follow from the clinical record (an open risk alert, a severe latest
score, no reliable improvement by session 4; ``groups.rules.supervision``) live on the
enrolment row, so the supervision list reads columns whatever the length of anyone's
history. They are worked out again:

- inside every write that can change them (a measure set stored or corrected, a risk
  alert raised or acknowledged, a session moved), for the enrolments it touched, in that
  write's transaction, so the list is right the moment the write commits;
- nightly, and when the scheduler starts, for every enrolment still listed: the safety
  net for anything written around the services (an import, a restore, a migration).

Working them out costs one query for the facts (per instrument: the first and latest
scored measure set by session time, and how many; open alerts) and one statement for the
rows whose flags changed.
"""

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from api.core.database import is_postgres, write_transaction
from api.core.prepared import run_many
from groups.rules import supervision as rules
from groups.tables import Enrolment

# Enrolments the supervision list shows; the nightly refresh covers these.
LISTED_STATUSES = ("active", "opted_in")
# Enrolments worked out per statement by the nightly refresh (bounded memory and locks).
REFRESH_BATCH = 500


def _scored(instrument: str, what: str, order: str = "") -> str:
    # Constants only are joined into the text (instrument codes from the rules module).
    tail = f" ORDER BY gs.starts_at {order}, gs.number {order} LIMIT 1" if order else ""
    return (
        f"(SELECT {what} FROM measure_set ms JOIN group_session gs ON gs.id = ms.session "  # noqa: S608
        f"WHERE ms.enrolment = e.id AND ms.instrument = '{instrument}' "
        f"AND ms.total IS NOT NULL{tail})"
    )


_FACTS = f"""
SELECT e.id AS enrolment_id,
       e.has_open_risk_alert AS has_open_risk_alert, e.has_severe_score AS has_severe_score,
       e.lacks_reliable_improvement AS lacks_reliable_improvement,
       e.latest_phq9 AS latest_phq9, e.latest_gad7 AS latest_gad7,
       (SELECT COUNT(*) FROM risk_alert ra
         WHERE ra.enrolment = e.id AND ra.status = 'open') AS open_alerts,
       {_scored(rules.PHQ9, "ms.total", "ASC")} AS first_phq9,
       {_scored(rules.PHQ9, "ms.total", "DESC")} AS newest_phq9,
       {_scored(rules.PHQ9, "COUNT(*)")} AS phq9_sets,
       {_scored(rules.GAD7, "ms.total", "ASC")} AS first_gad7,
       {_scored(rules.GAD7, "ms.total", "DESC")} AS newest_gad7,
       {_scored(rules.GAD7, "COUNT(*)")} AS gad7_sets,
       (SELECT MAX(gs.number) FROM measure_set ms JOIN group_session gs ON gs.id = ms.session
         WHERE ms.enrolment = e.id AND ms.instrument IN ('{rules.PHQ9}', '{rules.GAD7}')
           AND ms.total IS NOT NULL) AS latest_scored_session
  FROM enrolment e"""  # noqa: S608 - constants only

_UPDATE = (
    "UPDATE enrolment SET has_open_risk_alert = {}, has_severe_score = {}, "
    "lacks_reliable_improvement = {}, latest_phq9 = {}, latest_gad7 = {}, "
    "clinical_flags_refreshed_at = {} WHERE id = {}"
)
_LISTED = ", ".join(f"'{status}'" for status in LISTED_STATUSES)


def _uuid(value: Any) -> UUID:
    return value if isinstance(value, UUID) else UUID(str(value))


def _worked_out(row: dict[str, Any]) -> rules.ClinicalFlags:
    return rules.clinical_flags(
        rules.FlagFacts(
            open_alerts=row["open_alerts"],
            phq9=rules.Scores(row["first_phq9"], row["newest_phq9"], row["phq9_sets"] or 0),
            gad7=rules.Scores(row["first_gad7"], row["newest_gad7"], row["gad7_sets"] or 0),
            latest_scored_session=row["latest_scored_session"],
        )
    )


def stored_flags(row: dict[str, Any]) -> rules.ClinicalFlags:
    """The flags as stored, from a row holding the enrolment's flag columns by name."""
    return rules.ClinicalFlags(
        open_risk_alert=bool(row["has_open_risk_alert"]),
        severe_score=bool(row["has_severe_score"]),
        no_reliable_improvement=bool(row["lacks_reliable_improvement"]),
        latest_phq9=row["latest_phq9"],
        latest_gad7=row["latest_gad7"],
    )


async def _write(changed: Sequence[tuple[UUID, rules.ClinicalFlags]], *, now: datetime) -> None:
    """Store the changed rows' flags: one executemany inside a transaction."""
    if not changed:
        return
    placeholders = [f"${number}" for number in range(1, 8)] if is_postgres() else ["?"] * 7
    sql = _UPDATE.format(*placeholders)
    rows = [
        (
            flags.open_risk_alert,
            flags.severe_score,
            flags.no_reliable_improvement,
            flags.latest_phq9,
            flags.latest_gad7,
            now,
            enrolment_id,
        )
        for enrolment_id, flags in changed
    ]
    if await run_many(sql, rows):
        return
    for enrolment_id, flags in changed:  # outside a transaction: Piccolo, row by row
        await Enrolment.update(
            {
                Enrolment.has_open_risk_alert: flags.open_risk_alert,
                Enrolment.has_severe_score: flags.severe_score,
                Enrolment.lacks_reliable_improvement: flags.no_reliable_improvement,
                Enrolment.latest_phq9: flags.latest_phq9,
                Enrolment.latest_gad7: flags.latest_gad7,
                Enrolment.clinical_flags_refreshed_at: now,
            }
        ).where(Enrolment.id == enrolment_id)


async def _refresh_rows(rows: list[dict[str, Any]], *, now: datetime) -> int:
    changed = []
    for row in rows:
        flags = _worked_out(row)
        if flags != stored_flags(row):
            enrolment_id = row["enrolment_id"]
            changed.append((_uuid(enrolment_id), flags))
    await _write(changed, now=now)
    return len(changed)


async def refresh_clinical_flags(enrolment_ids: Collection[UUID], *, now: datetime) -> int:
    """Inside the caller's write: work out these enrolments' flags again; how many changed."""
    ids = sorted(set(enrolment_ids))
    if not ids:
        return 0
    marks = ", ".join("{}" for _ in ids)
    rows: list[dict[str, Any]] = await Enrolment.raw(f"{_FACTS} WHERE e.id IN ({marks})", *ids)
    return await _refresh_rows(rows, now=now)


async def refresh_group_clinical_flags(group_id: UUID, *, now: datetime) -> int:
    """Inside the caller's write: every listed enrolment of a group (a session moved)."""
    rows: list[dict[str, Any]] = await Enrolment.raw(
        f'{_FACTS} WHERE e."group" = {{}} AND e.status IN ({_LISTED})', group_id
    )
    return await _refresh_rows(rows, now=now)


async def refresh_all_clinical_flags(*, now: datetime) -> int:
    """The nightly refresh: every listed enrolment, a batch per transaction; how many changed."""
    changed = 0
    after: UUID | None = None
    while True:
        where = f" WHERE e.status IN ({_LISTED})"
        args: list[Any] = []
        if after is not None:
            where += " AND e.id > {}"
            args.append(after)
        async with write_transaction():
            rows: list[dict[str, Any]] = await Enrolment.raw(
                f"{_FACTS}{where} ORDER BY e.id LIMIT {REFRESH_BATCH}", *args
            )
            changed += await _refresh_rows(rows, now=now)
        if len(rows) < REFRESH_BATCH:
            return changed
        after = _uuid(rows[-1]["enrolment_id"])
