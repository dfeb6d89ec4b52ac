"""Starts the action server, which answers only the Rasa server.

  python -m serving.serve_actions [--port 5055]

Every request must carry the header `X-Claudia-Actions-Token` equal to
CLAUDIA_ACTIONS_TOKEN (compared in constant time); any other caller gets 403
and nothing runs. The secret comes from the environment only (never from the
command line or a file); Rasa sends it from endpoints.yml's `headers`, where it
is written as `${CLAUDIA_ACTIONS_TOKEN}` and substituted by Rasa at start-up.
Bodies over CLAUDIA_ACTIONS_MAX_BODY bytes (16 MB) are refused with 413.

ACTIONS_HOST (127.0.0.1), ACTIONS_PORT (5055), ACTION_SERVER_SANIC_WORKERS (worker processes,
killed with the server: serving/worker_processes.py), CLAUDIA_ACTION_THREADS (4: each action
call runs in one of these threads, serving/action_threads.py).
Logs in ClaudIA's format (claudia/log_format.py) with each request's id; `/health/live` and
`/health/ready` answer without the secret (serving/sanic_requests.py).
"""
from __future__ import annotations

import argparse
import hmac
import logging
import os

from sanic import Sanic, response
from sanic.exceptions import PayloadTooLarge
from sanic.request import Request

from claudia import log_format
from serving import action_threads, metrics_dir, sanic_requests
from serving.endpoints import HEADER, TOKEN_ENV
from serving.private_files import make_private
from serving.worker_processes import prepare_workers

DEFAULT_MAX_BODY = 16 * 1024 * 1024

logger = logging.getLogger(__name__)


def create_app(token: str, max_body: int = DEFAULT_MAX_BODY) -> Sanic:
    from rasa_sdk.endpoint import create_app as create_sdk_app
    from serving import metrics_routes

    # No CORS: no browser has any business calling the action server.
    app = create_sdk_app("actions", cors_origins="")
    app.config.REQUEST_MAX_SIZE = max_body
    expected = token.encode()

    @app.middleware("request")
    async def only_the_rasa_server(request: Request):
        if request.path == metrics_routes.PATH:
            return None  # its own rule: loopback or CLAUDIA_METRICS_TOKEN (claudia/metrics_access.py)
        sent = (request.headers.get(HEADER) or "").encode()
        if not hmac.compare_digest(sent, expected):
            logger.warning("action server: call without the shared secret refused (%s)", request.ip)
            return response.json({"error": "forbidden"}, status=403)
        return None

    @app.exception(PayloadTooLarge)
    async def too_large(request: Request, exception: PayloadTooLarge):
        # rasa_sdk answers every exception with 500 (and echoes the body): not this one.
        return response.json({"error": "request body too large"}, status=413)

    metrics_routes.add_sanic_route(app)
    # Request ids and one line per request; /health/live and /health/ready, answered before the
    # shared-secret check (they reveal no data): serving/sanic_requests.py.
    sanic_requests.install(app, "actions", sanic_requests.action_server_checks)
    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=int(os.environ.get("ACTIONS_PORT", "5055")))
    parser.add_argument("--host", default=os.environ.get("ACTIONS_HOST", "127.0.0.1"))
    args = parser.parse_args()
    token = os.environ.get(TOKEN_ENV)
    if not token:
        raise SystemExit(f"{TOKEN_ENV} est requis : le serveur d'actions ne répond qu'au serveur Rasa.")
    metrics_dir.prepare("actions", args.port)  # before any metric exists (several workers)
    from claudia.config import load_settings

    make_private([load_settings().db_url])
    log_format.configure("actions")  # ClaudIA's log lines (claudia/log_format.py)
    from rasa_sdk import utils

    action_threads.install()  # a wait for the database blocks only its own conversation
    app = create_app(token, int(os.environ.get("CLAUDIA_ACTIONS_MAX_BODY", DEFAULT_MAX_BODY)))
    logger.info("action server on http://%s:%s", args.host, args.port)
    prepare_workers()
    app.run(args.host, args.port, workers=utils.number_of_sanic_workers(), access_log=False)


if __name__ == "__main__":
    main()
