"""The bare baseline: a Litestar app with one route answering a constant small JSON object.

The harness serves it with uvicorn and the same flags as the service (uvloop, httptools,
no access log, one worker), so ``ratio_to_bare`` divides out the HTTP server, the event
loop and Litestar's own routing and serialisation, leaving what Stepwise adds.
"""

from litestar import Litestar, get


@get("/")
async def bare() -> dict[str, str]:
    """The constant answer."""
    return {"status": "ok"}


app = Litestar(route_handlers=[bare], openapi_config=None, logging_config=None, debug=False)
