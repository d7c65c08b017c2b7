"""The enrolment lifecycle table, effective status at read time, and place holding."""

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from groups.rules.enrolment import (
    ALLOWED_MOVES,
    PLACE_HOLDING,
    EnrolmentStatus,
    Stamps,
    effective_status,
    frees_place,
    holds_place,
    is_allowed,
    needs_free_place,
    stamps_for,
)

S = EnrolmentStatus
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
STORED = [status for status in S if status is not S.EXPIRED]


@pytest.mark.parametrize(
    ("current", "target"),
    [
        (S.INVITED, S.OPTED_IN),
        (S.INVITED, S.DECLINED),
        (S.EXPIRED, S.DECLINED),
        (S.EXPIRED, S.WAITLISTED),
        (S.EXPIRED, S.INVITED),
        (S.OPTED_IN, S.ACTIVE),
        (S.OPTED_IN, S.DECLINED),
        (S.OPTED_IN, S.STEPPED_UP),
        (S.OPTED_IN, S.DROPPED_OUT),
        (S.ACTIVE, S.COMPLETED),
        (S.ACTIVE, S.DISCHARGED),
        (S.ACTIVE, S.STEPPED_UP),
        (S.ACTIVE, S.DROPPED_OUT),
        (S.WAITLISTED, S.INVITED),
        (S.WAITLISTED, S.DECLINED),
    ],
)
def test_is_allowed_for_every_move_in_the_lifecycle(current: S, target: S) -> None:
    assert is_allowed(current, target)


def test_the_table_allows_exactly_fifteen_moves_and_none_out_of_an_ending() -> None:
    assert sum(len(moves) for moves in ALLOWED_MOVES.values()) == 15
    for ended in (S.DECLINED, S.COMPLETED, S.DISCHARGED, S.STEPPED_UP, S.DROPPED_OUT):
        assert ALLOWED_MOVES[ended] == ()


@given(st.sampled_from(list(S)), st.sampled_from(list(S)))
def test_no_move_into_expired_and_no_jump_from_declined_to_active(current: S, target: S) -> None:
    assert not is_allowed(current, S.EXPIRED)
    assert not is_allowed(S.DECLINED, target)
    if is_allowed(current, target):
        assert target is not current


@pytest.mark.parametrize(
    ("expires_in", "expected"),
    [
        (timedelta(seconds=1), S.INVITED),
        (timedelta(0), S.EXPIRED),  # expired at the instant of expiry
        (timedelta(seconds=-1), S.EXPIRED),
    ],
)
def test_effective_status_of_an_invitation_turns_expired_at_expiry(
    expires_in: timedelta, expected: S
) -> None:
    assert effective_status("invited", NOW + expires_in, now=NOW) is expected


@given(st.sampled_from(STORED), st.datetimes(timezones=st.just(UTC)))
def test_only_invitations_ever_read_as_expired(status: S, expires: datetime) -> None:
    effective = effective_status(status.value, expires, now=NOW)
    assert effective is (S.EXPIRED if status is S.INVITED and expires <= NOW else status)
    assert holds_place(status.value, expires, now=NOW) is (effective in PLACE_HOLDING)


def test_places_are_taken_by_reinvites_and_offers_and_freed_by_leaving() -> None:
    assert needs_free_place(S.EXPIRED, S.INVITED)
    assert needs_free_place(S.WAITLISTED, S.INVITED)
    assert not needs_free_place(S.INVITED, S.OPTED_IN)
    assert frees_place(S.OPTED_IN, S.DECLINED)
    assert frees_place(S.ACTIVE, S.STEPPED_UP)
    assert not frees_place(S.OPTED_IN, S.ACTIVE)
    assert not frees_place(S.EXPIRED, S.DECLINED)  # an expired invitation holds nothing


@pytest.mark.parametrize(
    ("target", "stamps"),
    [
        (S.INVITED, Stamps(invited=True)),
        (S.OPTED_IN, Stamps(opted_in=True)),
        (S.ACTIVE, Stamps(started=True)),
        (S.WAITLISTED, Stamps(waitlisted=True)),
        (S.DECLINED, Stamps(ended=True)),
        (S.COMPLETED, Stamps(ended=True)),
        (S.DROPPED_OUT, Stamps(ended=True)),
    ],
)
def test_stamps_for_each_target(target: S, stamps: Stamps) -> None:
    assert stamps_for(target) == stamps
