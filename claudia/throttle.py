"""Counting attempts in a sliding window: sign-in guesses.

In memory, per process: the web front keeps its own counts (limits that several processes
enforce together count in the database: claudia/rate_limits.py). A restart forgets them.
"""
from __future__ import annotations

import threading
import time
from collections import defaultdict, deque
from typing import Deque, Dict, Hashable


class SlidingWindow:
    def __init__(self, limit: int, window_seconds: float, max_keys: int = 100_000):
        self.limit, self.window, self.max_keys = limit, window_seconds, max_keys
        self._hits: Dict[Hashable, Deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def _recent(self, key: Hashable, now: float) -> Deque[float]:
        hits = self._hits[key]
        while hits and hits[0] <= now - self.window:
            hits.popleft()
        return hits

    def blocked(self, key: Hashable) -> bool:
        """True if `key` already used up its attempts in the window."""
        with self._lock:
            now = time.monotonic()
            blocked = len(self._recent(key, now)) >= self.limit
            if not self._hits[key]:
                del self._hits[key]
            return blocked

    def hit(self, key: Hashable) -> None:
        with self._lock:
            now = time.monotonic()
            if len(self._hits) >= self.max_keys:
                self._forget_idle(now)
            self._recent(key, now).append(now)

    def allow(self, key: Hashable) -> bool:
        """Counts one attempt; False if it is over the limit (not counted then)."""
        with self._lock:
            now = time.monotonic()
            if len(self._hits) >= self.max_keys:
                self._forget_idle(now)
            hits = self._recent(key, now)
            if len(hits) >= self.limit:
                return False
            hits.append(now)
            return True

    def reset(self, key: Hashable) -> None:
        with self._lock:
            self._hits.pop(key, None)

    def _forget_idle(self, now: float) -> None:
        for key in [k for k, hits in self._hits.items() if not hits or hits[-1] <= now - self.window]:
            del self._hits[key]


class LoginThrottle:
    """Failed sign-ins counted per account and per client address over `window` seconds.

    Past either limit, sign-in is refused without checking the password (so guessing
    costs the server nothing more) until old failures leave the window.
    """

    def __init__(self, per_account: int = 5, per_address: int = 20, window_seconds: float = 900):
        self.accounts = SlidingWindow(per_account, window_seconds)
        self.addresses = SlidingWindow(per_address, window_seconds)

    @classmethod
    def for_settings(cls, settings) -> "LoginThrottle":
        """With the limits of `claudia.config.Settings`."""
        return cls(settings.login_failures_per_account, settings.login_failures_per_address)

    def blocked(self, login: str, address: str) -> bool:
        return self.accounts.blocked(login.strip().lower()) or self.addresses.blocked(address)

    def failed(self, login: str, address: str) -> None:
        self.accounts.hit(login.strip().lower())
        self.addresses.hit(address)

    def succeeded(self, login: str) -> None:
        self.accounts.reset(login.strip().lower())
