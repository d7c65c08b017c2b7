"""``stepwise worker``: the background jobs alone, for deployments with several API processes.

Run one or more (the leader lock lets one act at a time) and start the API processes
with STEPWISE_SCHEDULER_ENABLED=false.
"""

import asyncio
import logging
import signal

from api.core.database import open_pool
from api.core.settings import get_settings
from scheduling.jobs.scheduler import build_scheduler

_log = logging.getLogger("stepwise.jobs")


async def run_worker(stop: asyncio.Event | None = None) -> None:
    """Run the scheduler until SIGTERM or SIGINT (or ``stop`` is set)."""
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    await open_pool(get_settings().database)
    scheduler, runner = build_scheduler()
    scheduler.start()
    _log.info("worker started")
    try:
        await stop.wait()
    finally:
        scheduler.shutdown(wait=False)
        await asyncio.sleep(0)  # AsyncIOScheduler shuts down on the loop's next turn
        await runner.leader.release()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(signum)
        _log.info("worker stopped")
