"""Sliding windows counted in the project's database, shared by every process.

A limit that several processes enforce together (the Rasa server's worker processes, or
several Rasa servers sharing PostgreSQL) must count in one place, or a visitor gets the
limit once per process. Each attempt is a row of `rate_hits`; rows older than the window
are deleted as new attempts come, so the table holds at most one window of attempts. An
attempt over the limit is refused after a read only: a flood of refused attempts writes
nothing and never waits for the writers' turn.
"""
from __future__ import annotations

import threading
import time
from typing import Callable, Optional

from sqlalchemy import delete, func, select

from claudia.db import Database
from claudia.models import RateHit


class NowAndThen:
    """Says yes at most once every `seconds` in this process, whichever thread asks, and at the
    first asking: housekeeping after some requests (a purge of spent records, the retention of
    not-connected conversations) rather than at every one."""

    def __init__(self, seconds: float):
        self.seconds = seconds
        self._last: Optional[float] = None
        self._lock = threading.Lock()

    def due(self) -> bool:
        with self._lock:
            if self._last is not None and time.monotonic() - self._last < self.seconds:
                return False
            self._last = time.monotonic()
            return True

    def forget(self) -> None:
        """The next asking is due (tests)."""
        with self._lock:
            self._last = None


class SharedWindow:
    """At most `limit` attempts per key in any `window_seconds`, across processes."""

    def __init__(self, database: Database, scope: str, limit: int, window_seconds: float,
                 clock: Callable[[], float] = time.time):
        self.database, self.scope = database, scope
        self.limit, self.window, self.clock = limit, window_seconds, clock

    def allow(self, key: str) -> bool:
        """Counts one attempt; False if it is over the limit (not counted then)."""
        now = self.clock()
        key = key[:255]
        with self.database.read() as session:
            if self._recent(session, key, now) >= self.limit:
                return False
        with self.database.write() as session:
            session.execute(delete(RateHit).where(RateHit.scope == self.scope, RateHit.at <= now - self.window))
            if self._recent(session, key, now) >= self.limit:
                return False
            session.add(RateHit(scope=self.scope, key=key, at=now))
            return True

    def _recent(self, session, key: str, now: float) -> int:
        return session.scalar(select(func.count()).select_from(RateHit).where(
            RateHit.scope == self.scope, RateHit.key == key, RateHit.at > now - self.window))

    def forget(self) -> None:
        """Every count of this scope (tests, and `claudia.admin`-style resets)."""
        with self.database.write() as session:
            session.execute(delete(RateHit).where(RateHit.scope == self.scope))
