"""Demo courses, patients, groups and enrolments, loaded through the services.

Four courses with short, original session plans; about thirty obviously fictional
patients (NHS numbers from the 999 test range, valid check digits); three groups across
the demo venues run by the demo facilitators; enrolments in mixed statuses, one group full
with a waiting list and one short of its minimum (it shows on the go/no-go list). No
sessions are scheduled here for those three. A fourth group, of the insomnia course, has
been running for four weeks: it is created, filled and scheduled as of the weeks before
it started (every service takes ``now``), so the registers and questionnaires loaders
have past sessions to fill in. Idempotent: a second load finds the courses and changes
nothing.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from uuid import UUID

from api.core.actor import Actor
from api.core.database import write_transaction
from api.identity.tables import StaffUser
from groups import courses, enrolments, groups, patients
from groups.rules.enrolment import EnrolmentStatus as S
from groups.rules.groups import GroupStatus
from groups.rules.nhs_number import check_digit
from groups.schemas.courses import CourseCreate, PlannedSessionCreate, Problem
from groups.schemas.enrolments import EnrolmentCreate, TransitionCreate
from groups.schemas.groups import GroupCreate, GroupUpdate
from groups.schemas.patients import PatientCreate
from groups.session_services import commit_schedule
from groups.tables import Course
from scheduling.booking_queries import service_zone
from scheduling.tables import Room, Venue

FACILITATORS = ("facilitator@stepwise.example", "cofacilitator@stepwise.example")


def _plan(*titles: str) -> list[PlannedSessionCreate]:
    return [PlannedSessionCreate(title=title, topics=[title.lower()]) for title in titles]


DEMO_COURSES = (
    CourseCreate(
        name="Stress Control",
        summary="Six evening-class style sessions on understanding and controlling stress.",
        problems=[Problem.STRESS, Problem.GENERALISED_ANXIETY],
        min_group_size=6,
        max_group_size=16,
        default_session_minutes=90,
        session_plan=_plan(
            "What stress is and how it works",
            "Calming the body",
            "Taming racing thoughts",
            "Doing more of what matters",
            "Panic and what keeps it going",
            "Sleep, wellbeing and staying well",
        ),
    ),
    CourseCreate(
        name="Self-management of Depression and Anxiety",
        summary="Five sessions of practical skills for low mood and worry.",
        problems=[Problem.DEPRESSION, Problem.GENERALISED_ANXIETY],
        min_group_size=6,
        max_group_size=12,
        default_session_minutes=120,
        session_plan=_plan(
            "How mood, thoughts and actions connect",
            "Planning activity step by step",
            "Noticing and questioning unhelpful thoughts",
            "Worry time and problem solving",
            "Keeping going: a plan for setbacks",
        ),
    ),
    CourseCreate(
        name="CBT for insomnia group",
        summary="Six sessions on sleep habits, sleep scheduling and quieting a busy mind.",
        problems=[Problem.INSOMNIA],
        min_group_size=5,
        max_group_size=10,
        default_session_minutes=90,
        session_plan=_plan(
            "How sleep works",
            "Keeping a sleep diary",
            "Setting a sleep window",
            "Bed is for sleep",
            "Settling a busy mind at night",
            "Keeping the gains",
        ),
    ),
    CourseCreate(
        name="Living Life to the Full",
        summary="Eight weekly sessions of life skills for tackling low mood and stress.",
        problems=[Problem.DEPRESSION, Problem.STRESS],
        min_group_size=6,
        max_group_size=12,
        default_session_minutes=90,
        session_plan=_plan(
            "Why do I feel so bad?",
            "I can't be bothered doing anything",
            "Why does everything always go wrong?",
            "I'm not good enough",
            "How to fix almost everything",
            "The things you do that mess you up",
            "Are you strong enough to keep your temper?",
            "Ten things you can do to feel happier straight away",
        ),
    ),
)

_GIVEN = (
    "Alex", "Bea", "Cal", "Dee", "Eli", "Fay", "Gus", "Hana", "Ivo", "Jude",
    "Kit", "Lou", "Max", "Nell", "Oli", "Pip", "Quin", "Rae", "Sol", "Tess",
    "Uma", "Vic", "Wren", "Xan", "Yas", "Zac", "Ari", "Bo", "Cleo", "Dov",
)  # fmt: skip
_FAMILY = ("Example", "Sample", "Specimen", "Placeholder", "Testwell", "Madeup")


@dataclass(frozen=True)
class DemoGroup:
    """Where a demo group runs and who is enrolled in it, by status."""

    course: str
    venue: str
    room: str
    weeks_ahead: int
    capacity: int
    statuses: tuple[S, ...]


DEMO_GROUPS = (
    # Full (12 places) with four on the waiting list.
    DemoGroup(
        "Stress Control",
        "Tavistock Library",
        "Community Room",
        5,
        12,
        (S.OPTED_IN,) * 8 + (S.INVITED,) * 4 + (S.WAITLISTED,) * 4,
    ),
    # Short of its minimum of 6 as its go/no-go date nears.
    DemoGroup(
        "Self-management of Depression and Anxiety",
        "Okehampton Community Centre",
        "Garden Room",
        4,
        10,
        (S.OPTED_IN,) * 3 + (S.INVITED,) * 2 + (S.DECLINED,) + (S.EXPIRED,),
    ),
    DemoGroup(
        "Living Life to the Full",
        "Holsworthy Children's Centre",
        "Family Room",
        6,
        10,
        (S.OPTED_IN,) * 4 + (S.INVITED,) * 2 + (S.EXPIRED,),
    ),
)


def demo_nhs_number(index: int) -> str:
    """A valid NHS number in the 999 test range (never issued to a real person)."""
    serial = 100000 + index
    while True:
        first_nine = f"999{serial:06d}"
        digit = check_digit(first_nine)
        if digit is not None:
            return f"{first_nine}{digit}"
        serial += 1000  # skip nine-digit prefixes that can never be valid


def _patient(index: int, today: date) -> PatientCreate:
    return PatientCreate(
        given_name=_GIVEN[index % len(_GIVEN)],
        family_name=_FAMILY[index % len(_FAMILY)],
        date_of_birth=date(1950 + index * 2 % 50, 1 + index % 12, 1 + index % 28),
        nhs_number=demo_nhs_number(index),
        mobile_phone=f"07700 900{index:03d}",  # Ofcom's drama range
        consents_to_sms=index % 3 != 0,
        consents_to_letter=True,
        referral_date=today - timedelta(days=10 + index),
    )


async def _room(venue: str, room: str) -> UUID:
    row = (
        await Room.select(Room.id)
        .where(
            (Room.name == room)
            & (Room.venue.is_in(Venue.select(Venue.id).where(Venue.name == venue)))
        )
        .first()
    )
    if row is None:
        raise RuntimeError(f"load the demo venues first: no room {room!r} at {venue!r}")
    return UUID(str(row["id"]))


async def _facilitator_ids() -> list[UUID]:
    rows = await StaffUser.select(StaffUser.id, StaffUser.email).where(
        StaffUser.email.is_in(list(FACILITATORS))
    )
    found = {row["email"]: UUID(str(row["id"])) for row in rows}
    if len(found) != len(FACILITATORS):
        raise RuntimeError("load the demo staff first: facilitator accounts missing")
    return [found[email] for email in FACILITATORS]


def _first_date(today: date, weeks_ahead: int, weekday: int) -> date:
    day = today + timedelta(weeks=weeks_ahead)
    return day + timedelta(days=(weekday - day.weekday()) % 7)


async def _enrol(group_id: UUID, patient_id: UUID, status: S, *, by: Actor, now: datetime) -> None:
    """Enrol, then move on to ``status`` (an expired one was invited long enough ago)."""
    when = now - timedelta(days=30) if status is S.EXPIRED else now
    made = await enrolments.enrol(group_id, EnrolmentCreate(patient_id=patient_id), by=by, now=when)
    path = {S.OPTED_IN: (S.OPTED_IN,), S.DECLINED: (S.DECLINED,)}.get(status, ())
    version = made.version
    for target in path:
        moved = await enrolments.transition(
            made.id, TransitionCreate(to=target), expected_version=version, by=by, now=now
        )
        version = moved.version


RUNNING_COURSE = "CBT for insomnia group"
RUNNING_PLACE = ("Okehampton Community Hospital", "Therapy Room")
RUNNING_PATIENTS = 7
RUNNING_WEEKS = 4  # sessions already held


async def _running_group(
    course_id: UUID, facilitator_ids: list[UUID], patient_ids: list[UUID], *, now: datetime
) -> None:
    """A group that started ``RUNNING_WEEKS`` ago, set up as it was two weeks before that."""
    by = Actor.system()
    today = now.astimezone(service_zone()).date()
    first = _first_date(today - timedelta(weeks=RUNNING_WEEKS, days=6), 0, 3)  # a Thursday
    then = datetime.combine(first - timedelta(days=14), time(9), tzinfo=service_zone())
    group = await groups.create_group(
        GroupCreate(
            course_id=course_id,
            room_id=await _room(*RUNNING_PLACE),
            first_session_date=first,
            start_time=time(14),
            facilitator_ids=facilitator_ids,
            capacity=8,
            min_participants=5,
        ),
        by=by,
        now=then,
    )
    for patient_id in patient_ids:
        made = await enrolments.enrol(
            group.id, EnrolmentCreate(patient_id=patient_id), by=by, now=then
        )
        version = made.version
        for target in (S.OPTED_IN, S.ACTIVE):
            moved = await enrolments.transition(
                made.id, TransitionCreate(to=target), expected_version=version, by=by, now=then
            )
            version = moved.version
    scheduled = await commit_schedule(group.id, expected_version=group.version, by=by, now=then)
    await groups.update_group(
        group.id,
        GroupUpdate(status=GroupStatus.RUNNING),
        expected_version=scheduled.version,
        by=by,
        now=now,
    )


async def load_demo_groups(*, now: datetime) -> bool:
    """Create the demo courses, patients, groups and enrolments unless they exist."""
    by = Actor.system()
    today = now.astimezone(service_zone()).date()
    async with write_transaction():
        if await Course.exists().where(Course.name == DEMO_COURSES[0].name):
            return False
        facilitator_ids = await _facilitator_ids()
        course_ids = {}
        for course in DEMO_COURSES:
            made = await courses.create_course(course, by=by, now=now)
            course_ids[made.name] = made.id
        patient_ids = [
            (await patients.create_patient(_patient(n, today), by=by, now=now)).id
            for n in range(30 + RUNNING_PATIENTS)
        ]
        queue = iter(patient_ids)
        for weekday, plan in enumerate(DEMO_GROUPS, start=1):
            group = await groups.create_group(
                GroupCreate(
                    course_id=course_ids[plan.course],
                    room_id=await _room(plan.venue, plan.room),
                    first_session_date=_first_date(today, plan.weeks_ahead, weekday),
                    start_time=time(10),
                    facilitator_ids=facilitator_ids,
                    capacity=plan.capacity,
                ),
                by=by,
                now=now,
            )
            for status in sorted(plan.statuses, key=lambda s: s is not S.EXPIRED):
                await _enrol(group.id, next(queue), status, by=by, now=now)
        await _running_group(course_ids[RUNNING_COURSE], facilitator_ids, patient_ids[30:], now=now)
    return True
