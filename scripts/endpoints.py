"""Writes the endpoints file Rasa runs with, from the environment.

  python -m scripts.endpoints OUT.yml

ACTIONS_URL            action server webhook   (default http://127.0.0.1:5055/webhook)
CLAUDIA_TRACKER_DB_URL tracker store, SQLAlchemy URL (default sqlite:///var/tracker.db)
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

import yaml
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent


def tracker_store(url: str) -> dict:
    """Rasa's SQLTrackerStore settings for a SQLAlchemy URL."""
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        return {"type": "SQL", "dialect": "sqlite", "db": parsed.database}
    store = {"type": "SQL", "dialect": parsed.drivername, "db": parsed.database}
    for key, value in (("url", parsed.host), ("port", parsed.port),
                       ("username", parsed.username), ("password", parsed.password)):
        if value:
            store[key] = value
    return store


def endpoints(actions_url: str, tracker_db_url: str) -> dict:
    return {
        "action_endpoint": {"url": actions_url},
        "tracker_store": tracker_store(tracker_db_url),
    }


def write_endpoints(path: Path, actions_url: str, tracker_db_url: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(endpoints(actions_url, tracker_db_url), sort_keys=False))
    return path


def main() -> None:
    out = Path(sys.argv[1])
    write_endpoints(
        out,
        os.environ.get("ACTIONS_URL", "http://127.0.0.1:5055/webhook"),
        os.environ.get("CLAUDIA_TRACKER_DB_URL", f"sqlite:///{ROOT / 'var' / 'tracker.db'}"),
    )


if __name__ == "__main__":
    main()
