"""The enrolments the enrol benchmark makes, one different (group, patient) pair per request.

``bench/seed_groups.py`` writes the plan: groups open to enrolment and patients enrolled
nowhere. Request number ``i`` enrols

    patient = patients[i]
    group   = groups[i % len(groups)]

so no pair repeats (a repeat is a 409) and consecutive requests go to different groups
(they do not queue on one group's lock). Once a group is full, later enrolments join its
waiting list, which is the same work. ``bench/wrk/bench.lua`` does the same arithmetic
on the same file.

The file is plain text, one entry a line: ``group <uuid>``, ``patient <uuid>``.
"""

import json
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class EnrolPlan:
    """Groups and free patients; see the module docstring for how an index maps to a pair."""

    groups: tuple[str, ...]
    patients: tuple[str, ...]

    @property
    def size(self) -> int:
        """How many different requests the plan holds."""
        return len(self.patients)

    def path(self, index: int) -> str:
        """The path of request number ``index``."""
        return f"/api/v1/groups/{self.groups[index % len(self.groups)]}/enrolments"

    def body(self, index: int) -> str:
        """The JSON body of request number ``index``."""
        return json.dumps({"patient_id": self.patients[index]}, separators=(",", ":"))

    def write(self, path: Path) -> None:
        """Save the plan for the load generators."""
        lines = ["# stepwise bench enrol plan (bench/enrol_plan.py)"]
        lines += [f"group {group}" for group in self.groups]
        lines += [f"patient {patient}" for patient in self.patients]
        path.write_text("\n".join(lines) + "\n")


def load_enrol_plan(path: Path) -> EnrolPlan:
    """Read a plan written by :meth:`EnrolPlan.write`."""
    groups: list[str] = []
    patients: list[str] = []
    for line in path.read_text().splitlines():
        kind, _, value = line.partition(" ")
        if kind == "group":
            groups.append(value)
        elif kind == "patient":
            patients.append(value)
    if not (groups and patients):
        raise ValueError(f"{path} is not an enrol plan (groups and patients needed)")
    return EnrolPlan(tuple(groups), tuple(patients))
