"""Demo registers: past demo sessions get a mixed register once; nothing without sessions."""

from datetime import UTC, datetime, timedelta

from api.core.actor import Role
from api.demo_clinical_register import demo_outcome, load_demo_registers
from groups.tables import Attendance, Enrolment
from tests.factories import StaffFactory
from tests.group_factories import make_enrolment, make_group, make_session

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


async def test_no_demo_sessions_means_nothing_is_done(staff: StaffFactory) -> None:
    assert await load_demo_registers(now=NOW) is False
    other = await staff.create(Role.FACILITATOR, email="someone@nhs.example")
    group = await make_group(facilitators=(other.id,))
    await make_enrolment(group)
    await make_session(group, 1, NOW - timedelta(days=7))

    assert await load_demo_registers(now=NOW) is False
    assert await Attendance.count() == 0


async def test_past_demo_sessions_get_a_mixed_register_once(staff: StaffFactory) -> None:
    demo = await staff.create(Role.FACILITATOR, email="facilitator@stepwise.example")
    group = await make_group(facilitators=(demo.id,), status="running")
    enrolments = [await make_enrolment(group) for _ in range(6)]
    await make_enrolment(group, status="waitlisted")
    past = [await make_session(group, n, NOW - timedelta(weeks=4 - n)) for n in (1, 2, 3)]
    await make_session(group, 4, NOW + timedelta(days=2))

    assert await load_demo_registers(now=NOW) is True
    assert await load_demo_registers(now=NOW) is False

    assert await Attendance.count() == 18
    rows = await Attendance.select(Attendance.outcome)
    assert len({row["outcome"] for row in rows}) >= 3
    assert {row["session"] for row in await Attendance.select(Attendance.session)} == {
        s.id for s in past
    }
    stopped = await Enrolment.select(Enrolment.consecutive_dnas, Enrolment.review_flagged_at).where(
        Enrolment.id == enrolments[1].id
    )
    assert stopped[0]["consecutive_dnas"] == 2
    assert stopped[0]["review_flagged_at"] is not None
    assert [demo_outcome(1, n) for n in (2, 3)] == [3, 3]
