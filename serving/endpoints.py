"""Writes the endpoints file Rasa runs with, from the environment.

  python -m serving.endpoints OUT.yml

ACTIONS_URL            action server webhook   (default http://127.0.0.1:5055/webhook)
CLAUDIA_TRACKER_DB_URL tracker store, SQLAlchemy URL (default sqlite:///var/tracker.db)
CLAUDIA_LOCK_STORE_URL lock store, redis://host:port/db, needed as soon as Rasa servers
                       on several machines share the tracker store (default: lock files
                       in CLAUDIA_LOCK_DIR, shared by the Rasa worker processes of this machine)
CLAUDIA_LOCK_DIR       directory of the lock file (default: `locks` beside the endpoints file)

No secret is written: the file names them as `${VARIABLE}`, which Rasa substitutes
from its environment (serving/serve_rasa.py sets the stores' passwords from their
URLs). The action server's shared secret goes in a header, `${CLAUDIA_ACTIONS_TOKEN}`.
The file is private (0600) all the same.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Optional
from urllib.parse import urlparse

import yaml
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
# The action server answers only requests carrying this header with this secret.
HEADER = "X-Claudia-Actions-Token"
TOKEN_ENV = "CLAUDIA_ACTIONS_TOKEN"


# Rasa's SQLTrackerStore, reading and writing only what a turn adds (bench/changes.md).
TRACKER_STORE_CLASS = "rasa_extensions.speed_tracker_store.CachedSQLTrackerStore"


def tracker_store(url: str) -> dict:
    """Tracker store settings for a SQLAlchemy URL."""
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        return {"type": TRACKER_STORE_CLASS, "dialect": "sqlite", "db": parsed.database}
    store = {"type": TRACKER_STORE_CLASS, "dialect": parsed.drivername, "db": parsed.database}
    for key, value in (("url", parsed.host), ("port", parsed.port), ("username", parsed.username)):
        if value:
            store[key] = value
    if parsed.password:
        store["password"] = "${CLAUDIA_TRACKER_DB_PASSWORD}"
    return store


def lock_store(url: str) -> dict:
    """Rasa's RedisLockStore settings: one conversation is handled by one server at a time."""
    parsed = urlparse(url)
    store = {"type": "redis", "url": parsed.hostname or "127.0.0.1", "port": parsed.port or 6379,
             "db": int((parsed.path or "/0").strip("/") or 0)}
    if parsed.password:
        store["password"] = "${CLAUDIA_LOCK_STORE_PASSWORD}"
    return store


# One machine: conversation locks in a lock file, shared by Rasa's worker processes.
FILE_LOCK_STORE_CLASS = "rasa_extensions.file_lock_store.FileLockStore"


def endpoints(actions_url: str, tracker_db_url: str, lock_store_url: Optional[str] = None,
              lock_dir: Optional[Path] = None) -> dict:
    config = {
        "action_endpoint": {"url": actions_url, "headers": {HEADER: "${" + TOKEN_ENV + "}"}},
        "tracker_store": tracker_store(tracker_db_url),
    }
    if lock_store_url:
        config["lock_store"] = lock_store(lock_store_url)
    elif lock_dir is not None:
        config["lock_store"] = {"type": FILE_LOCK_STORE_CLASS, "lock_dir": str(lock_dir)}
    return config


def write_endpoints(path: Path, actions_url: str, tracker_db_url: str,
                    lock_store_url: Optional[str] = None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    lock_dir = Path(os.environ.get("CLAUDIA_LOCK_DIR") or path.resolve().parent / "locks")
    text = yaml.safe_dump(endpoints(actions_url, tracker_db_url, lock_store_url, lock_dir), sort_keys=False)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(text)
    path.chmod(0o600)
    return path


def main() -> None:
    out = Path(sys.argv[1])
    write_endpoints(
        out,
        os.environ.get("ACTIONS_URL", "http://127.0.0.1:5055/webhook"),
        os.environ.get("CLAUDIA_TRACKER_DB_URL", f"sqlite:///{ROOT / 'var' / 'tracker.db'}"),
        os.environ.get("CLAUDIA_LOCK_STORE_URL") or None,
    )


if __name__ == "__main__":
    main()
