"""Questionnaire instruments as frozen data: items, answer range, bands and thresholds.

Adding an instrument adds an ``Instrument`` value here and nothing else: the one scorer
(``groups.rules.scoring``), the outcome rules and the FHIR export read only this data.
Every number cites its source. Sources:

- [PHQ9] Kroenke K, Spitzer RL, Williams JBW. The PHQ-9: validity of a brief depression
  severity measure. J Gen Intern Med 2001;16(9):606-13 (items, 0-3 answers, bands at
  5, 10, 15, 20).
- [GAD7] Spitzer RL, Kroenke K, Williams JBW, Lowe B. A brief measure for assessing
  generalized anxiety disorder: the GAD-7. Arch Intern Med 2006;166(10):1092-7 (items,
  0-3 answers, bands at 5, 10, 15).
- [WSAS] Mundt JC, Marks IM, Shear MK, Greist JH. The Work and Social Adjustment Scale:
  a simple measure of impairment in functioning. Br J Psychiatry 2002;180:461-4 (five
  items, 0-8 answers; under 10 subclinical, 10-20 significant, over 20 moderately severe
  or worse).
- [NHSTT] NHS England. NHS Talking Therapies for anxiety and depression manual (v7,
  2024), and its measures and data definitions: caseness PHQ-9 >= 10 and GAD-7 >= 8;
  reliable change 6 on PHQ-9 and 4 on GAD-7; a change equal to the value counts.
- [NHSDD] NHS Data Dictionary, PHQ-9 / GAD-7 score data elements: one or two items
  missing, prorate (each takes the mean of the answered items); more, no total.
- [LOINC] LOINC panels 44249-1 (PHQ-9; total 44261-6, items 44250-9..44260-8) and
  69737-5 (GAD-7; total 70274-6, items as listed). Each item's code, in order, was
  checked against published FHIR questionnaires that code the panels' members (among
  them the GAD-7 of HL7's personal health record guide), not against LOINC's own
  release files, which this project does not hold. WSAS has no LOINC panel we cite.
"""

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class AnswerOption:
    """One answer a respondent may give: the integer stored and the words shown."""

    value: int
    label: str


@dataclass(frozen=True)
class Item:
    """One question: its words and, where one exists, its LOINC code."""

    text: str
    loinc: str | None = None


@dataclass(frozen=True)
class Band:
    """A severity band over totals ``low``..``high`` inclusive."""

    low: int
    high: int
    label: str


@dataclass(frozen=True)
class Instrument:
    """A questionnaire: items, the answer range every item shares, and its thresholds.

    ``caseness`` and ``reliable_change`` are None where no cited value is shipped.
    ``risk_items`` are 1-based item numbers whose answer above 0 (or blank on paper)
    raises a risk alert. ``max_prorated_blanks`` is how many blank items still give a
    (prorated) total.
    """

    code: str
    name: str
    stem: str
    items: tuple[Item, ...]
    options: tuple[AnswerOption, ...]
    bands: tuple[Band, ...]
    caseness: int | None = None
    reliable_change: int | None = None
    risk_items: tuple[int, ...] = ()
    max_prorated_blanks: int = 2
    loinc_panel: str | None = None
    loinc_total: str | None = None
    copyright: str = ""

    @property
    def item_min(self) -> int:
        """The lowest answer any item takes."""
        return min(option.value for option in self.options)

    @property
    def item_max(self) -> int:
        """The highest answer any item takes."""
        return max(option.value for option in self.options)

    @property
    def total_min(self) -> int:
        """The lowest possible total."""
        return self.item_min * len(self.items)

    @property
    def total_max(self) -> int:
        """The highest possible total."""
        return self.item_max * len(self.items)

    def band_of(self, total: int) -> str:
        """The severity band's label for a total in range (ValueError outside it)."""
        for band in self.bands:
            if band.low <= total <= band.high:
                return band.label
        raise ValueError(f"{self.code} total {total} is outside {self.total_min}-{self.total_max}")

    def is_case(self, total: int) -> bool | None:
        """Whether the total is at or above caseness; None when the instrument has none."""
        return None if self.caseness is None else total >= self.caseness


# [PHQ9], [GAD7]: the shared frequency scale, 0-3, over the last two weeks.
_FREQUENCY = (
    AnswerOption(0, "Not at all"),
    AnswerOption(1, "Several days"),
    AnswerOption(2, "More than half the days"),
    AnswerOption(3, "Nearly every day"),
)
_PFIZER = (
    "Developed by Drs Robert L. Spitzer, Janet B.W. Williams, Kurt Kroenke and colleagues, "
    "with an educational grant from Pfizer Inc. No permission required to reproduce, "
    "translate, display or distribute."
)

PHQ9 = Instrument(
    code="PHQ-9",
    name="Patient Health Questionnaire (PHQ-9)",
    stem="Over the last 2 weeks, how often have you been bothered by any of the following?",
    items=(
        Item("Little interest or pleasure in doing things", "44250-9"),
        Item("Feeling down, depressed, or hopeless", "44255-8"),
        Item("Trouble falling or staying asleep, or sleeping too much", "44259-0"),
        Item("Feeling tired or having little energy", "44254-1"),
        Item("Poor appetite or overeating", "44251-7"),
        Item(
            "Feeling bad about yourself, or that you are a failure, or have let yourself "
            "or your family down",
            "44258-2",
        ),
        Item(
            "Trouble concentrating on things, such as reading the newspaper or watching television",
            "44252-5",
        ),
        Item(
            "Moving or speaking so slowly that other people could have noticed, or the "
            "opposite: being so fidgety or restless that you have been moving around a lot "
            "more than usual",
            "44253-3",
        ),
        Item(
            "Thoughts that you would be better off dead, or of hurting yourself in some way",
            "44260-8",
        ),
    ),
    options=_FREQUENCY,
    # [PHQ9]: 0-4 minimal, 5-9 mild, 10-14 moderate, 15-19 moderately severe, 20-27 severe.
    bands=(
        Band(0, 4, "minimal"),
        Band(5, 9, "mild"),
        Band(10, 14, "moderate"),
        Band(15, 19, "moderately severe"),
        Band(20, 27, "severe"),
    ),
    caseness=10,  # [NHSTT]
    reliable_change=6,  # [NHSTT]
    risk_items=(9,),  # DESIGN.md, Clinical rules: item 9 above 0 raises a risk alert
    max_prorated_blanks=2,  # [NHSDD]
    loinc_panel="44249-1",  # [LOINC]
    loinc_total="44261-6",  # [LOINC]
    copyright=_PFIZER,
)

GAD7 = Instrument(
    code="GAD-7",
    name="Generalised Anxiety Disorder Assessment (GAD-7)",
    stem="Over the last 2 weeks, how often have you been bothered by the following problems?",
    items=(
        Item("Feeling nervous, anxious or on edge", "69725-0"),
        Item("Not being able to stop or control worrying", "68509-9"),
        Item("Worrying too much about different things", "69733-4"),
        Item("Trouble relaxing", "69734-2"),
        Item("Being so restless that it is hard to sit still", "69735-9"),
        Item("Becoming easily annoyed or irritable", "69689-8"),
        Item("Feeling afraid as if something awful might happen", "69736-7"),
    ),
    options=_FREQUENCY,
    # [GAD7]: 0-4 minimal, 5-9 mild, 10-14 moderate, 15-21 severe.
    bands=(
        Band(0, 4, "minimal"),
        Band(5, 9, "mild"),
        Band(10, 14, "moderate"),
        Band(15, 21, "severe"),
    ),
    caseness=8,  # [NHSTT]
    reliable_change=4,  # [NHSTT]
    max_prorated_blanks=2,  # [NHSDD]
    loinc_panel="69737-5",  # [LOINC]
    loinc_total="70274-6",  # [LOINC]
    copyright=_PFIZER,
)

WSAS = Instrument(
    code="WSAS",
    name="Work and Social Adjustment Scale (WSAS)",
    stem=(
        "People's problems sometimes affect their ability to do certain day-to-day tasks in "
        "their lives. Rate each statement from 0 (not at all impaired) to 8 (very severely "
        "impaired)."
    ),
    items=(
        Item("Because of my problem my ability to work is impaired"),
        Item(
            "Because of my problem my home management (cleaning, tidying, shopping, cooking, "
            "looking after home or children, paying bills) is impaired"
        ),
        Item(
            "Because of my problem my social leisure activities (with other people, e.g. "
            "parties, outings, visits, dating, home entertainment) are impaired"
        ),
        Item(
            "Because of my problem my private leisure activities (done alone, such as "
            "reading, gardening, collecting, sewing, walking alone) are impaired"
        ),
        Item(
            "Because of my problem my ability to form and maintain close relationships with "
            "others, including those I live with, is impaired"
        ),
    ),
    # [WSAS]: 0-8 per item, anchors at 0, 2, 4, 6 and 8.
    options=(
        AnswerOption(0, "Not at all"),
        AnswerOption(1, "Between not at all and slightly"),
        AnswerOption(2, "Slightly"),
        AnswerOption(3, "Between slightly and definitely"),
        AnswerOption(4, "Definitely"),
        AnswerOption(5, "Between definitely and markedly"),
        AnswerOption(6, "Markedly"),
        AnswerOption(7, "Between markedly and very severely"),
        AnswerOption(8, "Very severely"),
    ),
    # [WSAS]: under 10 subclinical, 10-20 significant impairment, over 20 moderately
    # severe or worse.
    bands=(
        Band(0, 9, "subclinical"),
        Band(10, 20, "significant impairment"),
        Band(21, 40, "moderately severe or worse"),
    ),
    # No caseness or reliable-change value is shipped for WSAS (none cited).
    max_prorated_blanks=2,  # [NHSDD] rule applied alike to every instrument (DESIGN.md)
)

INSTRUMENTS: Mapping[str, Instrument] = {i.code: i for i in (PHQ9, GAD7, WSAS)}
INSTRUMENT_CODES: tuple[str, ...] = tuple(INSTRUMENTS)


def instrument(code: str) -> Instrument:
    """The instrument with this code (KeyError for an unknown one)."""
    return INSTRUMENTS[code]
