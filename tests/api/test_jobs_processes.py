"""Real processes on one database: two dispatchers send each reminder once, and a
dispatcher killed with SIGKILL mid-send loses nothing (what it may have handed over is
sent again with the same reference)."""

import asyncio
import os
import signal
import sys
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

from api.core import clock
from api.core.database import write_transaction
from scheduling.outbox import OutgoingMessage, queue_messages
from scheduling.tables import OutboxMessage
from tests.group_factories import make_enrolment, make_group, make_patient, make_session

NOW = datetime(2027, 1, 11, 8, 0, tzinfo=UTC)  # 08:00: the 2-hour reminders of 10:00 are due
ROOT = Path(__file__).resolve().parents[2]


async def _sessions_with_patients(sessions: int, patients: int) -> None:
    for number in range(sessions):
        group = await make_group(status="scheduled")
        await make_session(group, 1, NOW + timedelta(hours=2), book_room=False)
        for _ in range(patients):
            await make_enrolment(group)
        del number


async def _start(
    outdir: Path, now: datetime, rounds: int, *extra: str
) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.fakes.dispatch_process",
        str(outdir),
        now.isoformat(),
        str(rounds),
        *extra,
        cwd=ROOT,
        env={**os.environ},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def _finish(process: asyncio.subprocess.Process) -> str:
    stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=120)
    assert process.returncode == 0, stderr.decode()[-2000:]
    return stdout.decode()


def _sends(outdir: Path) -> Counter[str]:
    log = outdir / "sends.log"
    return Counter(log.read_text().split()) if log.exists() else Counter()


async def test_two_dispatcher_processes_send_every_reminder_exactly_once(
    database: None, tmp_path: Path
) -> None:
    await _sessions_with_patients(sessions=6, patients=5)
    processes = [await _start(tmp_path, NOW, 12) for _ in range(2)]
    for process in processes:
        await _finish(process)
    rows = await OutboxMessage.select(OutboxMessage.provider_reference, OutboxMessage.status)
    assert len(rows) == 30
    assert {row["status"] for row in rows} == {"sent"}
    sends = _sends(tmp_path)
    assert sorted(sends) == sorted(row["provider_reference"] for row in rows)
    assert set(sends.values()) == {1}


async def test_two_scheduler_processes_with_the_leader_lock_send_every_reminder_once(
    database: None, tmp_path: Path
) -> None:
    await _sessions_with_patients(sessions=2, patients=5)
    processes = [await _start(tmp_path, NOW, 6, "--leader") for _ in range(2)]
    for process in processes:
        await _finish(process)
    rows = await OutboxMessage.select(OutboxMessage.status)
    assert [row["status"] for row in rows] == ["sent"] * 10
    assert set(_sends(tmp_path).values()) == {1}


async def test_a_dispatcher_killed_mid_send_loses_nothing_and_resends_with_the_same_reference(
    database: None, tmp_path: Path
) -> None:
    await _sessions_with_patients(sessions=1, patients=5)
    victim = await _start(tmp_path, NOW, 1, "--slow", "30")
    assert victim.stdout is not None
    line = await asyncio.wait_for(victim.stdout.readline(), timeout=60)
    assert line.strip() == b"handed-off"
    victim.send_signal(signal.SIGKILL)
    await victim.wait()
    assert victim.returncode == -signal.SIGKILL
    # It died holding its claim: five rows "sending", one of them already handed over.
    statuses = Counter(row["status"] for row in await OutboxMessage.select(OutboxMessage.status))
    assert statuses == {"sending": 5}
    assert len(_sends(tmp_path)) == 1
    # A restart before the claim runs out leaves them alone; after it, sends them all.
    await _finish(await _start(tmp_path, NOW + timedelta(minutes=1), 2))
    assert Counter(row["status"] for row in await OutboxMessage.select(OutboxMessage.status)) == {
        "sending": 5
    }
    await _finish(await _start(tmp_path, NOW + timedelta(minutes=6), 2))
    rows = await OutboxMessage.select(OutboxMessage.provider_reference, OutboxMessage.status)
    assert {row["status"] for row in rows} == {"sent"}
    sends = _sends(tmp_path)
    assert sorted(sends) == sorted(row["provider_reference"] for row in rows)
    # The one handed over before the kill went twice, with the same reference.
    assert sorted(sends.values()) == [1, 1, 1, 1, 2]


async def test_the_worker_command_runs_the_jobs_and_stops_on_sigterm(
    database: None, tmp_path: Path
) -> None:
    patient = await make_patient()
    async with write_transaction():
        await queue_messages(
            [
                OutgoingMessage(
                    "patient",
                    str(patient.id),
                    "sms",
                    "session_cancelled",
                    "worker-test",
                    clock.now(),
                    {"name": "Pat", "starts": "Monday 11 January at 10:00"},
                    urgent=True,  # whatever the time of day the test runs
                )
            ],
            now=clock.now(),
        )
    worker = await asyncio.create_subprocess_exec(
        str(Path(sys.executable).parent / "stepwise"),
        "worker",
        cwd=ROOT,
        env={
            **os.environ,
            "STEPWISE_OUTBOX_DIR": str(tmp_path),
            "STEPWISE_DELIVERY": "development",
        },
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        for _ in range(60):  # the first ticks come 5 seconds after start
            await asyncio.sleep(0.5)
            row = await OutboxMessage.select(OutboxMessage.status).first()
            if row is not None and row["status"] == "sent":
                break
    finally:
        worker.send_signal(signal.SIGTERM)
        _, stderr = await asyncio.wait_for(worker.communicate(), timeout=30)
    assert row is not None
    assert row["status"] == "sent", stderr.decode()[-2000:]
    assert worker.returncode == 0, stderr.decode()[-2000:]
    assert len(_files(tmp_path)) == 1


def _files(directory: Path) -> list[Path]:
    return [path for path in directory.iterdir() if path.suffix == ".json"]
