"""Slowing password guessing down without locking real users out (portal stand-in, console).

Failed sign-ins are counted per account *and* source together. The source is the client's
address or, when the browser shows a trusted-device cookie for that very account (given at
a successful sign-in, signed with a key only the servers hold), that device. After `free`
failures of one pair, each further attempt of that pair must wait a growing delay after its
last failure: 1 s, 2 s, 4 s… up to `longest` (15 minutes). An attempt that comes too early is
refused without checking the password, and is not counted: waiting is always enough, so
nobody's guesses can keep an account shut for ever. A success forgets the pair's failures.

So someone else's guesses never slow down a user at another address, nor one whose browser
holds a trusted-device cookie for the account (even behind the same proxy address as the
guesser); one address's guesses slow down only that address, on the accounts it guessed;
and an attacker's guesses on one account from one address wait 1, 2, 4… seconds, then
15 minutes each: about a hundred a day instead of thousands an hour.

Counted in the project's database (table `sign_in_failures`), so every process of the web
front enforces the same delays and a restart forgets nothing; failures are forgotten after
`memory` seconds (24 hours). An attempt let through is recorded as a failure *before* its
password is checked, in the write transaction that checked the delay (SQLite: one writer at
a time; PostgreSQL: an advisory lock on the pair), and forgotten with the pair's other
failures if the password was right: many attempts sent together at the end of a delay get
one password check, not one each.
"""
from __future__ import annotations

import hashlib
import hmac
import math
import secrets
import time
from dataclasses import dataclass
from typing import Callable, Optional, Tuple

from sqlalchemy import Column, Float, Index, Integer, String, delete, func, inspect, select, text
from sqlalchemy.exc import DatabaseError

from claudia.db import Database, get_database
from claudia.models import Base

DEVICE_COOKIE_DAYS = 180
DEVICE_KEY_LABEL = b"claudia-trusted-device-v1"


class SignInFailure(Base):
    """One failed sign-in (or one being checked), for the throttle's memory."""

    __tablename__ = "sign_in_failures"

    id = Column(Integer, primary_key=True)
    scope = Column(String(16), nullable=False)  # "console", "portail": their accounts differ
    account = Column(String(128), nullable=False)  # the login as typed, trimmed and lower-cased
    source = Column(String(80), nullable=False)  # "adresse <ip>" or "appareil <device id>"
    at = Column(Float, nullable=False, index=True)  # seconds since the epoch: one clock for every process

    __table_args__ = (Index("ix_sign_in_failures_pair", "scope", "account", "source", "at"),)


@dataclass(frozen=True)
class Attempt:
    """A sign-in let through: its failure is already counted, and forgotten if it succeeds."""

    account: str
    source: str


def account_of(login: str) -> str:
    return login.strip().lower()[:128]


def wait_in_words(seconds: float) -> str:
    """« 1 seconde », « 8 secondes », « 15 minutes »: a wait as a French sentence says it."""
    if seconds <= 59:
        whole = max(1, math.ceil(seconds))
        return f"{whole} seconde{'s' if whole > 1 else ''}"
    minutes = math.ceil(seconds / 60)
    return f"{minutes} minute{'s' if minutes > 1 else ''}"


class LoginThrottle:
    """Growing delays per (account, address or trusted device), shared by every process."""

    def __init__(self, database: Database, scope: str, device_key: bytes, free: int = 5,
                 longest: float = 900.0, memory: float = 86400.0, clock: Callable[[], float] = time.time):
        self.database, self.scope, self.device_key = database, scope, device_key
        self.free, self.longest, self.memory, self.clock = free, longest, memory, clock
        try:  # databases made before this table existed
            SignInFailure.__table__.create(database.engine, checkfirst=True)
        except DatabaseError:  # another process made it at the same moment
            if not inspect(database.engine).has_table(SignInFailure.__tablename__):
                raise

    @classmethod
    def for_settings(cls, settings, scope: str = "console") -> "LoginThrottle":
        """With the limits of `claudia.config.Settings`, on the project's database."""
        key = hmac.new(settings.jwt_secret.encode(), DEVICE_KEY_LABEL, hashlib.sha256).digest()
        return cls(get_database(settings.db_url), scope, key, free=settings.login_free_failures,
                   longest=settings.login_longest_delay, memory=settings.login_failure_memory_hours * 3600)

    def delay_after(self, failures: int) -> float:
        """How long a pair waits after its last failure, once it has `failures` of them."""
        if failures < self.free:
            return 0.0
        return float(min(self.longest, 2 ** min(failures - self.free, 40)))

    # -- sign-in attempts ---------------------------------------------------------------
    def admit(self, login: str, address: str, device_cookie: Optional[str] = None
              ) -> Tuple[Optional[Attempt], float]:
        """(the attempt, 0) if its password may be checked now, its failure already counted;
        (None, seconds to wait) if it comes too early (nothing written then)."""
        account = account_of(login)
        device = self.trusted_device(device_cookie, account)
        attempt = Attempt(account, f"appareil {device}" if device else f"adresse {(address or '?')[:64]}")
        now = self.clock()
        with self.database.read() as session:  # a flood of early attempts costs reads only
            wait = self._wait(session, attempt, now)
        if wait > 0:
            return None, wait
        with self.database.write() as session:
            self._one_at_a_time(session, attempt)
            now = self.clock()
            wait = self._wait(session, attempt, now)  # again, now that no other attempt of the pair runs
            if wait > 0:
                return None, wait
            session.execute(delete(SignInFailure).where(SignInFailure.scope == self.scope,
                                                        SignInFailure.at <= now - self.memory))
            session.add(SignInFailure(scope=self.scope, account=attempt.account, source=attempt.source, at=now))
        return attempt, 0.0

    def succeeded(self, attempt: Attempt) -> str:
        """The password was right: the pair's failures are forgotten. Returns a new
        trusted-device cookie for the account, to give the browser."""
        with self.database.write() as session:
            session.execute(delete(SignInFailure).where(
                SignInFailure.scope == self.scope, SignInFailure.account == attempt.account,
                SignInFailure.source == attempt.source))
        return self.device_cookie(attempt.account)

    def forget(self) -> None:
        """Every failure of this scope (tests, administrators)."""
        with self.database.write() as session:
            session.execute(delete(SignInFailure).where(SignInFailure.scope == self.scope))

    def _wait(self, session, attempt: Attempt, now: float) -> float:
        failures, last = session.execute(
            select(func.count(), func.max(SignInFailure.at)).where(
                SignInFailure.scope == self.scope, SignInFailure.account == attempt.account,
                SignInFailure.source == attempt.source, SignInFailure.at > now - self.memory)).one()
        delay = self.delay_after(failures)
        return max(0.0, last + delay - now) if delay else 0.0

    def _one_at_a_time(self, session, attempt: Attempt) -> None:
        """PostgreSQL: one transaction per pair at a time (SQLite's writes already are)."""
        if self.database.engine.dialect.name == "postgresql":
            digest = hashlib.blake2b(f"{self.scope}\n{attempt.account}\n{attempt.source}".encode(),
                                     digest_size=8).digest()
            session.execute(text("SELECT pg_advisory_xact_lock(:key)"),
                            {"key": int.from_bytes(digest, "big", signed=True)})

    # -- trusted-device cookies ------------------------------------------------------------
    def _mac(self, account: str, device: str, issued: str) -> str:
        message = f"{self.scope}\n{account}\n{device}\n{issued}".encode()
        return hmac.new(self.device_key, message, hashlib.sha256).hexdigest()[:32]

    def device_cookie(self, account: str) -> str:
        """« device id . day issued . signature »: proves this browser signed in to `account`."""
        device, issued = secrets.token_urlsafe(16), str(int(self.clock() // 86400))
        return f"{device}.{issued}.{self._mac(account_of(account), device, issued)}"

    def trusted_device(self, cookie: Optional[str], account: str) -> Optional[str]:
        """The device id of a cookie this server gave at a sign-in to `account`, still valid;
        None for anything else (another account's cookie, a forged or an old one)."""
        parts = (cookie or "").split(".")
        if len(parts) != 3 or not (parts[1].isascii() and parts[1].isdigit()) or len(cookie) > 200:
            return None
        device, issued, mac = parts
        if int(self.clock() // 86400) - int(issued) > DEVICE_COOKIE_DAYS:
            return None
        if not hmac.compare_digest(mac, self._mac(account_of(account), device, issued)):
            return None
        return device
