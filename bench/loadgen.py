"""The fallback load generator (asyncio + httpx), for machines without ``wrk``.

It takes the same inputs as the wrk script (``bench/wrk/bench.lua``) and prints the same
``BENCH_RESULT {json}`` line, so ``bench/run.py`` reads either the same way. With
``--plan`` every request is the next of a plan (a booking plan's slot,
``bench/booking_plan.py``; an enrol plan's pair, ``bench/enrol_plan.py``; a request plan's
path and body, ``bench/request_plan.py``), from index ``--plan-start`` on, and the line
carries ``issued_span``; with ``--count-status``, ``statuses``.

Its figures are a ceiling on what it can measure, not the server's capacity: httpx costs
far more CPU per request than wrk, and on a two-core machine the generator competes with
the server for the cores. Every run is bounded by time (``--duration``) and by count
(``--max-requests``), whichever comes first.
"""

import argparse
import asyncio
import contextlib
import json
import math
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from booking_plan import BookingPlan, load
from enrol_plan import EnrolPlan, load_enrol_plan
from request_plan import RequestPlan, is_request_plan, load_request_plan

try:
    from uvloop import run as run_loop
except ImportError:  # pragma: no cover - uvloop is a dependency off Windows
    from asyncio import run as run_loop


@dataclass
class Tally:
    """What the workers counted."""

    started: int = 0
    latencies_us: list[float] = field(default_factory=list)
    bytes: int = 0
    errors_connect: int = 0
    errors_read: int = 0
    errors_status: int = 0
    errors_timeout: int = 0
    statuses: dict[int, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Planned:
    """Booking-create mode: a different slot of ``plan`` for each request, from ``start``."""

    plan: BookingPlan | EnrolPlan | RequestPlan
    start: int


def load_plan(path: Path) -> BookingPlan | EnrolPlan | RequestPlan:
    """A booking, enrol or request plan, told apart by their entries."""
    if is_request_plan(path):
        return load_request_plan(path)
    if any(line.startswith("patient ") for line in path.read_text().splitlines()):
        return load_enrol_plan(path)
    return load(path)


def percentile(sorted_values: list[float], wanted: float) -> float:
    """The nearest-rank percentile of already sorted values (0 when there are none)."""
    if not sorted_values:
        return 0.0
    rank = max(1, math.ceil(wanted / 100 * len(sorted_values)))
    return sorted_values[rank - 1]


async def _worker(
    client: httpx.AsyncClient,
    request: httpx.Request,
    *,
    deadline: float,
    max_requests: int,
    tally: Tally,
    planned: Planned | None,
) -> None:
    template = request
    headers = {k: v for k, v in template.headers.items() if k.lower() != "content-length"}
    while time.perf_counter() < deadline and tally.started < max_requests:
        index = tally.started
        tally.started += 1
        if planned is not None:
            body = planned.plan.body(planned.start + index)
            url = template.url
            if isinstance(planned.plan, EnrolPlan | RequestPlan):
                url = url.copy_with(path=planned.plan.path(planned.start + index))
            request = client.build_request(
                template.method, url, content=body.encode(), headers=headers
            )
        began = time.perf_counter()
        try:
            response = await client.send(request)
        except httpx.TimeoutException:
            tally.errors_timeout += 1
            continue
        except httpx.ConnectError:
            tally.errors_connect += 1
            continue
        except httpx.HTTPError:
            tally.errors_read += 1
            continue
        tally.latencies_us.append((time.perf_counter() - began) * 1e6)
        tally.bytes += len(response.content)
        tally.statuses[response.status_code] = tally.statuses.get(response.status_code, 0) + 1
        if response.status_code >= 400:
            tally.errors_status += 1


async def drive(
    url: str,
    *,
    method: str,
    body: str | None,
    headers: dict[str, str],
    duration: float,
    connections: int,
    max_requests: int,
    request_timeout_s: float,
    planned: Planned | None = None,
    count_status: bool = False,
) -> dict[str, object]:
    """Send requests from ``connections`` concurrent clients until time or count runs out.

    Args:
        url: the one URL to request (the harness only ever passes 127.0.0.1).
        method: the HTTP method.
        body: a JSON body, or None.
        headers: extra request headers.
        duration: seconds to run for.
        connections: concurrent connections (one worker each).
        max_requests: stop starting requests after this many.
        request_timeout_s: seconds before one request counts as a timeout.
        planned: book a different slot of a plan with each request (``body`` unused).
        count_status: report the responses by status.

    Returns:
        The fields of the BENCH_RESULT line.
    """
    tally = Tally()
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    all_headers = {"Accept": "application/json", **headers}
    if body or planned is not None:
        all_headers["Content-Type"] = "application/json"
    async with httpx.AsyncClient(
        limits=limits, timeout=request_timeout_s, trust_env=False
    ) as client:
        request = client.build_request(
            method, url, content=body.encode() if body else None, headers=all_headers
        )
        began = time.perf_counter()
        deadline = began + duration
        workers = [
            _worker(
                client,
                request,
                deadline=deadline,
                max_requests=max_requests,
                tally=tally,
                planned=planned,
            )
            for _ in range(connections)
        ]
        # Like wrk: what has not answered when the time is up is dropped, not waited for.
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(duration):
                await asyncio.gather(*workers)
        elapsed = time.perf_counter() - began
    latencies = sorted(tally.latencies_us)
    result: dict[str, object] = {
        "requests": len(latencies),
        "duration_us": round(elapsed * 1e6),
        "bytes": tally.bytes,
        "p50_us": round(percentile(latencies, 50)),
        "p90_us": round(percentile(latencies, 90)),
        "p99_us": round(percentile(latencies, 99)),
        "max_us": round(latencies[-1]) if latencies else 0,
        "mean_us": round(sum(latencies) / len(latencies), 1) if latencies else 0.0,
        "errors_connect": tally.errors_connect,
        "errors_read": tally.errors_read,
        "errors_write": 0,
        "errors_status": tally.errors_status,
        "errors_timeout": tally.errors_timeout,
    }
    if planned is not None:
        result["issued_span"] = tally.started
    if count_status:
        result["statuses"] = {str(code): count for code, count in tally.statuses.items()}
    return result


def main() -> int:
    """Parse the arguments, drive the load, print ``BENCH_RESULT {json}``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url")
    parser.add_argument("--method", default="GET")
    parser.add_argument("--body", default=None, help="a JSON request body")
    parser.add_argument("--header", action="append", default=[], help="'Name: value'")
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--max-requests", type=int, default=1_000_000)
    parser.add_argument("--timeout", type=float, default=30.0)
    parser.add_argument("--plan", default=None, help="a booking, enrol or request plan")
    parser.add_argument("--plan-start", type=int, default=0, help="the plan's first index")
    parser.add_argument("--count-status", action="store_true", help="report statuses")
    args = parser.parse_args()
    headers = dict(
        (name.strip(), value.strip())
        for name, _, value in (header.partition(":") for header in args.header)
    )
    job = drive(
        args.url,
        method=args.method,
        body=args.body,
        headers=headers,
        duration=args.duration,
        connections=args.connections,
        max_requests=args.max_requests,
        request_timeout_s=args.timeout,
        planned=Planned(load_plan(Path(args.plan)), args.plan_start) if args.plan else None,
        count_status=args.count_status,
    )
    result = run_loop(job)
    print("BENCH_RESULT " + json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
