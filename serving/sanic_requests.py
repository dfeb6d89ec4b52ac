"""Request ids, one log line per request, and `/health/live` + `/health/ready`, for a Sanic server
(the Rasa server and the action server; the web front has web/observability.py).

`install(app, server, checks)`:
- every request gets a request id (the caller's `X-Request-ID` if sane, else a new one) and the
  conversation it is about (a `sender` in the query or JSON body, `/conversations/<id>/` in the
  path, or else the `X-Claudia-Conversation` header our Rasa server sends the action server), bound for
  everything logged while it is handled (claudia/log_format.py); the answer carries the id back
  in `X-Request-ID`;
- one line per request once answered: method, path (never the query: it may hold a token),
  status and duration; at INFO for what changes something, an error or a slow answer, at DEBUG
  for a quick GET (the chat polls every 3 s), never for the health probes;
- `/health/live` answers 200 while the process answers; `/health/ready` runs `checks`
  (claudia/health.py) in a thread and answers 200 or 503. Both are answered by the first request
  middleware, before any other (the action server's shared-secret check), so that a load
  balancer or the supervisor can probe them without a secret: they reveal no data.
"""
from __future__ import annotations

import asyncio
import logging
import time
from typing import Callable, Dict, Optional

from sanic import Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

from claudia import health, log_format

logger = logging.getLogger("claudia.requests")
LIVE, READY = "/health/live", "/health/ready"
HEALTH_PATHS = (LIVE, READY)
SLOW_SECONDS = 1.0


def _conversation(request: Request) -> Optional[str]:
    """The conversation the request itself names (what the channel or Rasa's API will act on);
    only a request that names none (the action server's) is taken at its header's word."""
    if request.args.get("sender"):
        return request.args.get("sender")
    parts = request.path.split("/")
    if len(parts) > 2 and parts[1] == "conversations":
        return parts[2]
    if request.method == "POST" and request.path.startswith("/webhooks/"):
        try:
            body = request.json  # Sanic keeps it: the channel reads the same parse
        except Exception:
            body = None
        if isinstance(body, dict) and isinstance(body.get("sender"), str):
            return body["sender"]
    return request.headers.get(log_format.CONVERSATION_HEADER)


def install(app: Sanic, server: str, checks: Callable[[Sanic], Dict[str, Callable[[], health.Check]]]) -> None:
    """`checks(app)` gives the readiness checks; it is called at each readiness probe and keeps
    what it builds (`remembered`), so that the checks' cached answers last."""

    async def answer_health(request: Request) -> HTTPResponse:
        if request.path == LIVE:
            return response.json(health.live(server))
        status, body = await asyncio.get_running_loop().run_in_executor(None, health.report, server,
                                                                        checks(request.app))
        return response.json(body, status=status)

    async def begin(request: Request) -> Optional[HTTPResponse]:
        if request.path in HEALTH_PATHS:
            return await answer_health(request)
        request.ctx.claudia_began = time.monotonic()
        request.ctx.claudia_request_id = log_format.accept_request_id(
            request.headers.get(log_format.REQUEST_ID_HEADER))
        log_format.start(request.ctx.claudia_request_id, _conversation(request))
        return None

    async def end(request: Request, answer: HTTPResponse) -> None:
        began = getattr(request.ctx, "claudia_began", None)
        if began is None or answer is None:
            return
        answer.headers[log_format.REQUEST_ID_HEADER] = request.ctx.claudia_request_id
        seconds = time.monotonic() - began
        quiet = request.method in ("GET", "HEAD") and answer.status < 400 and seconds < SLOW_SECONDS
        logger.log(logging.DEBUG if quiet else logging.INFO, "request", extra={
            "request_id": request.ctx.claudia_request_id, "method": request.method, "path": request.path,
            "status": answer.status, "duration_ms": round(seconds * 1000, 1)})

    # First of the request middlewares (answered before a shared-secret check), last to see the answer.
    app.request_middleware.appendleft(_named(begin, "claudia_begin"))
    app.register_middleware(end, "response")

    async def health_route(request: Request) -> HTTPResponse:  # reached only if the middleware was bypassed
        return await answer_health(request)

    app.add_route(health_route, LIVE, methods=["GET", "HEAD"], name="claudia_health_live")
    app.add_route(health_route, READY, methods=["GET", "HEAD"], name="claudia_health_ready")


def _named(function, name: str):
    function.__name__ = name
    return function


def remembered(app: Sanic, build: Callable[[], Optional[Dict[str, Callable[[], health.Check]]]]
               ) -> Callable[[], Dict[str, Callable[[], health.Check]]]:
    """The checks `build` gives, built once per worker process and kept on the app; `build`
    returning None means "not complete yet" (asked again at the next probe)."""
    def checks() -> Dict[str, Callable[[], health.Check]]:
        kept = getattr(app.ctx, "claudia_ready_checks", None)
        if kept is None:
            built = build()
            if built is None:
                return {"model": lambda: health.Check(False, "NotLoaded")}
            kept = app.ctx.claudia_ready_checks = built
        return kept

    return checks


def action_server_checks(app: Sanic) -> Dict[str, Callable[[], health.Check]]:
    """The action server is ready when ClaudIA's database answers and SIRENE can be asked."""
    from claudia import services

    def build() -> Dict[str, Callable[[], health.Check]]:
        settings = services.settings()
        return {"database": health.cached(health.database_check(settings.db_url)),
                "sirene": health.sirene_check(settings)}

    return remembered(app, build)()
