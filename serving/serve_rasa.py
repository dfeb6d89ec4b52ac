"""Starts the Rasa server without any secret on its command line.

  python -m serving.serve_rasa --model M --endpoints E --credentials C --interface H --port P [--enable-api]

Arguments are `rasa run`'s. The HTTP API's token is read from CLAUDIA_RASA_API_TOKEN
(`--auth-token` is refused: `ps` shows a command line to every local user). The
endpoints file names its secrets as `${VARIABLE}`, which Rasa substitutes from
this process's environment; the tracker store's and lock store's passwords are
taken here from CLAUDIA_TRACKER_DB_URL and CLAUDIA_LOCK_STORE_URL. Request bodies
are capped at CLAUDIA_RASA_MAX_BODY bytes (1 MB: a chat message is 1,000
characters at most); umask 077 and private databases (serving/private_files.py).
Worker processes: CLAUDIA_RASA_WORKERS (2), possible because the endpoints file has a
lock store every worker sees (serving/endpoints.py); they die with the server
(serving/worker_processes.py) and each accepts a connection only when it has room for it,
connections not kept alive, so that each message goes to a free worker
(serving/worker_accept.py; CLAUDIA_RASA_WORKER_SLOTS, 2).
Behind the proxy it listens on the private unix socket CLAUDIA_RASA_SOCKET (0600, its directory
0700: serving/unix_sockets.py) and on no port; `--port` then only names it (metrics, model follower).
Logs in ClaudIA's format with each request's id, passed on to the action server; `/health/live`
and `/health/ready` (serving/rasa_observability.py).
"""
from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import List, Optional
from urllib.parse import urlparse

from sqlalchemy.engine import make_url

from claudia import log_format
from serving import metrics_dir
from serving.private_files import endpoint_lock_files, make_private
from serving import worker_accept, worker_ports
from serving.worker_processes import prepare_workers

TOKEN_ENV = "CLAUDIA_RASA_API_TOKEN"
DEFAULT_MAX_BODY = 1024 * 1024
DEFAULT_WORKERS = 2  # bench/changes.md: +18 % throughput, memory still below stock Rasa's


def export_store_passwords(environ=os.environ) -> None:
    """Passwords the endpoints file refers to as ${CLAUDIA_TRACKER_DB_PASSWORD} / ${CLAUDIA_LOCK_STORE_PASSWORD}."""
    tracker = environ.get("CLAUDIA_TRACKER_DB_URL")
    if tracker:
        environ["CLAUDIA_TRACKER_DB_PASSWORD"] = make_url(tracker).password or ""
    lock = environ.get("CLAUDIA_LOCK_STORE_URL")
    if lock:
        environ["CLAUDIA_LOCK_STORE_PASSWORD"] = urlparse(lock).password or ""


def _endpoints_file(argv: List[str]) -> Optional[Path]:
    for n, arg in enumerate(argv):
        if arg.startswith("--endpoints="):
            return Path(arg.split("=", 1)[1])
        if arg == "--endpoints" and n + 1 < len(argv):
            return Path(argv[n + 1])
    return None


def _port(argv: List[str]) -> int:
    for n, arg in enumerate(argv):
        if arg.startswith("--port="):
            return int(arg.split("=", 1)[1])
        if arg in ("--port", "-p") and n + 1 < len(argv):
            return int(argv[n + 1])
    return 5005


def main(argv: Optional[List[str]] = None) -> None:
    argv = list(sys.argv[1:] if argv is None else argv)
    log_format.configure("rasa")  # from the first line (Rasa's own set-up is replaced again before serving)
    if any(arg.startswith("--auth-token") or arg.startswith("--jwt-secret") for arg in argv):
        raise SystemExit("Les secrets ne se passent pas en ligne de commande : utilisez CLAUDIA_RASA_API_TOKEN.")
    token = os.environ.get(TOKEN_ENV)
    if "--enable-api" in argv and not token:
        raise SystemExit(f"{TOKEN_ENV} est requis avec --enable-api.")
    # Before any metric exists: the workers' metrics go to files summed at each scrape.
    metrics_dir.prepare("rasa", _port(argv))
    from claudia.config import check_production, load_settings

    settings = load_settings()
    check_production(settings)
    make_private([settings.db_url, settings.tracker_db_url], lock_files=endpoint_lock_files(_endpoints_file(argv)))
    export_store_passwords()
    # Sanic reads SANIC_* variables into its configuration when Rasa creates its app.
    os.environ["SANIC_REQUEST_MAX_SIZE"] = os.environ.get("CLAUDIA_RASA_MAX_BODY", str(DEFAULT_MAX_BODY))
    # Rasa reads SANIC_WORKERS and keeps one worker unless the lock store is shared.
    workers = os.environ.get("CLAUDIA_RASA_WORKERS") or str(DEFAULT_WORKERS)
    os.environ["SANIC_WORKERS"] = workers
    prepare_workers()
    if int(workers) == 1 and os.environ.get(worker_accept.RASA_SOCKET_ENV):
        # One worker on the private socket (serving/unix_sockets.py): the gate's, Sanic's own would make it 0666.
        worker_accept.install(single=True)
    elif int(workers) > 1:
        preload_shared_modules()
        if os.environ.get(worker_ports.PORTS_ENV) == "1":
            # Behind the proxy: a port per worker, the proxy's queue in front (serving/worker_ports.py).
            worker_ports.install()
        else:
            from channels.connected import CLOSE_CONNECTIONS_ENV

            # One queue of connections, each taken by a worker with room (serving/worker_accept.py).
            os.environ[CLOSE_CONNECTIONS_ENV] = "1"
            worker_accept.install()
    _run_rasa(argv, token)


# What each worker would otherwise import on its own when it loads the model and the
# channel: imported once before the fork, their pages are shared (bench/changes.md: the
# workers' PSS 245 → 206 MB each).
SHARED_MODULES = ("sklearn.feature_extraction.text", "sklearn.linear_model", "sklearn.pipeline", "skops.io",
                  "components.intent_classifier", "channels.connected")


def preload_shared_modules() -> None:
    import importlib

    for name in SHARED_MODULES:
        importlib.import_module(name)


def _run_rasa(argv: List[str], token: Optional[str]) -> None:
    """What `rasa run` does (rasa.__main__.main), with the API token from the environment."""
    import rasa.telemetry
    from rasa.__main__ import create_argument_parser
    from rasa.plugin import plugin_manager
    from rasa.utils.common import configure_logging_and_warnings
    from rasa.utils.io import configure_colored_logging
    from rasa.utils.log_utils import configure_structlog
    from rasa.utils.tensorflow import environment as tf_env

    args = create_argument_parser().parse_args(["run", *argv])
    _add_metrics_route()
    from serving import model_follower

    model_follower.install(args.port)  # every worker follows the active model (serving/model_follower.py)
    args.auth_token = token
    configure_logging_and_warnings(args.loglevel, getattr(args, "logging_config_file", None),
                                   warn_only_once=True, filter_repeated_logs=True)
    tf_env.setup_tf_environment()
    sys.path.insert(1, os.getcwd())
    configure_colored_logging(args.loglevel)
    result = plugin_manager().hook.configure_commandline(cmdline_arguments=args)
    endpoints_file = result[0] if result else None
    rasa.telemetry.initialize_telemetry()
    plugin_manager().hook.init_telemetry(endpoints_file=endpoints_file)
    plugin_manager().hook.init_managers(endpoints_file=endpoints_file)
    plugin_manager().hook.init_anonymization_pipeline(endpoints_file=endpoints_file)
    configure_structlog(args.loglevel)
    from serving import rasa_observability

    rasa_observability.install()  # ClaudIA's log lines, request ids, /health/live and /health/ready
    args.func(args)


def _add_metrics_route() -> None:
    """`GET /metrics` on Rasa's own app (serving/metrics_routes.py), added where Rasa builds it."""
    import rasa.core.run as rasa_run
    from serving.metrics_routes import add_sanic_route

    configure_app = rasa_run.configure_app

    def configure_app_with_metrics(*args, **kwargs):
        app = configure_app(*args, **kwargs)
        add_sanic_route(app)
        return app

    rasa_run.configure_app = configure_app_with_metrics


if __name__ == "__main__":
    main()
