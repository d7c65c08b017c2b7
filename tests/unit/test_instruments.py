"""Instruments are data: ranges, bands, LOINC codes, and a new instrument needs no code."""

import pytest

from groups.rules.instruments import (
    GAD7,
    INSTRUMENTS,
    PHQ9,
    WSAS,
    AnswerOption,
    Band,
    Instrument,
    Item,
)
from groups.rules.scoring import score


def test_shipped_instruments_are_phq9_gad7_and_wsas() -> None:
    assert list(INSTRUMENTS) == ["PHQ-9", "GAD-7", "WSAS"]


@pytest.mark.parametrize(
    ("instrument", "items", "item_range", "total_range", "caseness", "reliable_change"),
    [
        (PHQ9, 9, (0, 3), (0, 27), 10, 6),
        (GAD7, 7, (0, 3), (0, 21), 8, 4),
        (WSAS, 5, (0, 8), (0, 40), None, None),
    ],
)
def test_instrument_shape_matches_the_clinical_rules(
    instrument: Instrument,
    items: int,
    item_range: tuple[int, int],
    total_range: tuple[int, int],
    caseness: int | None,
    reliable_change: int | None,
) -> None:
    assert len(instrument.items) == items
    assert (instrument.item_min, instrument.item_max) == item_range
    assert (instrument.total_min, instrument.total_max) == total_range
    assert instrument.caseness == caseness
    assert instrument.reliable_change == reliable_change


@pytest.mark.parametrize("instrument", [PHQ9, GAD7, WSAS])
def test_bands_cover_every_total_once_without_gaps(instrument: Instrument) -> None:
    covered = [t for band in instrument.bands for t in range(band.low, band.high + 1)]
    assert covered == list(range(instrument.total_min, instrument.total_max + 1))


@pytest.mark.parametrize(
    ("instrument", "total", "band"),
    [
        (PHQ9, 0, "minimal"),
        (PHQ9, 4, "minimal"),
        (PHQ9, 5, "mild"),
        (PHQ9, 9, "mild"),
        (PHQ9, 10, "moderate"),
        (PHQ9, 14, "moderate"),
        (PHQ9, 15, "moderately severe"),
        (PHQ9, 19, "moderately severe"),
        (PHQ9, 20, "severe"),
        (PHQ9, 27, "severe"),
        (GAD7, 0, "minimal"),
        (GAD7, 4, "minimal"),
        (GAD7, 5, "mild"),
        (GAD7, 9, "mild"),
        (GAD7, 10, "moderate"),
        (GAD7, 14, "moderate"),
        (GAD7, 15, "severe"),
        (GAD7, 21, "severe"),
        (WSAS, 0, "subclinical"),
        (WSAS, 9, "subclinical"),
        (WSAS, 10, "significant impairment"),
        (WSAS, 20, "significant impairment"),
        (WSAS, 21, "moderately severe or worse"),
        (WSAS, 40, "moderately severe or worse"),
    ],
)
def test_band_of_each_cut_off_on_both_sides(instrument: Instrument, total: int, band: str) -> None:
    assert instrument.band_of(total) == band


@pytest.mark.parametrize(("instrument", "total"), [(PHQ9, -1), (PHQ9, 28), (GAD7, 22), (WSAS, 41)])
def test_band_of_a_total_out_of_range_raises(instrument: Instrument, total: int) -> None:
    with pytest.raises(ValueError, match="outside"):
        instrument.band_of(total)


def test_loinc_codes_match_the_published_panels() -> None:
    assert (PHQ9.loinc_panel, PHQ9.loinc_total) == ("44249-1", "44261-6")
    assert [item.loinc for item in PHQ9.items] == [
        "44250-9",
        "44255-8",
        "44259-0",
        "44254-1",
        "44251-7",
        "44258-2",
        "44252-5",
        "44253-3",
        "44260-8",
    ]
    assert (GAD7.loinc_panel, GAD7.loinc_total) == ("69737-5", "70274-6")
    assert all(item.loinc for item in GAD7.items)
    assert WSAS.loinc_panel is None
    assert all(item.loinc is None for item in WSAS.items)


def test_only_phq9_item_9_is_a_risk_item() -> None:
    assert PHQ9.risk_items == (9,)
    assert GAD7.risk_items == WSAS.risk_items == ()


# A made-up anxiety-disorder-specific measure for the test only: four items 0-4, no
# caseness or reliable change (none is shipped without a cited source).
TEST_ADSM = Instrument(
    code="TEST-ADSM",
    name="Test anxiety-disorder-specific measure",
    stem="How much has each bothered you?",
    items=tuple(Item(f"Question {n}") for n in range(1, 5)),
    options=tuple(AnswerOption(v, str(v)) for v in range(5)),
    bands=(Band(0, 7, "low"), Band(8, 16, "high")),
)


def test_an_adsm_is_data_only_the_one_scorer_scores_it() -> None:
    result = score(TEST_ADSM, [4, 4, 0, 1], allow_blanks=False)
    assert (result.total, result.band, result.at_caseness, result.shows_risk) == (
        9,  # 4 + 4 + 0 + 1
        "high",
        None,
        False,
    )
    assert TEST_ADSM.caseness is None
    assert TEST_ADSM.reliable_change is None
