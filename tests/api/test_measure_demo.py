"""Demo measure sets: idempotent, one risk alert, nothing without past demo sessions."""

from datetime import UTC, datetime, timedelta

from api.core.actor import Role
from api.demo_clinical_measures import demo_totals, load_demo_measures, spread
from groups.tables import Attendance, MeasureSet, RiskAlert
from tests.factories import StaffFactory
from tests.group_factories import make_enrolment, make_group, make_session

NOW = datetime(2027, 2, 1, 12, 0, tzinfo=UTC)


async def test_nothing_without_past_demo_sessions(staff: StaffFactory) -> None:
    assert await load_demo_measures(now=NOW) is False
    real = await staff.create(Role.FACILITATOR)
    group = await make_group(facilitators=(real.id,))
    await make_enrolment(group)
    await make_session(group, 1, NOW - timedelta(days=7))
    assert await load_demo_measures(now=NOW) is False  # not a demo group
    assert await MeasureSet.count() == 0


async def test_demo_sessions_are_scored_once_with_one_risk_alert(staff: StaffFactory) -> None:
    demo = await staff.create(Role.FACILITATOR, email="pwp.demo@stepwise.example")
    group = await make_group(facilitators=(demo.id,))
    enrolments = [await make_enrolment(group) for _ in range(4)]
    first = await make_session(group, 1, NOW - timedelta(days=14))
    second = await make_session(group, 2, NOW - timedelta(days=7))
    await make_session(group, 3, NOW + timedelta(days=7))  # not yet
    # A register at the second session: the fourth patient did not attend.
    for index, enrolment in enumerate(enrolments):
        await Attendance(
            session=second.id,
            enrolment=enrolment.id,
            outcome=3 if index == 3 else 5,
            recorded_at=NOW,
        ).save()
    assert await load_demo_measures(now=NOW) is True
    assert await MeasureSet.count() == 3 * 4 + 3 * 3
    assert await RiskAlert.count() == 1
    assert await MeasureSet.count().where(MeasureSet.session == first.id) == 12
    assert await load_demo_measures(now=NOW) is False
    assert await load_demo_measures(now=NOW + timedelta(days=8)) is True  # session 3 now past
    assert await RiskAlert.count() == 1


def test_spread_sums_to_the_total_within_item_range() -> None:
    for total in range(28):
        answers = spread(total, 9, 3, keep_last_zero=True)
        assert (sum(answers), answers[8]) == (min(total, 24), 0)
        assert all(0 <= a <= 3 for a in answers)
    assert demo_totals(0, 1) == (12, 9, 18)
