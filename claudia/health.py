"""Readiness checks: can this server do its work now? (`/health/ready` on every server.)

Liveness (`/health/live`) is only "the process answers HTTP"; readiness asks each thing the
server needs and says which one fails. A check is a function returning a `Check`; `report()`
runs them and gives the HTTP status (200 when every check passes, 503 otherwise) and the JSON body:

    {"status": "ready" | "not ready", "server": "actions",
     "checks": {"database": {"ok": true, "ms": 1.2}, "sirene": {"ok": false, "error": "ConnectionError"}}}

A failure says what kind of error it was, never its text (a path, a URL or a password could be
in it). Checks that cost a remote call are remembered a few seconds (`Cached`), so that probes
every second from a load balancer neither slow the conversations down nor spend the INSEE
quota: CLAUDIA_READY_CACHE_SECONDS (2) for databases and servers, CLAUDIA_READY_SIRENE_SECONDS
(10) for SIRENE. Every check is bounded by CLAUDIA_READY_TIMEOUT (2 s).
"""
from __future__ import annotations

import os
import sqlite3
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, Optional, Tuple

from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.pool import NullPool

from claudia.config import Settings


def _seconds(name: str, default: float) -> float:
    try:
        return float(os.environ.get(name) or default)
    except ValueError:
        return default


def timeout() -> float:
    return _seconds("CLAUDIA_READY_TIMEOUT", 2.0)


@dataclass
class Check:
    ok: bool
    error: Optional[str] = None
    ms: float = 0.0
    detail: Dict[str, object] = field(default_factory=dict)

    def as_dict(self) -> Dict[str, object]:
        body: Dict[str, object] = {"ok": self.ok, "ms": round(self.ms, 1)}
        if self.error:
            body["error"] = self.error
        body.update(self.detail)
        return body


def timed(probe: Callable[[], Optional[str]]) -> Check:
    """Runs `probe` (None when all is well, else the kind of failure) and times it."""
    began = time.monotonic()
    try:
        error = probe()
    except Exception as exc:  # whatever it was, the thing checked is not usable
        error = type(exc).__name__
    return Check(error is None, error, (time.monotonic() - began) * 1000)


class Cached:
    """A check answered from memory for `ttl` seconds; one caller at a time refreshes it."""

    def __init__(self, check: Callable[[], Check], ttl: float, clock: Callable[[], float] = time.monotonic):
        self.check, self.ttl, self.clock = check, ttl, clock
        self._lock = threading.Lock()
        self._last: Optional[Tuple[float, Check]] = None

    def __call__(self) -> Check:
        with self._lock:
            if self._last is None or self.clock() - self._last[0] >= self.ttl:
                self._last = (self.clock(), self.check())
            return self._last[1]


_engines: Dict[str, Engine] = {}
_engines_lock = threading.Lock()


def _server_engine(url: str) -> Engine:
    """An engine without a pool for PostgreSQL & co: each check is a real new connection."""
    with _engines_lock:
        if url not in _engines:
            args = {"connect_timeout": max(1, int(timeout()))} if make_url(url).get_backend_name() == "postgresql" else {}
            _engines[url] = create_engine(url, poolclass=NullPool, connect_args=args, future=True)
        return _engines[url]


def database_check(url: str) -> Callable[[], Check]:
    """Reaches the database anew (not through a pooled connection, which would hide a file
    removed or a server gone): a SQLite file must exist and answer a read; another database
    must accept a connection and `SELECT 1`."""
    parsed = make_url(url)

    def probe() -> Optional[str]:
        if parsed.get_backend_name() == "sqlite":
            database = parsed.database or ""
            if not database or database == ":memory:":
                return None
            if not Path(database).is_file():
                return "FileNotFound"
            connection = sqlite3.connect(f"file:{Path(database).resolve()}?mode=rw", uri=True, timeout=timeout())
            try:
                connection.execute("SELECT count(*) FROM sqlite_master").fetchone()
            finally:
                connection.close()
            return None
        with _server_engine(url).connect() as connection:
            connection.execute(text("SELECT 1"))
        return None

    return lambda: timed(probe)


def http_check(url: str, headers: Optional[Dict[str, str]] = None) -> Callable[[], Check]:
    """Something answers `url` with a 2xx status within the timeout."""

    def probe() -> Optional[str]:
        request = urllib.request.Request(url, headers=headers or {})
        try:
            with urllib.request.urlopen(request, timeout=timeout()) as answer:
                return None if 200 <= answer.status < 300 else f"HTTP {answer.status}"
        except urllib.error.HTTPError as error:
            return f"HTTP {error.code}"

    return lambda: timed(probe)


# INSEE API Sirene: `GET /informations` says whether the service runs; any answer but a server
# error, a refused key or the quota means SIRENE can be asked.
SIRENE_STATUS_PATH = "/informations"


def sirene_check(settings: Settings) -> Callable[[], Check]:
    """The SIRENE source the actions use: the INSEE API answers (with our key), or the CSV
    extract is a readable file. Remembered CLAUDIA_READY_SIRENE_SECONDS (10)."""
    if settings.sirene_source.strip().lower() == "api":
        url = settings.sirene_api_url.rstrip("/") + SIRENE_STATUS_PATH
        key = settings.insee_api_key

        def probe() -> Optional[str]:
            request = urllib.request.Request(url, headers={"X-INSEE-Api-Key-Integration": key,
                                                           "Accept": "application/json"})
            try:
                with urllib.request.urlopen(request, timeout=min(timeout(), settings.sirene_timeout)):
                    return None
            except urllib.error.HTTPError as error:
                if error.code >= 500 or error.code in (401, 403, 429):
                    return f"HTTP {error.code}"
                return None
    else:
        path = Path(settings.sirene_source)

        def probe() -> Optional[str]:
            with path.open("rb") as handle:
                handle.read(1)
            return None

    return Cached(lambda: timed(probe), _seconds("CLAUDIA_READY_SIRENE_SECONDS", 10.0))


def cached(check: Callable[[], Check]) -> Callable[[], Check]:
    return Cached(check, _seconds("CLAUDIA_READY_CACHE_SECONDS", 2.0))


def report(server: str, checks: Dict[str, Callable[[], Check]]) -> Tuple[int, Dict[str, object]]:
    """(HTTP status, JSON body) of a readiness probe: 200 when every check passes, else 503."""
    results = {name: check() for name, check in checks.items()}
    ready = all(result.ok for result in results.values())
    return (200 if ready else 503), {
        "status": "ready" if ready else "not ready",
        "server": server,
        "checks": {name: result.as_dict() for name, result in results.items()},
    }


def live(server: str) -> Dict[str, object]:
    return {"status": "alive", "server": server, "pid": os.getpid()}
