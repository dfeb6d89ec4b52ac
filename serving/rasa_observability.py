"""ClaudIA's log format, request ids and health probes in the Rasa server (serving/serve_rasa.py).

`install()` is called after Rasa configured its own logging and before it builds its app:
- every logger of the process (Rasa's, Sanic's, ours) writes ClaudIA's lines (claudia/log_format.py)
  with server `rasa`; the worker processes are forked from this one and inherit it. Rasa's
  structlog events become one line each with their event name as message and only their
  numbers and flags as fields: their texts (user text, slots, tracker states) are dropped;
- Sanic's loggers, to which Rasa gives handlers of their own just before serving, are routed
  through ours (`rasa.utils.common.update_sanic_log_level` wrapped);
- the app Rasa builds (`rasa.core.run.configure_app` wrapped) gets serving/sanic_requests.py:
  request ids, one line per request, `/health/live` and `/health/ready`;
- every call Rasa makes to an endpoint (the action server) carries the current request id and
  conversation (`EndpointConfig.request` wrapped), so the action server logs the same ids.

Ready means: the model is loaded, the tracker store's and ClaudIA's databases answer, the lock
store answers (Redis ping, or the lock directory is there), and the action server is alive.
"""
from __future__ import annotations

import functools
from pathlib import Path
from typing import Any, Callable, Dict

from claudia import health, log_format

SERVER = "rasa"


def _structlog_line(logger: Any, method_name: str, event_dict: Dict[str, Any]) -> Any:
    """structlog → stdlib: the event name as message, numbers and flags as fields, texts dropped."""
    event = str(event_dict.pop("event", ""))
    event_dict.pop("level", None)
    exc_info = event_dict.pop("exc_info", None)
    fields = {f"rasa_{key}": value for key, value in event_dict.items()
              if isinstance(value, (bool, int, float)) and not key.startswith("_")}
    kwargs: Dict[str, Any] = {"extra": fields}
    if exc_info:
        kwargs["exc_info"] = exc_info
    return (event,), kwargs


def configure_structlog() -> None:
    import structlog

    structlog.configure(
        processors=[structlog.stdlib.filter_by_level, structlog.processors.add_log_level, _structlog_line],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )


def _with_ids(request: Callable) -> Callable:
    @functools.wraps(request)
    async def call(self, *args: Any, **kwargs: Any) -> Any:
        ids = log_format.outgoing_headers()
        if ids:
            kwargs["headers"] = {**ids, **(kwargs.get("headers") or {})}
        return await request(self, *args, **kwargs)

    call.claudia_ids = True
    return call


def readiness_checks(app: Any) -> Dict[str, Callable[[], health.Check]]:
    from serving.sanic_requests import remembered

    return remembered(app, lambda: _checks_of(app) if getattr(app.ctx, "agent", None) else None)()


def _checks_of(app: Any) -> Dict[str, Callable[[], health.Check]]:
    from claudia import services

    agent = app.ctx.agent

    def model() -> health.Check:
        loaded = getattr(app.ctx, "agent", None)
        return health.Check(True) if loaded and loaded.is_ready() else health.Check(False, "NotLoaded")

    checks: Dict[str, Callable[[], health.Check]] = {
        "model": model,
        "database": health.cached(health.database_check(services.settings().db_url)),
    }
    store = getattr(agent, "tracker_store", None)
    store = getattr(store, "_tracker_store", store)  # Rasa wraps it in a FailSafeTrackerStore
    engine = getattr(store, "engine", None)
    if engine is not None:
        checks["tracker_store"] = health.cached(health.database_check(
            engine.url.render_as_string(hide_password=False)))
    lock_store = getattr(agent, "lock_store", None)
    if hasattr(lock_store, "red"):
        checks["lock_store"] = health.cached(lambda: health.timed(lambda: None if lock_store.red.ping() else "NoPong"))
    elif hasattr(lock_store, "path"):
        path = Path(lock_store.path)
        checks["lock_store"] = lambda: health.timed(lambda: None if path.is_file() else "FileNotFound")
    endpoint = getattr(agent, "action_endpoint", None)
    if endpoint is not None and getattr(endpoint, "url", None):
        base = endpoint.url.rsplit("/webhook", 1)[0]
        checks["action_server"] = health.cached(health.http_check(base + "/health/live"))
    return checks


def install() -> None:
    import rasa.core.run
    import rasa.utils.common
    from rasa.utils.endpoints import EndpointConfig

    from serving import sanic_requests

    log_format.configure(SERVER)
    configure_structlog()

    original_levels = rasa.utils.common.update_sanic_log_level

    @functools.wraps(original_levels)
    def sanic_levels(*args: Any, **kwargs: Any) -> None:
        original_levels(*args, **kwargs)
        log_format.route_library_loggers()

    rasa.utils.common.update_sanic_log_level = sanic_levels

    original_configure = rasa.core.run.configure_app

    @functools.wraps(original_configure)
    def configure_app(*args: Any, **kwargs: Any) -> Any:
        app = original_configure(*args, **kwargs)
        sanic_requests.install(app, SERVER, readiness_checks)
        return app

    rasa.core.run.configure_app = configure_app
    if not getattr(EndpointConfig.request, "claudia_ids", False):
        EndpointConfig.request = _with_ids(EndpointConfig.request)

