"""Figures the server works out from homework, for the facilitators.

Sleep diary (CBT for insomnia), per night, from wall-clock times that may cross midnight:

- time in bed = out of bed - into bed
- total sleep = (final waking - into bed) - minutes to fall asleep - minutes awake in
  the night, never below 0 nor above the time in bed
- sleep efficiency = total sleep / time in bed x 100, to one decimal place

and over the diary, the mean time in bed, the mean total sleep and the efficiency of the
totals (all sleep over all time in bed; the usual way a CBT-I group pools a week).
A night missing a time needed is shown without figures, and left out of the averages.

Activity schedule: per day, how many activities and the totals of achievement, pleasure
and closeness ratings.
"""

from collections.abc import Mapping, Sequence
from typing import Any

MINUTES_PER_DAY = 24 * 60


def _minutes(clock: Any) -> int | None:
    if not isinstance(clock, str) or len(clock) != 5 or clock[2] != ":":
        return None
    hours, minutes = clock[:2], clock[3:]
    if not (hours.isdigit() and minutes.isdigit()):
        return None
    value = int(hours) * 60 + int(minutes)
    return value if int(hours) < 24 and int(minutes) < 60 else None


def _after(start: int, end: int) -> int:
    """Minutes from one wall-clock time to the next time the clock shows another."""
    return (end - start) % MINUTES_PER_DAY


def _whole(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0


def sleep_night(row: Mapping[str, Any]) -> dict[str, Any]:
    """One night's figures (None where a needed time is missing)."""
    into_bed = _minutes(row.get("bed_time"))
    waking = _minutes(row.get("final_wake_time"))
    out_of_bed = _minutes(row.get("out_of_bed_time"))
    figures: dict[str, Any] = {
        "date": row.get("date"),
        "time_in_bed_minutes": None,
        "total_sleep_minutes": None,
        "sleep_efficiency_percent": None,
    }
    if into_bed is None or out_of_bed is None:
        return figures
    in_bed = _after(into_bed, out_of_bed)
    figures["time_in_bed_minutes"] = in_bed
    if waking is None:
        return figures
    window = min(_after(into_bed, waking), in_bed)
    asleep = window - _whole(row.get("minutes_to_sleep")) - _whole(row.get("minutes_awake"))
    asleep = max(0, min(asleep, in_bed))
    figures["total_sleep_minutes"] = asleep
    if in_bed > 0:
        figures["sleep_efficiency_percent"] = round(100 * asleep / in_bed, 1)
    return figures


def sleep_diary(rows: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Per night, and the averages over the nights that have all three figures."""
    nights = [sleep_night(row) for row in rows if isinstance(row, Mapping)]
    complete = [
        night
        for night in nights
        if night["total_sleep_minutes"] is not None and night["time_in_bed_minutes"]
    ]
    average: dict[str, Any] = {
        "nights": len(complete),
        "time_in_bed_minutes": None,
        "total_sleep_minutes": None,
        "sleep_efficiency_percent": None,
    }
    if complete:
        in_bed = sum(night["time_in_bed_minutes"] for night in complete)
        asleep = sum(night["total_sleep_minutes"] for night in complete)
        average["time_in_bed_minutes"] = round(in_bed / len(complete), 1)
        average["total_sleep_minutes"] = round(asleep / len(complete), 1)
        average["sleep_efficiency_percent"] = round(100 * asleep / in_bed, 1)
    return {"nights": nights, "average": average}


RATINGS = ("achievement", "pleasure", "closeness")


def activity_totals(rows: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Per day (in date order; rows without a day under null), the count and rating totals."""
    days: dict[str | None, dict[str, Any]] = {}
    for row in rows:
        if not isinstance(row, Mapping):
            continue
        day = row.get("day") if isinstance(row.get("day"), str) else None
        totals = days.setdefault(
            day, {"day": day, "activities": 0, **{rating: 0 for rating in RATINGS}}
        )
        totals["activities"] += 1
        for rating in RATINGS:
            totals[rating] += _whole(row.get(rating))
    ordered = sorted(days.values(), key=lambda totals: (totals["day"] is None, totals["day"] or ""))
    return {"days": ordered}


def derived_figures(kind: str, answers: Mapping[str, Any]) -> dict[str, Any]:
    """The figures for a form of this kind (sleep_diary, activity_schedule), else none."""
    if kind == "sleep_diary":
        rows = answers.get("nights")
        return sleep_diary(rows if isinstance(rows, list) else [])
    if kind == "activity_schedule":
        rows = answers.get("activities")
        return activity_totals(rows if isinstance(rows, list) else [])
    return {}
