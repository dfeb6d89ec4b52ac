"""Runs the web front: the portal stand-in at / and the operators' console at /console/.

  python -m web [--host H] [--port P]

CLAUDIA_RASA_URL: where the Rasa server is (its connected channel and, with
CLAUDIA_RASA_API_TOKEN, its HTTP API for the console). PORTAL_DEMO_PASSWORD:
the password of the demo managers. CLAUDIA_SECURE_COOKIES=1 behind HTTPS.
"""
import argparse
import logging
import os
from pathlib import Path

from aiohttp import web

from claudia import services
from claudia.safe_paths import UnsafeLocation
from web.review import Review
from web.console import create_app
from web.portal import add_portal
from web.review_pages import add_review

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
    logging.basicConfig(level=logging.INFO)
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
    ), ROOT / "domain.yml")
    print(f"Portail de démonstration : http://{args.host}:{args.port}/", flush=True)
    print(f"Console des conseillers  : http://{args.host}:{args.port}/console/", flush=True)
    print(f"Revue des conversations  : http://{args.host}:{args.port}/console/revue/", flush=True)
    web.run_app(app, host=args.host, port=args.port, print=None)


if __name__ == "__main__":
    main()
