"""Opening hours as an admin types them: each range forwards, no two on a day overlapping.

Pure: the ranges in, the problems out (each naming the entry at fault by its position in
the list the admin sent), so the service can refuse a whole week with every reason at once.
"""

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from scheduling.rules.opening import OpeningRange

MAX_RANGES_PER_DAY = 4  # morning, afternoon, evening and a spare: more is a typing slip
WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


@dataclass(frozen=True, slots=True)
class RangeProblem:
    """Why the entry at ``index`` is refused; ``field`` is empty when the whole entry is."""

    index: int
    field: str
    reason: str


def _label(entry: OpeningRange) -> str:
    return f"{WEEKDAY_NAMES[entry.weekday]} {entry.opens_at:%H:%M}-{entry.closes_at:%H:%M}"


def _overlaps(a: OpeningRange, b: OpeningRange) -> bool:
    # Half-open ranges: 09:00-12:00 and 12:00-17:00 touch but do not overlap.
    return a.opens_at < b.closes_at and b.opens_at < a.closes_at


def opening_hours_problems(
    ranges: Sequence[OpeningRange], *, max_per_day: int = MAX_RANGES_PER_DAY
) -> list[RangeProblem]:
    """Every reason to refuse this week of opening ranges; empty when it is acceptable."""
    problems: list[RangeProblem] = []
    by_day: dict[int, list[int]] = defaultdict(list)
    for index, entry in enumerate(ranges):
        if not 0 <= entry.weekday <= len(WEEKDAY_NAMES) - 1:
            problems.append(RangeProblem(index, "weekday", "must be 0 (Monday) to 6 (Sunday)"))
            continue
        if entry.opens_at >= entry.closes_at:
            problems.append(
                RangeProblem(index, "closes_at", f"must be after opens_at ({entry.opens_at:%H:%M})")
            )
            continue
        by_day[entry.weekday].append(index)
    for weekday, indexes in sorted(by_day.items()):
        if len(indexes) > max_per_day:
            problems.append(
                RangeProblem(
                    indexes[max_per_day],
                    "weekday",
                    f"at most {max_per_day} ranges on a {WEEKDAY_NAMES[weekday]}",
                )
            )
        for position, index in enumerate(indexes):
            earlier = next(
                (i for i in indexes[:position] if _overlaps(ranges[i], ranges[index])), None
            )
            if earlier is not None:
                problems.append(
                    RangeProblem(index, "", f"overlaps entry {earlier} ({_label(ranges[earlier])})")
                )
    return sorted(problems, key=lambda p: (p.index, p.field))
