"""Write requests planned in full, one different request per index (the clinical suites).

``bench/seed_clinical.py`` and ``bench/seed_materials.py`` write these plans: every line
is one request the server has not seen, in an order where consecutive requests touch
different groups (so they do not queue on one group's or session's lock). Request
number ``i`` is line ``i``; past the end the plan starts again from the top, and those
repeats are corrections or unchanged resubmissions, not first submissions: ``run.py``
warns when a plan runs out. ``bench/wrk/bench.lua`` and ``bench/loadgen.py`` read the
same file and do the same arithmetic.

The file is plain text, one request a line: ``request <path> <compact JSON body>``
(neither holds a space).
"""

from dataclasses import dataclass
from pathlib import Path

PREFIX = "request "


@dataclass(frozen=True)
class RequestPlan:
    """Paths and bodies; request ``i`` is entry ``i`` (modulo the size)."""

    requests: tuple[tuple[str, str], ...]

    @property
    def size(self) -> int:
        """How many different requests the plan holds."""
        return len(self.requests)

    def path(self, index: int) -> str:
        """The path of request number ``index``."""
        return self.requests[index % len(self.requests)][0]

    def body(self, index: int) -> str:
        """The JSON body of request number ``index``."""
        return self.requests[index % len(self.requests)][1]

    def write(self, path: Path) -> None:
        """Save the plan for the load generators."""
        lines = ["# stepwise bench request plan (bench/request_plan.py)"]
        for target, body in self.requests:
            if " " in target or " " in body:
                raise ValueError("a planned path or body may not hold a space")
            lines.append(f"{PREFIX}{target} {body}")
        path.write_text("\n".join(lines) + "\n")


def is_request_plan(path: Path) -> bool:
    """Whether the file is a plan written by :meth:`RequestPlan.write`."""
    with path.open() as plan:
        return plan.readline().startswith("# stepwise bench request plan")


def load_request_plan(path: Path) -> RequestPlan:
    """Read a plan written by :meth:`RequestPlan.write`."""
    requests = []
    for line in path.read_text().splitlines():
        if line.startswith(PREFIX):
            target, _, body = line.removeprefix(PREFIX).partition(" ")
            requests.append((target, body))
    if not requests:
        raise ValueError(f"{path} is not a request plan (no requests)")
    return RequestPlan(tuple(requests))
