"""A dispatcher in a process of its own, for the multi-process and SIGKILL tests.

    python -m tests.fakes.dispatch_process OUTDIR NOW_ISO ROUNDS [--slow SECONDS] [--leader]

Each round queues the session reminders due at NOW and dispatches through the
development channel into OUTDIR, appending "<reference>\\n" to OUTDIR/sends.log for every
hand-off (so a test can count how often each message reached "the provider"). With
--slow, each hand-off takes that long after the file is written (a window to SIGKILL
it in). With --leader, each round first asks the scheduler's leader lock.
"""

import argparse
import asyncio
import os
import sys
from datetime import datetime, timedelta
from pathlib import Path

import api  # noqa: F401 - PICCOLO_CONF
from api.core.database import close_pool, open_pool
from api.core.settings import get_settings
from scheduling.delivery.base import Channel, Delivery, DeliveryResult
from scheduling.delivery.development import DevelopmentChannel
from scheduling.delivery.inbox import InboxChannel
from scheduling.dispatcher import dispatch_due
from scheduling.jobs.leader import default_leader
from scheduling.jobs.recipients import ServiceDirectory
from scheduling.reminders import queue_session_reminders


class LoggedChannel:
    """The development channel, logging each hand-off, optionally slow."""

    def __init__(self, inner: Channel, log: Path, slow: float) -> None:
        self.inner, self.log, self.slow = inner, log, slow

    async def send(self, delivery: Delivery) -> DeliveryResult:
        result = await self.inner.send(delivery)
        with self.log.open("a", encoding="utf-8") as handle:
            handle.write(f"{delivery.reference}\n")
            handle.flush()
            os.fsync(handle.fileno())
        print("handed-off", flush=True)
        if self.slow:
            await asyncio.sleep(self.slow)
        return result


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("outdir")
    parser.add_argument("now")
    parser.add_argument("rounds", type=int)
    parser.add_argument("--slow", type=float, default=0.0)
    parser.add_argument("--leader", action="store_true")
    args = parser.parse_args()
    now = datetime.fromisoformat(args.now)
    outdir = Path(args.outdir)
    await open_pool(get_settings().database)
    leader = default_leader(timedelta(seconds=get_settings().messaging.scheduler_lease_seconds))
    try:
        for _ in range(args.rounds):
            if args.leader and not await leader.is_leader(now):
                await asyncio.sleep(0.05)
                continue
            await queue_session_reminders(now=now)
            logged = LoggedChannel(DevelopmentChannel(outdir, now), outdir / "sends.log", args.slow)
            channels: dict[str, Channel] = {"sms": logged, "in_app": InboxChannel(now)}
            await dispatch_due(now=now, channels=channels, directory=ServiceDirectory(), limit=5)
        print("done", flush=True)
    finally:
        await leader.release()
        await close_pool()


if __name__ == "__main__":
    asyncio.run(main())
    sys.exit(0)
