"""The free slots the booking-create benchmark books, one different slot per request.

``bench/seed_venues.py`` writes the plan: rooms that are live and open 07:00-22:00 every
day, the dates of a year reserved for this (no seeded booking, closure or bank holiday in
it) and back-to-back slots of the opening day. Request number ``i`` books

    room  = rooms[i % len(rooms)]
    slot  = slots[(i // len(rooms)) % len(slots)]
    date  = dates[i // (len(rooms) * len(slots))]

so consecutive requests book different rooms (they do not queue on one room's lock) and
no two requests below :meth:`BookingPlan.size` book the same slot. ``bench/wrk/bench.lua``
does the same arithmetic on the same file; ``bench/run.py`` hands each run the first index
it may use, so warm-up, timed run and retries never book a slot twice.

The file is plain text, one entry a line: ``slot HH:MM HH:MM``, ``date YYYY-MM-DD``,
``room <uuid>``; lines starting with ``#`` are comments.
"""

import json
from dataclasses import dataclass
from pathlib import Path

PURPOSE = "Bench course"


@dataclass(frozen=True)
class BookingPlan:
    """Rooms, dates and slots; see the module docstring for how an index maps to a slot."""

    rooms: tuple[str, ...]
    dates: tuple[str, ...]
    slots: tuple[tuple[str, str], ...]

    @property
    def size(self) -> int:
        """How many different slots the plan holds (requests beyond that would clash)."""
        return len(self.rooms) * len(self.slots) * len(self.dates)

    def body(self, index: int) -> str:
        """The JSON body of request number ``index`` (wall-clock times, the service's zone)."""
        room = self.rooms[index % len(self.rooms)]
        rest = index // len(self.rooms)
        start, end = self.slots[rest % len(self.slots)]
        day = self.dates[(rest // len(self.slots)) % len(self.dates)]
        return json.dumps(
            {
                "room_id": room,
                "starts_at": f"{day}T{start}",
                "ends_at": f"{day}T{end}",
                "purpose": PURPOSE,
            },
            separators=(",", ":"),
        )

    def write(self, path: Path) -> None:
        """Save the plan for the load generators."""
        lines = ["# stepwise bench booking plan (bench/booking_plan.py)"]
        lines += [f"slot {start} {end}" for start, end in self.slots]
        lines += [f"date {day}" for day in self.dates]
        lines += [f"room {room}" for room in self.rooms]
        path.write_text("\n".join(lines) + "\n")


def load(path: Path) -> BookingPlan:
    """Read a plan written by :meth:`BookingPlan.write`."""
    rooms: list[str] = []
    dates: list[str] = []
    slots: list[tuple[str, str]] = []
    for line in path.read_text().splitlines():
        kind, _, value = line.partition(" ")
        if kind == "room":
            rooms.append(value)
        elif kind == "date":
            dates.append(value)
        elif kind == "slot":
            start, end = value.split()
            slots.append((start, end))
    if not (rooms and dates and slots):
        raise ValueError(f"{path} is not a booking plan (rooms, dates and slots needed)")
    return BookingPlan(tuple(rooms), tuple(dates), tuple(slots))
