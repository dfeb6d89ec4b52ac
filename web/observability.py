"""Request ids, one log line per request, and `/health/live` + `/health/ready` for the web front.

The web front is where a portal user's message enters ClaudIA: each request takes the caller's
`X-Request-ID` if it is a sane one (a proxy in front may set it) or gets a new one, bound for
everything logged while it is handled (claudia/log_format.py) and sent back in `X-Request-ID`.
The portal passes it on to the channel with the conversation id (web/portal.py), the console to
Rasa's API (web/rasa_api.py), so the Rasa and action servers log the same id.

One line per request once answered (method, path without its query, status, duration): INFO for
what changes something, an error or a slow answer, DEBUG for a quick GET (the chat polls every
3 s); none for the health probes. `/health/live` answers while the process does; `/health/ready`
checks ClaudIA's database and the tracker store (which the review reads), 200 or 503.
"""
from __future__ import annotations

import asyncio
import logging
import time
from typing import Awaitable, Callable, Dict

from aiohttp import web

from claudia import health, log_format

logger = logging.getLogger("claudia.requests")
SERVER = "web"
LIVE, READY = "/health/live", "/health/ready"
SLOW_SECONDS = 1.0
CHECKS = web.AppKey("readiness_checks", dict)


@web.middleware
async def request_ids(request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
                      ) -> web.StreamResponse:
    if request.path in (LIVE, READY):
        return await handler(request)
    request_id = log_format.accept_request_id(request.headers.get(log_format.REQUEST_ID_HEADER))
    log_format.start(request_id)
    began, status = time.monotonic(), 500
    try:
        answer = await handler(request)
        status = answer.status
        answer.headers[log_format.REQUEST_ID_HEADER] = request_id
        return answer
    except web.HTTPException as raised:  # redirects and errors raised by the handlers
        status = raised.status
        raised.headers[log_format.REQUEST_ID_HEADER] = request_id
        raise
    finally:
        seconds = time.monotonic() - began
        quiet = request.method in ("GET", "HEAD") and status < 400 and seconds < SLOW_SECONDS
        logger.log(logging.DEBUG if quiet else logging.INFO, "request", extra={
            "method": request.method, "path": request.path, "status": status,
            "duration_ms": round(seconds * 1000, 1)})


async def live(_request: web.Request) -> web.Response:
    return web.json_response(health.live(SERVER))


async def ready(request: web.Request) -> web.Response:
    status, body = await asyncio.get_running_loop().run_in_executor(None, health.report, SERVER,
                                                                    request.app[CHECKS])
    return web.json_response(body, status=status)


def install(app: web.Application, db_url: str, tracker_db_url: str) -> None:
    """Outermost middleware (it sees the final status of every answer) and the two probes."""
    checks: Dict[str, Callable[[], health.Check]] = {
        "database": health.cached(health.database_check(db_url)),
        "tracker_store": health.cached(health.database_check(tracker_db_url)),
    }
    app[CHECKS] = checks
    app.middlewares.insert(0, request_ids)
    app.router.add_get(LIVE, live)
    app.router.add_get(READY, ready)
