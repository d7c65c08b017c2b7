"""Random walks through the lifecycle keep the place rules, whatever the order of moves."""

import contextlib
import random
from datetime import UTC, datetime, timedelta

import pytest

from api.core.actor import Actor
from groups import enrolments, waiting_lists
from groups.errors import NoPlaceFree, TransitionNotAllowed
from groups.rules.enrolment import ALLOWED_MOVES, EnrolmentStatus
from groups.schemas.enrolments import EnrolmentCreate, TransitionCreate
from groups.tables import Enrolment
from tests.group_factories import make_group, make_patient

S = EnrolmentStatus


@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_random_moves_never_exceed_capacity_and_never_leave_a_place_unoffered(
    database: None, seed: int
) -> None:
    chooser = random.Random(seed)  # noqa: S311 - a reproducible walk, not a secret
    by = Actor.system()
    group = await make_group(capacity=4)
    now = datetime(2026, 12, 1, 9, tzinfo=UTC)
    ids = []
    for step in range(60):
        now += timedelta(minutes=1)
        if step < 10 or chooser.random() < 0.2:
            patient = await make_patient()
            made = await enrolments.enrol(
                group.id, EnrolmentCreate(patient_id=patient.id), by=by, now=now
            )
            ids.append(made.id)
        else:
            enrolment_id = chooser.choice(ids)
            row = (
                await Enrolment.select(Enrolment.status, Enrolment.version)
                .where(Enrolment.id == enrolment_id)
                .first()
            )
            assert row is not None
            moves = ALLOWED_MOVES[S(row["status"])]
            if not moves:
                continue
            with contextlib.suppress(NoPlaceFree, TransitionNotAllowed):
                await enrolments.transition(
                    enrolment_id,
                    TransitionCreate(to=chooser.choice(moves)),
                    expected_version=row["version"],
                    by=by,
                    now=now,
                )
        held = await waiting_lists.places_held(group.id, now=now)
        waiting = await Enrolment.count().where(
            (Enrolment.group == group.id) & (Enrolment.status == S.WAITLISTED.value)
        )
        assert held <= 4
        # No invitation expires inside the walk, so anyone waiting means the group is full.
        assert waiting == 0 or held == 4
