"""Sleep diary figures: time in bed, total sleep and efficiency, across midnight."""

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from materials.rules.figures import activity_totals, derived_figures, sleep_diary, sleep_night


def night(**fields: Any) -> dict[str, Any]:
    return {
        "date": "2027-01-11",
        "bed_time": "23:00",
        "minutes_to_sleep": 30,
        "minutes_awake": 30,
        "final_wake_time": "06:30",
        "out_of_bed_time": "07:00",
        **fields,
    }


def test_a_night_across_midnight() -> None:
    # In bed 23:00-07:00 = 480; asleep window 23:00-06:30 = 450 - 30 - 30 = 390; 390/480.
    assert sleep_night(night()) == {
        "date": "2027-01-11",
        "time_in_bed_minutes": 480,
        "total_sleep_minutes": 390,
        "sleep_efficiency_percent": 81.2,
    }


def test_a_night_after_midnight_and_a_daytime_sleep() -> None:
    late = sleep_night(night(bed_time="01:15", final_wake_time="08:15", out_of_bed_time="09:15"))
    day = sleep_night(
        night(bed_time="09:00", final_wake_time="15:00", out_of_bed_time="15:00", minutes_awake=0)
    )
    # 01:15-09:15 = 480 in bed; 01:15-08:15 = 420 - 60 = 360.
    assert (late["time_in_bed_minutes"], late["total_sleep_minutes"]) == (480, 360)
    # A night shift worker: 09:00-15:00 = 360 in bed, 360 - 30 = 330, 91.7 %.
    assert (day["total_sleep_minutes"], day["sleep_efficiency_percent"]) == (330, 91.7)


def test_missing_times_give_no_figures_and_leave_the_night_out_of_the_average() -> None:
    diary = sleep_diary([night(), night(final_wake_time=None), night(out_of_bed_time="")])
    assert [n["total_sleep_minutes"] for n in diary["nights"]] == [390, None, None]
    assert diary["nights"][1]["time_in_bed_minutes"] == 480
    assert diary["average"] == {
        "nights": 1,
        "time_in_bed_minutes": 480.0,
        "total_sleep_minutes": 390.0,
        "sleep_efficiency_percent": 81.2,
    }


def test_weekly_average_pools_the_totals() -> None:
    # 390/480 and 240/480: 630 / 960 = 65.6 %; means 480 and 315.
    diary = sleep_diary([night(), night(minutes_to_sleep=120, minutes_awake=90)])
    assert diary["average"] == {
        "nights": 2,
        "time_in_bed_minutes": 480.0,
        "total_sleep_minutes": 315.0,
        "sleep_efficiency_percent": 65.6,
    }


def test_more_minutes_awake_than_in_bed_is_no_sleep_not_negative() -> None:
    assert sleep_night(night(minutes_to_sleep=600))["total_sleep_minutes"] == 0


def test_an_empty_diary_has_no_averages() -> None:
    assert sleep_diary([])["average"]["sleep_efficiency_percent"] is None


_clock = st.builds(lambda h, m: f"{h:02d}:{m:02d}", st.integers(0, 23), st.integers(0, 59))


@given(_clock, _clock, _clock, st.integers(0, 720), st.integers(0, 720))
def test_sleep_is_never_negative_nor_more_than_time_in_bed(
    bed: str, wake: str, up: str, latency: int, awake: int
) -> None:
    figures = sleep_night(
        night(
            bed_time=bed,
            final_wake_time=wake,
            out_of_bed_time=up,
            minutes_to_sleep=latency,
            minutes_awake=awake,
        )
    )
    in_bed = figures["time_in_bed_minutes"]
    assert 0 <= in_bed < 24 * 60
    assert 0 <= figures["total_sleep_minutes"] <= in_bed
    if in_bed:
        assert 0 <= figures["sleep_efficiency_percent"] <= 100
    else:
        assert figures["sleep_efficiency_percent"] is None


def test_activity_totals_per_day_in_date_order() -> None:
    rows = [
        {"day": "2027-01-12", "activity": "walk", "achievement": 5, "pleasure": 7, "closeness": 2},
        {"day": "2027-01-11", "activity": "call Mum", "pleasure": 6, "closeness": 9},
        {"day": "2027-01-12", "activity": "shopping", "achievement": 4},
        {"activity": "undated"},
    ]
    assert activity_totals(rows) == {
        "days": [
            {"day": "2027-01-11", "activities": 1, "achievement": 0, "pleasure": 6, "closeness": 9},
            {"day": "2027-01-12", "activities": 2, "achievement": 9, "pleasure": 7, "closeness": 2},
            {"day": None, "activities": 1, "achievement": 0, "pleasure": 0, "closeness": 0},
        ]
    }


def test_derived_figures_by_form_kind() -> None:
    assert derived_figures("sleep_diary", {"nights": [night()]})["average"]["nights"] == 1
    assert derived_figures("activity_schedule", {"activities": "junk"}) == {"days": []}
    assert derived_figures("free_text", {"reflection": "fine"}) == {}
