"""Runs the web front: the portal stand-in at / and the operators' console at /console/.

  python -m web [--host H] [--port P]

CLAUDIA_WEB_SOCKET: a private unix socket to listen on instead of --host/--port (behind the proxy).
CLAUDIA_RASA_URL: where the Rasa server is (its connected channel and, with
CLAUDIA_RASA_API_TOKEN, its HTTP API for the console). PORTAL_DEMO_PASSWORD:
the password of the demo managers. CLAUDIA_SECURE_COOKIES=1 behind HTTPS.
"""
import argparse
import logging
import os
from pathlib import Path

from aiohttp import web

from claudia import log_format, services
from claudia.data_versions import DataVersions
from claudia.safe_paths import UnsafeLocation, bind_private_socket
from web import observability
from web.review import Review
from web.console import create_app
from web.portal import add_portal
from web.review_pages import add_review
from web.review_model_pages import add_model_pages
from web.testers import add_testers
from web.metrics_route import add_metrics

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default=os.environ.get("CLAUDIA_WEB_HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("CLAUDIA_WEB_PORT", "5080")))
    args = parser.parse_args()
    token = os.environ.get("CLAUDIA_RASA_API_TOKEN")
    if not token:
        raise SystemExit("CLAUDIA_RASA_API_TOKEN est requis pour joindre l'API de Rasa.")
    if services.settings().environment == "production":
        raise SystemExit("Le portail de démonstration ne démarre pas en production (CLAUDIA_ENV=production) : "
                         "il remplace la connexion de Chorus Pro pour les essais seulement.")
    log_format.configure("web")  # ClaudIA's log lines (claudia/log_format.py)
    rasa_url = os.environ.get("CLAUDIA_RASA_URL", "http://127.0.0.1:5005")
    secure = os.environ.get("CLAUDIA_SECURE_COOKIES") == "1"
    canned = os.environ.get("CLAUDIA_CANNED_REPLIES_FILE") or ROOT / "demo" / "reponses_types.yml"
    try:  # a database directory or lock file another account could tamper with: stop, and say why
        services.handoffs()
    except UnsafeLocation as refusal:
        raise SystemExit(str(refusal))
    app = create_app(rasa_url, token, secure, canned_replies=Path(canned))
    add_portal(app, rasa_url, os.environ.get("PORTAL_DEMO_PASSWORD", "demo-portail"), secure,
               chat_timeout=float(os.environ.get("CLAUDIA_CHAT_TIMEOUT", "8")))
    add_review(app, Review(
        services.handoffs().db,
        os.environ.get("CLAUDIA_TRACKER_DB_URL", f"sqlite:///{ROOT / 'var' / 'tracker.db'}"),
        threshold=float(os.environ.get("REVIEW_CONFIDENCE_THRESHOLD", "0.7")),
        corrections_file=Path(os.environ.get("CLAUDIA_CORRECTIONS_FILE", ROOT / "data" / "nlu" / "corrections.yml")),
        stories_file=Path(os.environ.get("CLAUDIA_REVIEW_STORIES_FILE", ROOT / "tests" / "stories" / "test_revues.yml")),
        versions=DataVersions.from_environment(),  # CLAUDIA_DATA_REPO: every review change is a git commit
    ), ROOT / "domain.yml")
    add_model_pages(app, services.handoffs().db)  # « Modèles »: train, compare, activate, roll back
    add_testers(app)  # reviewers invite testers; /essai/<lien> opens the chat as a test identity
    add_metrics(app, services.handoffs().db,  # GET /metrics: loopback or CLAUDIA_METRICS_TOKEN
                os.environ.get("CLAUDIA_TRACKER_DB_URL", f"sqlite:///{ROOT / 'var' / 'tracker.db'}"))
    # Behind the proxy: a private unix socket (0600 in a 0700 directory, serving/unix_sockets.py), no port.
    private = os.environ.get("CLAUDIA_WEB_SOCKET")
    try:
        sock = bind_private_socket(Path(private)) if private else None
    except UnsafeLocation as refusal:
        raise SystemExit(str(refusal))
    if sock is not None:
        logging.getLogger("web").info(f"Frontal web sur la socket privée {private}, joignable par le mandataire seul")
    else:
        logging.getLogger("web").info(f"Portail de démonstration : http://{args.host}:{args.port}/")
        logging.getLogger("web").info(f"Console des conseillers  : http://{args.host}:{args.port}/console/")
        logging.getLogger("web").info(f"Revue des conversations  : http://{args.host}:{args.port}/console/revue/")
    # Request ids, one log line per request (instead of aiohttp's access log), /health/live and /health/ready.
    observability.install(app, services.settings().db_url, services.settings().tracker_db_url)
    from web import proxy_address

    proxy_address.install(app)  # behind the proxy: the client's address from X-Forwarded-For
    if sock is not None:
        web.run_app(app, sock=sock, print=None, access_log=None)
    else:
        web.run_app(app, host=args.host, port=args.port, print=None, access_log=None)


if __name__ == "__main__":
    main()
