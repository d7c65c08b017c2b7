"""Who reaches a group: supervisors all, admins the operational side, facilitators their own."""

import uuid

import pytest

from api.core.actor import Actor, Role
from api.core.errors import Forbidden, NotFound
from groups.access import Side, facilitates_patient, groups_facilitated, require_group_access
from tests.factories import StaffFactory
from tests.group_factories import make_enrolment, make_group, make_patient


def _actor(user_id: uuid.UUID, *roles: Role) -> Actor:
    return Actor(user_id=user_id, roles=frozenset(roles))


async def test_each_role_reaches_what_the_privacy_rule_allows(
    database: None, staff: StaffFactory
) -> None:
    runner = await staff.create(Role.FACILITATOR)
    other = await staff.create(Role.FACILITATOR)
    group = await make_group(facilitators=(runner.id,))
    facilitator = _actor(runner.id, Role.FACILITATOR)
    outsider = _actor(other.id, Role.FACILITATOR)
    admin = _actor(uuid.uuid4(), Role.ADMIN)
    supervisor = _actor(uuid.uuid4(), Role.SUPERVISOR)

    for side in Side:
        await require_group_access(group.id, facilitator, side)
        await require_group_access(group.id, supervisor, side)
        with pytest.raises(Forbidden, match="do not facilitate"):
            await require_group_access(group.id, outsider, side)
    await require_group_access(group.id, admin, Side.OPERATIONAL)
    with pytest.raises(Forbidden, match="never clinical"):
        await require_group_access(group.id, admin, Side.CLINICAL)
    with pytest.raises(NotFound):
        await require_group_access(uuid.uuid4(), facilitator, Side.OPERATIONAL)
    assert list(await groups_facilitated(facilitator)) == [group.id]
    assert list(await groups_facilitated(outsider)) == []


async def test_a_facilitator_reaches_only_patients_enrolled_in_their_groups(
    database: None, staff: StaffFactory
) -> None:
    runner = await staff.create(Role.FACILITATOR)
    group = await make_group(facilitators=(runner.id,))
    mine = await make_patient()
    elsewhere = await make_patient()
    await make_enrolment(group, mine)
    await make_enrolment(await make_group(), elsewhere)
    facilitator = _actor(runner.id, Role.FACILITATOR)
    assert await facilitates_patient(facilitator, mine.id)
    assert not await facilitates_patient(facilitator, elsewhere.id)
