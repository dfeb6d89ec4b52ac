"""Console accounts: operators (live chat) and reviewers, hashed passwords, sessions.

Passwords are hashed with Argon2id (argon2-cffi, OWASP's profile: 19 MiB, 2 passes,
1 lane). Hashes from before (scrypt) are still accepted and replaced by an Argon2id
hash at the next successful sign-in. An unknown login costs the same work as a
known one (a verification against a fixed hash), so timing tells nothing.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
from dataclasses import dataclass
from datetime import timedelta
from typing import Optional

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete

from claudia.db import Database
from claudia.models import ConsoleSession, Operator, utcnow

OPERATOR, REVIEWER = "operateur", "relecteur"
SESSION_LIFETIME = timedelta(hours=8)
_SCRYPT = {"n": 2**14, "r": 8, "p": 1, "dklen": 32}
_HASHER = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
_unknown_account_hash: Optional[str] = None
_unknown_lock = threading.Lock()


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def _check_scrypt(password: str, stored: str) -> bool:
    """Hashes written before Argon2id: `scrypt$<salt hex>$<digest hex>`."""
    try:
        scheme, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        candidate = hashlib.scrypt(password.encode(), salt=bytes.fromhex(salt), **_SCRYPT)
    except ValueError:
        return False
    return hmac.compare_digest(candidate.hex(), digest)


def check_password(password: str, stored: str) -> bool:
    if stored.startswith("$argon2"):
        try:
            return _HASHER.verify(stored, password)
        except (VerificationError, InvalidHashError):
            return False
    return _check_scrypt(password, stored)


def needs_rehash(stored: str) -> bool:
    return not stored.startswith("$argon2") or _HASHER.check_needs_rehash(stored)


def _hash_for_unknown_accounts() -> str:
    """A fixed Argon2id hash verified for unknown logins: the same work as a real one."""
    global _unknown_account_hash
    with _unknown_lock:
        if _unknown_account_hash is None:
            _unknown_account_hash = hash_password(secrets.token_urlsafe(16))
        return _unknown_account_hash


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class ConsoleUser:
    login: str
    name: str
    role: str
    csrf_token: str


class Accounts:
    def __init__(self, database: Database):
        self.db = database

    def upsert(self, login: str, name: str, password: str, role: str = OPERATOR) -> None:
        if role not in (OPERATOR, REVIEWER):
            raise ValueError(f"rôle inconnu : {role!r}")
        if len(password) < 8:
            raise ValueError("mot de passe trop court (8 caractères au moins)")
        with self.db.write() as session:
            account = session.get(Operator, login) or Operator(login=login)
            account.name, account.role, account.password_hash = name, role, hash_password(password)
            session.add(account)

    def name_of(self, login: str) -> str:
        """An account's name as people read it (its login if the account is gone)."""
        with self.db.read() as session:
            account = session.get(Operator, login)
            return account.name if account else login

    def count(self) -> int:
        with self.db.read() as session:
            return session.query(Operator).count()

    def sign_in(self, login: str, password: str) -> Optional[str]:
        """A new session token (a fresh one at every sign-in: no fixation), or None.

        Blocking (password hashing): the web front runs it in a worker thread.
        """
        with self.db.read() as session:
            account = session.get(Operator, login)
            stored = account.password_hash if account else _hash_for_unknown_accounts()
        if not check_password(password, stored) or account is None:
            return None
        token = secrets.token_urlsafe(32)
        with self.db.write() as session:
            if needs_rehash(stored):
                session.get(Operator, login).password_hash = hash_password(password)
            session.execute(delete(ConsoleSession).where(ConsoleSession.expires_at < utcnow()))
            session.add(ConsoleSession(token_hash=_token_hash(token), login=login,
                                       csrf_token=secrets.token_urlsafe(24),
                                       expires_at=utcnow() + SESSION_LIFETIME))
        return token

    def user_for(self, token: Optional[str]) -> Optional[ConsoleUser]:
        if not token:
            return None
        with self.db.read() as session:
            found = session.get(ConsoleSession, _token_hash(token))
            if found is None or found.expires_at < utcnow():
                return None
            account = session.get(Operator, found.login)
            return ConsoleUser(account.login, account.name, account.role, found.csrf_token)

    def sign_out(self, token: Optional[str]) -> None:
        if token:
            with self.db.write() as session:
                session.execute(delete(ConsoleSession).where(ConsoleSession.token_hash == _token_hash(token)))
