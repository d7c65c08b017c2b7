"""SVG charts of scores (pygal): a patient's PHQ-9 and GAD-7 by session, a group's cohort.

Each chart draws the caseness lines from the instrument data (PHQ-9 10, GAD-7 8). The SVG
carries pygal's inline configuration script but loads nothing from elsewhere (``js=[]``).
Staff with clinical access only: the group's facilitators and supervisors.
"""

import sys
from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import datetime
from statistics import mean
from uuid import UUID

import pygal  # type: ignore[import-untyped]
from pygal.style import Style  # type: ignore[import-untyped]

from api.core.actor import Actor
from groups.access import Side, require_group_access
from groups.measures import patient_history
from groups.rules.instruments import GAD7, PHQ9, Instrument
from groups.tables import MeasureSet

# pygal appends a sys.meta_path finder (for its map plugins, unused here) that has no
# find_spec: every later import of a missing optional module then warns (ImportWarning),
# and warnings are errors in the tests. Take it back out.
sys.meta_path[:] = [f for f in sys.meta_path if type(f).__name__ != "PluginImportFixer"]

SVG_MEDIA_TYPE = "image/svg+xml"
CHARTED = (PHQ9, GAD7)
_STYLE = Style(colors=("#005eb8", "#007f3b", "#8a1538", "#ed8b00"))  # NHS blue, green...


def _caseness(instrument: Instrument) -> int:
    assert instrument.caseness is not None  # noqa: S101 - only instruments with one are charted
    return instrument.caseness


def render_scores(
    title: str, labels: Sequence[str], series: Mapping[str, Sequence[float | None]]
) -> str:
    """A line chart of PHQ-9 and GAD-7 over ``labels`` with both caseness lines."""
    chart = pygal.Line(
        js=[],
        style=_STYLE,
        title=title,
        x_title="Session",
        y_title="Score",
        range=(0, PHQ9.total_max),
        show_dots=True,
        allow_interruptions=True,
        disable_xml_declaration=True,
    )
    chart.x_labels = list(labels)
    for name, values in series.items():
        chart.add(name, list(values))
    for instrument in CHARTED:
        line = _caseness(instrument)
        chart.add(
            f"{instrument.code} caseness ({line})",
            [line] * len(labels),
            show_dots=False,
            stroke_style={"dasharray": "6, 4"},
        )
    svg: str = chart.render(is_unicode=True)
    return svg


async def patient_chart(patient_id: UUID, *, by: Actor, now: datetime) -> str:
    """A patient's PHQ-9 and GAD-7 totals by session (blank where a set has no total)."""
    history = await patient_history(patient_id, by=by, now=now)
    sessions = sorted({(h.session_starts_at, h.session_number) for h in history})
    index = {key: i for i, key in enumerate(sessions)}
    series: dict[str, list[float | None]] = {i.code: [None] * len(sessions) for i in CHARTED}
    for h in history:
        if h.measure_set.instrument in series:
            position = index[(h.session_starts_at, h.session_number)]
            series[h.measure_set.instrument][position] = h.measure_set.total
    labels = [str(number) for _, number in sessions]
    return render_scores("PHQ-9 and GAD-7 by session", labels, series)


async def group_chart(group_id: UUID, *, by: Actor, now: datetime) -> str:
    """A group's cohort: mean PHQ-9 and GAD-7 by session number, with the number scored."""
    await require_group_access(group_id, by, Side.CLINICAL)
    rows = await MeasureSet.select(
        MeasureSet.session.number.as_alias("number"),
        MeasureSet.instrument,
        MeasureSet.total,
    ).where(
        (MeasureSet.session.group == group_id)
        & MeasureSet.total.is_not_null()
        & MeasureSet.instrument.is_in([i.code for i in CHARTED])
    )
    totals: dict[tuple[int, str], list[int]] = defaultdict(list)
    for row in rows:
        totals[(row["number"], row["instrument"])].append(row["total"])
    numbers = sorted({number for number, _ in totals})
    series: dict[str, list[float | None]] = {}
    for instrument in CHARTED:
        series[f"{instrument.code} mean"] = [
            round(mean(totals[(n, instrument.code)]), 1) if totals[(n, instrument.code)] else None
            for n in numbers
        ]
    labels = [f"{n} (n={len(totals[(n, PHQ9.code)])})" for n in numbers]
    return render_scores("Group mean PHQ-9 and GAD-7 by session", labels, series)
