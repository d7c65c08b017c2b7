"""The SQLite reader pool hands connections out in arrival order (no starved request)."""

import asyncio
from typing import Any

from api.core.sqlite_engine import _FairQueue


async def test_a_returned_connection_goes_to_the_longest_waiter_not_a_newcomer() -> None:
    queue = _FairQueue(asyncio.get_running_loop())
    served: list[str] = []

    async def request(name: str) -> None:
        connection: Any = await queue.get()
        served.append(name)
        await asyncio.sleep(0)
        queue.put_nowait(connection)

    first = asyncio.create_task(request("first"))
    second = asyncio.create_task(request("second"))
    await asyncio.sleep(0)  # both now wait: no connection is idle
    queue.put_nowait(object())
    newcomer = asyncio.create_task(request("newcomer"))  # arrives as the connection returns
    await asyncio.gather(first, second, newcomer)

    assert served == ["first", "second", "newcomer"]


async def test_a_cancelled_waiter_does_not_swallow_the_connection() -> None:
    queue = _FairQueue(asyncio.get_running_loop())
    waiting = asyncio.create_task(queue.get())
    await asyncio.sleep(0)
    waiting.cancel()
    await asyncio.gather(waiting, return_exceptions=True)
    connection: Any = object()

    queue.put_nowait(connection)

    assert await asyncio.wait_for(queue.get(), timeout=1) is connection
