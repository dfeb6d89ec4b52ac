"""Console accounts: operators (live chat) and reviewers, hashed passwords, sessions."""
from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Optional

from sqlalchemy import delete

from claudia.db import Database
from claudia.models import ConsoleSession, Operator, utcnow

OPERATOR, REVIEWER = "operateur", "relecteur"
SESSION_LIFETIME = timedelta(hours=8)
_SCRYPT = {"n": 2**14, "r": 8, "p": 1, "dklen": 32}


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, **_SCRYPT)
    return f"scrypt${salt.hex()}${digest.hex()}"


def check_password(password: str, stored: str) -> bool:
    try:
        scheme, salt, digest = stored.split("$")
    except ValueError:
        return False
    if scheme != "scrypt":
        return False
    candidate = hashlib.scrypt(password.encode(), salt=bytes.fromhex(salt), **_SCRYPT)
    return hmac.compare_digest(candidate.hex(), digest)


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

    def count(self) -> int:
        with self.db.read() as session:
            return session.query(Operator).count()

    def sign_in(self, login: str, password: str) -> Optional[str]:
        """A new session token (a fresh one at every sign-in: no fixation), or None."""
        with self.db.read() as session:
            account = session.get(Operator, login)
            stored = account.password_hash if account else hash_password(secrets.token_hex(8))
        if not check_password(password, stored) or account is None:
            return None
        token = secrets.token_urlsafe(32)
        with self.db.write() as session:
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
