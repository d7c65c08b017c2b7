"""Demo data for a first look: staff logins with passwords made at load time, and a service.

Each part has its own loader, run in order: venues, rooms, hours, closures and bookings
(``api.demo_venues``); courses, patients, groups and enrolments (``api.demo_groups``);
self-help modules and homework forms (``api.demo_materials``); the groups' sessions
(``api.demo_sessions``); registers (``api.demo_clinical_register``); questionnaires
(``api.demo_clinical_measures``). Idempotent: a second load finds what is there and
changes nothing. The passwords are
written to ``var/demo-logins.txt`` (owner-only) so a restart can show them again.
"""

import secrets
from dataclasses import dataclass
from pathlib import Path

from api.core import clock
from api.core.actor import Actor, Role
from api.demo_clinical_measures import load_demo_measures
from api.demo_clinical_register import load_demo_registers
from api.demo_groups import load_demo_groups
from api.demo_materials import load_demo_materials
from api.demo_sessions import load_demo_sessions
from api.demo_venues import load_demo_venues
from api.identity import accounts
from api.identity.schemas import StaffUserCreate
from api.identity.tables import StaffUser

LOGINS_FILE = "demo-logins.txt"


@dataclass(frozen=True)
class DemoLogin:
    """One demo account."""

    email: str
    full_name: str
    roles: tuple[Role, ...]


DEMO_STAFF = (
    DemoLogin("admin@stepwise.example", "Ada Admin", (Role.ADMIN,)),
    DemoLogin("facilitator@stepwise.example", "Femi Facilitator", (Role.FACILITATOR,)),
    DemoLogin("cofacilitator@stepwise.example", "Cass Cofacilitator", (Role.FACILITATOR,)),
    DemoLogin("supervisor@stepwise.example", "Sam Supervisor", (Role.SUPERVISOR,)),
)


async def load_demo_data(var_dir: Path) -> list[tuple[str, str]]:
    """Create the demo accounts and venues that are missing.

    Answers (email, password) for each new account.
    """
    created: list[tuple[str, str]] = []
    for login in DEMO_STAFF:
        if await StaffUser.exists().where(StaffUser.email == login.email):
            continue
        password = secrets.token_urlsafe(12)
        await accounts.create_staff_user(
            StaffUserCreate(email=login.email, full_name=login.full_name, roles=list(login.roles)),
            by=Actor.system(),
            now=clock.now(),
            password=password,
        )
        created.append((login.email, password))
    if created:
        _remember(var_dir / LOGINS_FILE, created)
    for load in (
        load_demo_venues,
        load_demo_groups,
        load_demo_materials,
        load_demo_sessions,
        load_demo_registers,
        load_demo_measures,
    ):
        await load(now=clock.now())
    return created


def _remember(path: Path, logins: list[tuple[str, str]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600, exist_ok=True)
    # A new database gets new passwords: replace an account's old line, never append to it.
    kept = dict(remembered_logins(path.parent))
    kept.update(logins)
    path.write_text("".join(f"{email} {password}\n" for email, password in kept.items()), "utf-8")


def remembered_logins(var_dir: Path) -> list[tuple[str, str]]:
    """The demo logins written at load time, if the file is still there."""
    path = var_dir / LOGINS_FILE
    if not path.exists():
        return []
    pairs = (line.split(" ", 1) for line in path.read_text("utf-8").splitlines() if " " in line)
    return [(email, password) for email, password in pairs]
